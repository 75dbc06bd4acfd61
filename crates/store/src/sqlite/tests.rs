//! Tests of the SQLite backend: the shared battery, crash safety, disk full,
//! and the group-commit throughput measurement.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::*;
use crate::Store;
use crate::battery::{self, T0};

fn config(dir: &Path) -> SqliteConfig {
    SqliteConfig {
        password_cost: PasswordCost::Insecure,
        ..SqliteConfig::new(dir)
    }
}

/// Every body a file (none inside the database).
fn file_config(dir: &Path) -> SqliteConfig {
    SqliteConfig {
        inline_body_max: 0,
        ..config(dir)
    }
}

async fn open(dir: &Path) -> Store {
    open_with(config(dir)).await
}

async fn open_with(config: SqliteConfig) -> Store {
    let dir = config.dir.clone();
    Store::open_sqlite(config)
        .await
        .unwrap_or_else(|e| panic!("open {}: {e}", dir.display()))
}

/// The battery with the default configuration: the battery's bodies are
/// small, so all of them are stored inside the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn battery() {
    run_battery(config).await;
}

/// The battery again with every body a file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn battery_with_body_files() {
    run_battery(file_config).await;
}

/// The whole battery, each part on a fresh store opened with `config`.
async fn run_battery(config: fn(&Path) -> SqliteConfig) {
    let root = tempfile::tempdir().unwrap();
    let mut n = 0;
    battery::run_all(|| {
        n += 1;
        let dir = root.path().join(format!("store{n}"));
        async move { open_with(config(&dir)).await }
    })
    .await;
}

fn body_files(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("bodies")).unwrap().count()
}

/// Bodies up to the inline limit live in the database and leave no file;
/// larger ones are files; both read back, survive a reopen, and go at
/// garbage collection (rows and files alike).
#[tokio::test]
async fn inline_and_file_bodies() {
    let t = tempfile::tempdir().unwrap();
    let limit = 1000;
    let cfg = || SqliteConfig {
        inline_body_max: limit,
        ..config(t.path())
    };
    let s = SqliteBackend::open(cfg()).await.unwrap();
    let mut small = battery::message("small", &["+2"]);
    small.body = vec![7; limit];
    let mut large = battery::message("large", &["+2"]);
    large.body = (0..limit + 1).map(|i| i as u8).collect();
    let a = s.do_submit(small.clone(), T0).await.unwrap();
    let b = s.do_submit(large.clone(), T0).await.unwrap();
    assert_eq!(body_files(t.path()), 1, "only the large body is a file");
    assert_eq!(s.body_path("small").await.unwrap(), None);
    let path = s.body_path("large").await.unwrap().expect("a file");
    assert_eq!(std::fs::read(&path).unwrap(), large.body);
    s.do_close().await.unwrap();

    let s = Store::open_sqlite(cfg()).await.unwrap();
    assert_eq!(s.read_body("small").await.unwrap(), small.body);
    assert_eq!(s.read_body("large").await.unwrap(), large.body);
    // Both recipients final: both bodies are collectable.
    for sub in [&a, &b] {
        let key = RecipientKey::Token(sub.recipients[0].token.clone());
        s.update_recipient(key, RecipientUpdate::to(RecipientState::Rejected), T0 + 1)
            .await
            .unwrap();
    }
    let gc = s.collect_garbage(T0 + 2, None).await.unwrap();
    assert_eq!(gc.bodies_removed, 2);
    assert_eq!(gc.bytes_freed, (2 * limit + 1) as u64);
    assert_eq!(body_files(t.path()), 0);
    for id in ["small", "large"] {
        assert!(
            matches!(s.read_body(id).await, Err(StoreError::BodyGone(_))),
            "{id}"
        );
    }
    s.close().await.unwrap();
    // The inline row went with the collection.
    let s = SqliteBackend::open(cfg()).await.unwrap();
    let mut c = s.reader().await.unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM bodies")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    assert_eq!(rows, 0);
    drop(c);
    s.do_close().await.unwrap();
}

