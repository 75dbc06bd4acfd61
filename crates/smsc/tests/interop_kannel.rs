//! Kannel (bearerbox + wapbox, Debian `kannel`, `kannel-extras`) against
//! Ferry's SMSC: bearerbox binds to Ferry over SMPP; a PAP push to wapbox's
//! PPG makes it submit a two-segment WAP push, which a handset bound to
//! Ferry with its MSISDN receives byte for byte. Needs the peers of
//! `scripts/peers/install.sh`; fails (never skips) without them.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Client;
use ferry_smpp::{BindMode, Body, CommandStatus};

const PHONE: &str = "4790000077";

fn shim() -> PathBuf {
    let p = std::env::var_os("FERRY_BIND_SHIM")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../target/peers/bind-loopback.so"
            ))
        });
    assert!(
        p.exists(),
        "bind shim not found at {} (FERRY_BIND_SHIM): run scripts/peers/install.sh",
        p.display()
    );
    p
}

fn kannel_bin(name: &str) -> PathBuf {
    let p = Path::new("/usr/sbin").join(name);
    assert!(
        p.exists(),
        "Kannel's {name} not found at {}: run scripts/peers/install.sh",
        p.display()
    );
    p
}

fn free_port() -> u16 {
    ferry_service::ports::free_port().unwrap()
}

/// Kills the Kannel processes this test started.
struct Procs(Vec<Child>);

