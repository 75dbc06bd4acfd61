//! The disk filling up: new messages are refused with a transient
//! M-Send.conf (Error-transient-failure, "storage full, try again later"),
//! what is stored stays intact and retrievable, and acceptance resumes when
//! space returns — with the `[store] min_free_bytes` threshold (refusing
//! before the disk is actually full), and on a real full file system (a
//! small tmpfs, when this process may mount one).

mod common;

use std::path::Path;
use std::sync::Arc;

use common::*;
use ferry_mms::{MessageType, Pdu, ResponseStatus};
use ferry_mmsc::notify::MemoryNotifier;
use ferry_mmsc::store::sqlite::{SqliteConfig, free_bytes};
use ferry_mmsc::store::{NewSubscriber, PasswordCost, Store};
use ferry_mmsc::{Config, Mmsc, Running};
use ferry_service::Shutdown;

struct Server {
    running: Running,
    shutdown: Shutdown,
    store: Arc<Store>,
    pushes: Arc<MemoryNotifier>,
    base: String,
}

impl Server {
    /// An MMSC on `dir` keeping `min_free` octets free.
    async fn start(dir: &Path, min_free: u64) -> Self {
        ferry_service::tls::install_ring_provider();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let text = format!(
            "{}\n[store]\nmin_free_bytes = {min_free}\n",
            config_text(port, dir, "[gateway]\nkind = \"memory\"")
        );
        let config = Config::from_toml(&text).unwrap();
        assert_eq!(config.store.min_free_bytes, min_free);
        let mut sc = SqliteConfig::new(dir.join("store"));
        sc.password_cost = PasswordCost::Insecure;
        sc.min_free_bytes = config.store.min_free_bytes;
        let store = Arc::new(Store::open_sqlite(sc).await.unwrap());
        for m in [ALICE, BOB] {
            if store.subscriber(m).await.unwrap().is_none() {
                store
                    .add_subscriber(NewSubscriber::new(m), 0)
                    .await
                    .unwrap();
            }
        }
        let pushes = MemoryNotifier::new();
        let (shutdown, _finished) = Shutdown::new();
        let running = Mmsc::new(config)
            .store(store.clone())
            .notifier(pushes.clone())
            .listener(listener)
            .start(shutdown.clone())
            .await
            .unwrap();
        let base = format!("http://{}", running.local_addr);
        Self {
            running,
            shutdown,
            store,
            pushes,
            base,
        }
    }

    async fn stop(self) {
        self.shutdown.trigger();
        self.running.join().await;
        self.store.close().await.unwrap();
    }

    /// Sends a message Alice → Bob; the M-Send.conf's status and text.
    async fn send(&self, tid: &str, image: usize) -> (ResponseStatus, Option<String>) {
        let a = Handset::new(&self.base, Some(ALICE), None)
            .post(bytes_of(&send_req(tid, &[BOB], image)))
            .await;
        assert_eq!(a.status, 200);
        let conf = a.pdu();
        assert_eq!(conf.message_type(), Some(MessageType::SEND_CONF));
        let text = conf.response_text().map(|t| t.text().into_owned());
        (conf.response_status().unwrap(), text)
    }

    /// The Content-Location of the first notification to Bob.
    async fn location(&self) -> String {
        let p = self
            .pushes
            .wait_for(std::time::Duration::from_secs(10), |p| p.msisdn == BOB)
            .await
            .expect("a notification to Bob");
        Pdu::decode(&p.content)
            .unwrap()
            .content_location()
            .unwrap()
            .to_owned()
    }
}

/// Fetches `url` as Bob: the image part's octets.
async fn fetch_image(base: &str, url: &str) -> Vec<u8> {
    // The retrieval URL names the port of the server that issued it.
    let path = &url[url.find("/m/").unwrap()..];
    let a = Handset::new(base, Some(BOB), None)
        .get(&format!("{base}{path}"))
        .await;
    assert_eq!(a.status, 200, "stored message retrievable");
    let pdu = a.pdu();
    assert_eq!(pdu.message_type(), Some(MessageType::RETRIEVE_CONF));
    body_parts(&pdu).last().unwrap().body.to_vec()
}

fn image(len: usize) -> Vec<u8> {
    parts(len).last().unwrap().body.to_vec()
}

fn assert_storage_full(r: (ResponseStatus, Option<String>)) {
    assert_eq!(
        r.0,
        ResponseStatus::TRANSIENT_FAILURE,
        "refused with a transient status: {r:?}"
    );
    assert_eq!(r.1.as_deref(), Some("storage full, try again later"));
}

#[tokio::test]
async fn min_free_bytes_refuses_transiently_and_resumes_when_lowered() {
    let dir = tempfile::tempdir().unwrap();
    // Accepts while there is room.
    let s = Server::start(dir.path(), 1).await;
    assert_eq!(s.send("ok-1", 5000).await.0, ResponseStatus::OK);
    let url = s.location().await;
    s.stop().await;

    // Threshold above the free space: refused, the stored message intact.
    let free = free_bytes(dir.path()).unwrap();
    let s = Server::start(dir.path(), free + (1 << 30)).await;
    assert_storage_full(s.send("full-1", 5000).await);
    assert_storage_full(s.send("full-2", 10).await);
    assert_eq!(
        fetch_image(&s.base, &url).await,
        image(5000),
        "byte for byte"
    );
    s.stop().await;

    // Lowered again: accepted.
    let s = Server::start(dir.path(), 1).await;
    assert_eq!(s.send("ok-2", 3000).await.0, ResponseStatus::OK);
    let url2 = s.location().await;
    assert_ne!(url2, url);
    assert_eq!(fetch_image(&s.base, &url2).await, image(3000));
    s.stop().await;
}

/// A real full disk: a 6 MiB tmpfs filled to the last block.
#[tokio::test]
async fn full_file_system_refuses_transiently_and_resumes_when_space_returns() {
    let mnt = tempfile::tempdir().unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=6m", "tmpfs"])
        .arg(mnt.path())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        // Not root (or no mount(8)): the threshold test above covers the
        // refusal path; say so loudly.
        eprintln!("NOTE: cannot mount a tmpfs here; the real-ENOSPC case was not run");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg("-l").arg(self.0).status();
        }
    }
    let _guard = Unmount(mnt.path());
    let dir = mnt.path().join("mmsc");
    std::fs::create_dir_all(&dir).unwrap();
    let s = Server::start(&dir, 0).await;
    assert_eq!(s.send("ok-1", 20_000).await.0, ResponseStatus::OK);
    let url = s.location().await;
    // Fill the file system.
    let filler = mnt.path().join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0xA5u8; 4096];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.sync_all();
    }
    assert!(free_bytes(&dir).unwrap() < 8192, "file system full");
    assert_storage_full(s.send("full-1", 20_000).await);
    assert_eq!(
        fetch_image(&s.base, &url).await,
        image(20_000),
        "stored message intact"
    );
    // Space returns: accepted again, without a restart.
    std::fs::remove_file(&filler).unwrap();
    assert_eq!(s.send("ok-2", 20_000).await.0, ResponseStatus::OK);
    assert_eq!(fetch_image(&s.base, &url).await, image(20_000));
    s.stop().await;
}