#[tokio::test]
async fn migrations_and_pragmas() {
    let t = tempfile::tempdir().unwrap();
    let s = SqliteBackend::open(config(t.path())).await.unwrap();
    let mut c = s.reader().await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let v: i64 = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    assert_eq!(v, 3, "schema 3: inline bodies");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('bodies', 'outbox', 'recipient_routes') \
         ORDER BY name",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap();
    assert_eq!(tables, ["bodies", "outbox", "recipient_routes"]);
    drop(c);
    s.do_close().await.unwrap();
    // Reopening runs no migration twice.
    let s = SqliteBackend::open(config(t.path())).await.unwrap();
    s.do_close().await.unwrap();
}

/// Submitted, then dropped without close (the writer connection and WAL
/// left as they are), then opened again: everything is there.
#[tokio::test]
async fn reopen_without_close() {
    let t = tempfile::tempdir().unwrap();
    let s = open(t.path()).await;
    let sub = s
        .submit(battery::message("keep", &["+2", "+3"]), T0)
        .await
        .unwrap();
    s.mark_retrieved(&sub.recipients[0].token, T0 + 1)
        .await
        .unwrap();
    s.add_subscriber(NewSubscriber::new("+2"), T0)
        .await
        .unwrap();
    // Not closed, not even dropped: like a process that died.
    std::mem::forget(s);

    let s = open(t.path()).await;
    assert_eq!(
        s.read_body("keep").await.unwrap(),
        battery::message("keep", &[]).body
    );
    let d = s.by_token(&sub.recipients[0].token).await.unwrap().unwrap();
    assert_eq!(d.recipient.state, RecipientState::Retrieved);
    let d = s.by_token(&sub.recipients[1].token).await.unwrap().unwrap();
    assert_eq!(d.recipient.state, RecipientState::Pending);
    assert!(s.subscriber("+2").await.unwrap().is_some());
    assert_eq!(
        s.counts(T0)
            .await
            .unwrap()
            .reports
            .get(&ReportState::Pending),
        Some(&1)
    );
    s.close().await.unwrap();
}

/// A temp body from an interrupted write, and a renamed body whose commit
/// never happened, are removed at open; real bodies stay.
#[tokio::test]
async fn crash_leftovers_cleaned_at_open() {
    let t = tempfile::tempdir().unwrap();
    let s = open_with(file_config(t.path())).await;
    s.submit(battery::message("real", &["+2"]), T0)
        .await
        .unwrap();
    s.close().await.unwrap();
    let bodies = t.path().join("bodies");
    let tmp = bodies.join(format!("{}.tmp", bodies::new_key()));
    let orphan = bodies.join(bodies::new_key());
    std::fs::write(&tmp, b"half a bo").unwrap();
    std::fs::write(&orphan, b"renamed but never committed").unwrap();
    assert_eq!(std::fs::read_dir(&bodies).unwrap().count(), 3);

    let s = open_with(file_config(t.path())).await;
    assert!(!tmp.exists(), "temp file left");
    assert!(!orphan.exists(), "orphan body left");
    assert_eq!(std::fs::read_dir(&bodies).unwrap().count(), 1);
    assert_eq!(
        s.read_body("real").await.unwrap(),
        battery::message("real", &[]).body
    );
    s.close().await.unwrap();
}

/// Crash test with a real process: a child submits concurrently and reports
/// each answered submission on stdout, then aborts mid-flight (no close, no
/// destructors). Every submission it was told succeeded must be there.
#[test]
fn killed_process_loses_nothing_answered() {
    killed_process_test(false);
}

/// The same with every body a file.
#[test]
fn killed_process_loses_nothing_answered_body_files() {
    killed_process_test(true);
}

fn crash_config(dir: &Path, files: bool) -> SqliteConfig {
    if files { file_config(dir) } else { config(dir) }
}

fn killed_process_test(files: bool) {
    let t = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "sqlite::tests::crash_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("FERRY_STORE_CRASH_DIR", t.path())
        .env("FERRY_STORE_CRASH_FILES", if files { "1" } else { "0" })
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut answered = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("ANSWERED ") {
            let mut it = rest.split(' ');
            answered.push((it.next().unwrap().to_owned(), it.next().unwrap().to_owned()));
        }
    }
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child must die by abort");
    assert!(
        answered.len() >= 50,
        "child answered only {} submissions",
        answered.len()
    );

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let s = open_with(crash_config(t.path(), files)).await;
        for (id, token) in &answered {
            let d = s
                .by_token(token)
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("{id} lost"));
            assert_eq!(&d.message.id, id);
            assert_eq!(s.read_body(id).await.unwrap(), vec![7u8; 30 * 1024], "{id}");
        }
        // Nothing half-written is visible: every stored message has its body.
        let c = s.counts(T0).await.unwrap();
        assert!(c.messages >= answered.len() as u64);
        assert_eq!(c.bodies, c.messages);
        let body_files = body_files(t.path()) as u64;
        assert_eq!(
            body_files,
            if files { c.messages } else { 0 },
            "orphans or temp files survived the reopen"
        );
        s.close().await.unwrap();
    });
}