impl Drop for Procs {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

async fn wait_listening(port: u16, what: &str, logs: &Path) {
    let t = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "{what} did not listen on {port}:\n{}",
            tail_logs(logs)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn tail_logs(dir: &Path) -> String {
    let mut s = String::new();
    for f in ["bearerbox.log", "wapbox.log", "bearerbox.out", "wapbox.out"] {
        let text = std::fs::read_to_string(dir.join(f)).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        s += &format!(
            "--- {f}\n{}\n",
            lines[lines.len().saturating_sub(30)..].join("\n")
        );
    }
    s
}

fn kannel_conf(dir: &Path, smsc_port: u16, ports: [u16; 4]) -> String {
    let [admin, wapbox, smsbox, ppg] = ports;
    let d = dir.display();
    format!(
        r#"group = core
admin-port = {admin}
admin-password = adminpw
wapbox-port = {wapbox}
smsbox-port = {smsbox}
log-file = "{d}/bearerbox.log"
log-level = 1
box-allow-ip = "127.0.0.1"

group = smsbox
bearerbox-host = 127.0.0.1

group = smsc
smsc = smpp
smsc-id = ferry
host = 127.0.0.1
port = {smsc_port}
receive-port = 0
transceiver-mode = true
smsc-username = "kannel"
smsc-password = "kpass"
system-type = ""
interface-version = 34
source-addr-ton = 0
source-addr-npi = 1
dest-addr-ton = 1
dest-addr-npi = 1
enquire-link-interval = 30
reconnect-delay = 2
msg-id-type = 0x01

group = wapbox
bearerbox-host = 127.0.0.1
log-file = "{d}/wapbox.log"
log-level = 1

group = ppg
ppg-port = {ppg}
ppg-url = "/cgi-bin/wap-push.cgi"
ppg-allow-ip = "127.0.0.1"
trusted-pi = false
concurrent-pushes = 10
users = 10
default-smsc = ferry
global-sender = 9200

group = wap-push-user
wap-push-user = ferry
ppg-username = pushuser
ppg-password = pushpass
allowed-prefix = "+47"
allow-ip = "127.0.0.1"
"#
    )
}

/// The M-Notification.ind pushed (long enough for two segments).
fn notification() -> Vec<u8> {
    let mut n = vec![0x8C, 0x82, 0x98];
    n.extend_from_slice(b"T0123456789\0");
    n.extend_from_slice(&[0x8D, 0x93, 0x89, 0x17, 0x80]);
    n.extend_from_slice(b"+4790000001/TYPE=PLMN\0");
    n.extend_from_slice(&[
        0x8A, 0x80, 0x8E, 0x02, 0x07, 0xD0, 0x88, 0x05, 0x81, 0x03, 0x01, 0x51, 0x80, 0x83,
    ]);
    n.extend_from_slice(b"http://mmsc.ferry.test/m/aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\0");
    n
}

async fn pap_push(ppg: u16, content: &[u8]) -> String {
    let pap = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE pap PUBLIC \"-//WAPFORUM//DTD PAP 1.0//EN\" \
         \"http://www.wapforum.org/DTD/pap_1.0.dtd\">\n<pap><push-message push-id=\"ferry-1@ferry.test\">\
         <address address-value=\"WAPPUSH=+{PHONE}/TYPE=PLMN@ppg.ferry.test\"/>\
         <quality-of-service delivery-method=\"unconfirmed\"/></push-message></pap>"
    );
    let mut body = b"\r\n--ferryboundary\r\nContent-Type: application/xml\r\n\r\n".to_vec();
    body.extend_from_slice(pap.as_bytes());
    body.extend_from_slice(
        b"\r\n--ferryboundary\r\nContent-Type: application/vnd.wap.mms-message\r\n\
          X-WAP-Application-Id: x-wap-application:mms.ua\r\n\r\n",
    );
    body.extend_from_slice(content);
    body.extend_from_slice(b"\r\n--ferryboundary--\r\n");
    let head = format!(
        "POST /cgi-bin/wap-push.cgi?username=pushuser&password=pushpass HTTP/1.0\r\nHost: 127.0.0.1\r\n\
         Content-Type: multipart/related; boundary=ferryboundary; type=\"application/xml\"\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", ppg))
        .await
        .unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kannel_binds_and_sends_wap_push_through_ferry() {
    let shim = shim();
    let bearerbox = kannel_bin("bearerbox");
    let wapbox = kannel_bin("wapbox");
    let mut cfg = common::config("memory");
    cfg.accounts.push(ferry_smsc::Account {
        system_id: "kannel".into(),
        password: "kpass".into(),
        role: ferry_smsc::AccountRole::Gateway,
        bind_types: vec![],
        msisdns: vec![],
        prefixes: vec![],
    });
    let smsc = common::start(cfg).await;
    let mut handset = Client::connect(smsc.local_addr()).await;
    assert_eq!(
        handset
            .bind(BindMode::Receiver, "handset", "phone", PHONE)
            .await,
        CommandStatus::ESME_ROK
    );

    let dir = tempfile::tempdir().unwrap();
    let ports = [free_port(), free_port(), free_port(), free_port()];
    let conf = dir.path().join("kannel.conf");
    std::fs::write(
        &conf,
        kannel_conf(dir.path(), smsc.local_addr().port(), ports),
    )
    .unwrap();
    let spawn = |bin: &Path, out: &str| {
        Command::new(bin)
            .arg(&conf)
            .env("LD_PRELOAD", &shim)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.path().join(out)).unwrap())
            .stderr(Stdio::from(
                std::fs::File::create(dir.path().join(format!("{out}.err"))).unwrap(),
            ))
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()))
    };
    let mut procs = Procs(vec![spawn(&bearerbox, "bearerbox.out")]);
    wait_listening(ports[1], "bearerbox", dir.path()).await;
    procs.0.push(spawn(&wapbox, "wapbox.out"));
    wait_listening(ports[3], "wapbox's PPG", dir.path()).await;
    // bearerbox binds to Ferry as a transceiver (it takes receipts).
    let t = Instant::now();
    while smsc.bound_sessions() < 2 {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "bearerbox did not bind:\n{}",
            tail_logs(dir.path())
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let content = notification();
    let resp = pap_push(ports[3], &content).await;
    assert!(
        resp.contains("code =\"1001\"") || resp.contains("code=\"1001\""),
        "PAP answer: {resp}\n{}",
        tail_logs(dir.path())
    );

    let mut payload = Vec::new();
    let mut refs = Vec::new();
    for i in 1..=2u8 {
        let p = tokio::time::timeout(Duration::from_secs(20), handset.deliver())
            .await
            .unwrap_or_else(|_| panic!("segment {i} did not arrive:\n{}", tail_logs(dir.path())));
        let Body::DeliverSm(d) = p.pdu().body else {
            panic!()
        };
        assert_eq!(d.esm_class.0, 0x43, "esm_class as Kannel sent it");
        assert_eq!(d.data_coding.0, 0x04);
        assert_eq!(d.source.addr, b"9200");
        assert_eq!(d.destination.addr, PHONE.as_bytes());
        let sm = d.short_message;
        // UDH: 16-bit ports 2948 <- 9200, 8-bit concatenation: ref, 2, seq.
        assert_eq!(
            &sm[..7],
            &[0x0B, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0],
            "{}",
            hex::encode(sm)
        );
        assert_eq!(&sm[7..9], &[0x00, 0x03]);
        assert_eq!(&sm[10..12], &[2, i]);
        refs.push(sm[9]);
        assert_eq!(
            d.tlvs.more_messages_to_send(),
            if i == 1 { Some(1) } else { None }
        );
        payload.extend_from_slice(&sm[12..]);
    }
    assert_eq!(refs[0], refs[1]);
    // The WSP push: TID, PDU type 0x06, the textual content type, then
    // (after the headers) the notification byte for byte.
    assert_eq!(payload[1], 0x06);
    let ct = b"application/vnd.wap.mms-message\0";
    assert!(
        payload.windows(ct.len()).any(|w| w == ct),
        "{}",
        hex::encode(&payload)
    );
    assert!(payload.ends_with(&content), "{}", hex::encode(&payload));
    drop(procs);
    smsc.shutdown().await;
}