/// Run by `killed_process_loses_nothing_answered` in a child process.
#[test]
#[ignore = "helper: run as a child process by killed_process_loses_nothing_answered"]
fn crash_child() {
    let Some(dir) = std::env::var_os("FERRY_STORE_CRASH_DIR") else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let files = std::env::var("FERRY_STORE_CRASH_FILES").is_ok_and(|v| v == "1");
    rt.block_on(async move {
        let s = Arc::new(open_with(crash_config(Path::new(&dir), files)).await);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        for i in 0..10_000 {
            let (s, tx) = (s.clone(), tx.clone());
            tokio::spawn(async move {
                let mut m = battery::message(&format!("crash{i}"), &["+2"]);
                m.body = vec![7u8; 30 * 1024];
                if let Ok(sub) = s.submit(m, T0).await {
                    let _ = tx.send(format!("ANSWERED {} {}", sub.id, sub.recipients[0].token));
                }
            });
        }
        let mut n = 0;
        while let Some(line) = rx.recv().await {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{line}").unwrap();
            out.flush().unwrap();
            n += 1;
            if n == 80 {
                std::process::abort();
            }
        }
    });
}

/// A full disk gives `StoreError::Full`, leaves no temp file and nothing
/// half-visible, and the store works again once space is freed. Needs a
/// small tmpfs, so root (or CAP_SYS_ADMIN); elsewhere it says it skipped.
#[tokio::test]
async fn disk_full_is_transient_and_clean() {
    disk_full_test(false).await;
}

/// The same with every body a file.
#[tokio::test]
async fn disk_full_is_transient_and_clean_body_files() {
    disk_full_test(true).await;
}

async fn disk_full_test(files: bool) {
    let t = tempfile::tempdir().unwrap();
    let mnt = t.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1536k", "tmpfs"])
        .arg(&mnt)
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !mounted {
        eprintln!(
            "SKIPPED disk_full_is_transient_and_clean: cannot mount a tmpfs here (not root?)"
        );
        return;
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
    let _guard = Unmount(mnt.clone());

    // Ballast the "operator" deletes once the disk has filled.
    let ballast = mnt.join("ballast");
    std::fs::write(&ballast, vec![0u8; 256 * 1024]).unwrap();
    let s = open_with(crash_config(&mnt, files)).await;
    let mut stored = Vec::new();
    let mut full = None;
    for i in 0..200 {
        let mut m = battery::message(&format!("f{i}"), &["+2"]);
        m.body = vec![1u8; 30 * 1024];
        match s.submit(m, T0).await {
            Ok(sub) => stored.push(sub),
            Err(e) => {
                full = Some((i, e));
                break;
            }
        }
    }
    let (i, e) = full.expect("the disk never filled");
    assert!(matches!(e, StoreError::Full { .. }), "{e:?}");
    assert!(e.is_transient());
    assert!(stored.len() > 10, "only {} stored", stored.len());
    assert_eq!(
        s.message(&format!("f{i}")).await.unwrap(),
        None,
        "failed submit is visible"
    );
    let names: Vec<String> = std::fs::read_dir(mnt.join("bodies"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        names.iter().all(|n| !n.ends_with(".tmp")),
        "temp file left: {names:?}"
    );
    assert_eq!(names.len(), if files { stored.len() } else { 0 });
    for sub in stored.iter().step_by(7) {
        assert_eq!(s.read_body(&sub.id).await.unwrap().len(), 30 * 1024);
    }
    // While full, a state change either fits in what the failed submit
    // freed, or fails as transient and changes nothing.
    let tok = &stored[0].recipients[0].token;
    match s.mark_retrieved(tok, T0).await {
        Ok(t) => assert!(t.changed),
        Err(e) => {
            assert!(e.is_transient(), "{e:?}");
            let d = s.by_token(tok).await.unwrap().unwrap();
            assert_eq!(d.recipient.state, RecipientState::Pending);
        }
    }
    // The operator frees space: retrieve half and collect; submitting works
    // again.
    std::fs::remove_file(&ballast).unwrap();
    for sub in stored.iter().take(stored.len() / 2) {
        s.mark_retrieved(&sub.recipients[0].token, T0)
            .await
            .unwrap();
        s.acknowledge(RecipientKey::Id(sub.recipients[0].id), None, T0)
            .await
            .unwrap();
    }
    let gc = s.collect_garbage(T0, None).await.unwrap();
    assert!(gc.bodies_removed > 5);
    let mut m = battery::message("after", &["+2"]);
    m.body = vec![2u8; 30 * 1024];
    s.submit(m, T0).await.expect("space was freed");
    s.close().await.unwrap();
}

/// Group commit throughput: each transaction is a durable submit of a 30 KB
/// message to two recipients (fsync of body, directory and WAL), then a
/// retrieval (lookup by token, body read, mark retrieved, which also queues a
/// delivery report). Prints transactions/s, submit latency and batch sizes.
/// `cargo test -p ferry-store --release -- --ignored --nocapture submit_throughput`
#[test]
#[ignore = "measurement; run with --release --ignored --nocapture"]
fn submit_throughput() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for &(concurrency, total) in &[(1usize, 200usize), (16, 2000), (64, 4000), (256, 6000)] {
            let t = tempfile::tempdir().unwrap();
            let backend = SqliteBackend::open(config(t.path())).await.unwrap();
            let stats = backend.writer_stats();
            let s = Arc::new(Store::new(backend));
            let body = Arc::new(vec![0x5au8; 30 * 1024]);
            let start = Instant::now();
            let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let mut workers = Vec::new();
            for _ in 0..concurrency {
                let (s, body, next) = (s.clone(), body.clone(), next.clone());
                workers.push(tokio::spawn(async move {
                    let mut lat = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= total {
                            return lat;
                        }
                        let mut m = battery::message(&format!("b{i}"), &["+2", "+3"]);
                        m.body = body.to_vec();
                        let t0 = Instant::now();
                        let sub = s.submit(m, T0).await.unwrap();
                        lat.push(t0.elapsed());
                        // The retrieval side of the transaction.
                        let tok = &sub.recipients[0].token;
                        s.by_token(tok).await.unwrap().unwrap();
                        s.read_body(&sub.id).await.unwrap();
                        s.mark_retrieved(tok, T0 + 1).await.unwrap();
                    }
                }));
            }
            let mut lat: Vec<Duration> = Vec::new();
            for w in workers {
                lat.extend(w.await.unwrap());
            }
            let el = start.elapsed();
            lat.sort();
            let p = |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)];
            let commits = stats.commits.load(Ordering::Relaxed).max(1);
            println!(
                "concurrency {concurrency:>3}: {total} submit+retrieve of 30 KB in {:.2}s = {:.0}/s; \
                 submit latency p50 {:.1} ms, p99 {:.1} ms; {} commits, mean batch {:.1}; per commit: \
                 dir sync {:.2} ms, statements {:.2} ms, COMMIT {:.2} ms",
                el.as_secs_f64(),
                total as f64 / el.as_secs_f64(),
                p(0.5).as_secs_f64() * 1e3,
                p(0.99).as_secs_f64() * 1e3,
                commits,
                stats.jobs.load(Ordering::Relaxed) as f64 / commits as f64,
                stats.dir_sync_ns.load(Ordering::Relaxed) as f64 / commits as f64 / 1e6,
                stats.run_ns.load(Ordering::Relaxed) as f64 / commits as f64 / 1e6,
                stats.commit_ns.load(Ordering::Relaxed) as f64 / commits as f64 / 1e6,
            );
            s.close().await.unwrap();
        }
    });
}

/// Many notification records at once (as the notifier sends them): applied
/// together, each with its own answer; a transaction id already taken is
/// refused alone and the others still land.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_records_each_answered() {
    let t = tempfile::tempdir().unwrap();
    let s = Arc::new(open(t.path()).await);
    let mut ids = Vec::new();
    for i in 0..40 {
        let sub = s
            .submit(battery::message(&format!("rec{i}"), &["+2"]), T0)
            .await
            .unwrap();
        ids.push(sub.recipients[0].id);
    }
    let claimed = s.claim_notifications(T0, 100, 30).await.unwrap();
    assert_eq!(claimed.len(), 40);
    let mut tasks = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let (s, id) = (s.clone(), *id);
        // Recipient 7 claims the transaction id that recipient 3 uses.
        let tid = if i == 7 {
            "bulk-3".to_owned()
        } else {
            format!("bulk-{i}")
        };
        tasks.push(tokio::spawn(async move {
            let attempt = NotifyAttempt {
                sent: i % 5 != 0,
                transaction_id: Some(tid),
                next_notify_at: Some(T0 + 60),
                error: (i % 5 == 0).then(|| "gateway down".to_owned()),
            };
            s.record_notification(id, attempt, T0 + 1).await
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    let mut refused = 0;
    for (i, r) in results.iter().enumerate() {
        match r {
            Ok(rcp) => {
                assert_eq!(rcp.id, ids[i]);
                assert_eq!(rcp.notify_attempts, 1, "{i}");
                assert_eq!(rcp.next_notify_at, Some(T0 + 60));
                let want = if i % 5 != 0 {
                    RecipientState::Notified
                } else {
                    RecipientState::Pending
                };
                assert_eq!(rcp.state, want, "{i}");
                assert_eq!(rcp.last_error.is_some(), i % 5 == 0);
                assert_eq!(rcp.message_id, format!("rec{i}"));
            }
            Err(StoreError::Duplicate { .. }) => {
                assert!(i == 3 || i == 7, "{i} refused");
                refused += 1;
            }
            Err(e) => panic!("{i}: {e}"),
        }
    }
    assert_eq!(
        refused, 1,
        "exactly one of the two holders of bulk-3 is refused"
    );
    // What the answers said is what is stored.
    for (i, id) in ids.iter().enumerate() {
        let d = s.delivery(&RecipientKey::Id(*id)).await.unwrap().unwrap();
        match &results[i] {
            Ok(r) => assert_eq!(&d.recipient, r),
            Err(_) => assert_eq!(d.recipient.notify_attempts, 0),
        }
    }
    // A record for a recipient that does not exist is refused alone.
    let attempt = NotifyAttempt {
        sent: true,
        transaction_id: None,
        next_notify_at: None,
        error: None,
    };
    assert!(matches!(
        s.record_notification(RecipientId(999_999), attempt, T0)
            .await,
        Err(StoreError::NotFound { .. })
    ));
}

/// Many state changes at once (retrievals, NotifyResps, as the MMSC sends
/// them): each answered as if alone, refusals alone, the same recipient
/// twice applied in order, live counts and delivery reports kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_updates_each_answered() {
    let t = tempfile::tempdir().unwrap();
    let s = Arc::new(open(t.path()).await);
    let mut subs = Vec::new();
    for i in 0..30 {
        // Two recipients each; the battery's messages ask for delivery reports.
        subs.push(
            s.submit(battery::message(&format!("up{i}"), &["+2", "+3"]), T0)
                .await
                .unwrap(),
        );
    }
    // Recipient "+3" of message 0 is already rejected: retrieving it is refused.
    s.update_recipient(
        RecipientKey::Id(subs[0].recipients[1].id),
        RecipientUpdate::to(RecipientState::Rejected),
        T0,
    )
    .await
    .unwrap();
    let reports_before = s
        .counts(T0)
        .await
        .unwrap()
        .reports
        .get(&ReportState::Pending)
        .copied()
        .unwrap_or(0);
    let mut tasks = Vec::new();
    for (i, sub) in subs.iter().enumerate() {
        for (j, r) in sub.recipients.iter().enumerate() {
            let s = s.clone();
            let key = RecipientKey::Token(r.token.clone());
            // The second recipient of odd messages defers instead, and
            // message 5's first recipient is retrieved twice.
            let to = if j == 1 && i % 2 == 1 {
                RecipientState::Deferred
            } else {
                RecipientState::Retrieved
            };
            let twice = i == 5 && j == 0;
            tasks.push(tokio::spawn(async move {
                let first = s
                    .update_recipient(key.clone(), RecipientUpdate::to(to), T0 + 1)
                    .await;
                let second = if twice {
                    Some(
                        s.update_recipient(key, RecipientUpdate::to(to), T0 + 1)
                            .await,
                    )
                } else {
                    None
                };
                (i, j, to, first, second)
            }));
        }
    }
    let unknown = {
        let s = s.clone();
        tokio::spawn(async move {
            s.update_recipient(
                RecipientKey::Token("no-such-token".into()),
                RecipientUpdate::to(RecipientState::Retrieved),
                T0 + 1,
            )
            .await
        })
    };
    let mut reports = 0;
    for task in tasks {
        let (i, j, to, first, second) = task.await.unwrap();
        if i == 0 && j == 1 {
            assert!(
                matches!(first, Err(StoreError::InvalidTransition { .. })),
                "{first:?}"
            );
            continue;
        }
        let tr = first.unwrap_or_else(|e| panic!("{i}/{j}: {e}"));
        assert!(tr.changed, "{i}/{j}");
        assert_eq!(tr.recipient.state, to);
        assert_eq!(
            tr.recipient.retrieved_at.is_some(),
            to == RecipientState::Retrieved
        );
        assert!(tr.report.is_some(), "{i}/{j}: delivery report queued");
        reports += 1;
        if let Some(second) = second {
            let again = second.unwrap();
            assert!(
                !again.changed && again.report.is_none(),
                "a repeat changes nothing"
            );
        }
        let d = s
            .delivery(&RecipientKey::Id(tr.recipient.id))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            d.recipient, tr.recipient,
            "{i}/{j}: the answer is what is stored"
        );
    }
    assert!(matches!(
        unknown.await.unwrap(),
        Err(StoreError::NotFound { .. })
    ));
    let after = s
        .counts(T0 + 1)
        .await
        .unwrap()
        .reports
        .get(&ReportState::Pending)
        .copied()
        .unwrap_or(0);
    assert_eq!(after - reports_before, reports);
    // Live counts: even messages have both recipients final (message 0:
    // retrieved + rejected), odd ones one deferred: only even bodies go.
    for (i, sub) in subs.iter().enumerate() {
        for (j, r) in sub.recipients.iter().enumerate() {
            if !(j == 1 && (i % 2 == 1 || i == 0)) {
                s.acknowledge(RecipientKey::Id(r.id), None, T0 + 1)
                    .await
                    .unwrap();
            }
        }
    }
    let gc = s.collect_garbage(T0 + 2, None).await.unwrap();
    assert_eq!(gc.bodies_removed, 15);
    for (i, sub) in subs.iter().enumerate() {
        let present = s.message(&sub.id).await.unwrap().unwrap().body_present;
        assert_eq!(present, i % 2 == 1, "message {i}");
    }
}

/// The subscriber cache: changes through the same store are seen at once,
/// changes by another process (here: another store on the same directory)
/// within the cache's age; unknown subscribers are never remembered.
#[tokio::test]
async fn subscriber_cache() {
    let t = tempfile::tempdir().unwrap();
    let s = open(t.path()).await;
    let age = Duration::from_millis(300);
    assert_eq!(s.subscriber_cached("+7", age).await.unwrap(), None);
    let other = open(t.path()).await;
    other
        .add_subscriber(NewSubscriber::new("+7"), T0)
        .await
        .unwrap();
    // Not remembered as absent: seen at once.
    assert!(s.subscriber_cached("+7", age).await.unwrap().is_some());
    // Removed elsewhere: still remembered for up to `age`, then gone.
    assert!(other.remove_subscriber("+7").await.unwrap());
    assert!(s.subscriber_cached("+7", age).await.unwrap().is_some());
    tokio::time::sleep(age).await;
    assert_eq!(s.subscriber_cached("+7", age).await.unwrap(), None);
    // Through this store: at once.
    s.add_subscriber(NewSubscriber::new("+8"), T0)
        .await
        .unwrap();
    assert!(s.subscriber_cached("+8", age).await.unwrap().is_some());
    assert!(s.remove_subscriber("+8").await.unwrap());
    assert_eq!(s.subscriber_cached("+8", age).await.unwrap(), None);
    other.close().await.unwrap();
    s.close().await.unwrap();
}
