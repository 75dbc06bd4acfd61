//! The fault test, short: SMSC, push gateway and MMSC as child processes of
//! the `ferry` binary under load, with a peer operator (its own SMSC, PPG
//! and MMSC, MM4 between the MMSCs) receiving a share of the messages,
//! killed with SIGKILL (the peer's MMSC too) and restarted; and the
//! links-away case (a server gone for seconds while the others queue). The
//! long run is `ferry faults` (docs/RELIABILITY.md, "Faults").

use std::time::Duration;

use ferry_network::faults::{FaultOptions, FaultReport, Outage, Role, ServerId};

fn opts() -> FaultOptions {
    let mut o = FaultOptions::new(env!("CARGO_BIN_EXE_ferry").into());
    o.phones = 10;
    o.rate = 5.0;
    o.size = 3000;
    o.settle = Duration::from_secs(45);
    o
}

fn run(o: FaultOptions) -> FaultReport {
    let r = ferry_network::block_on(ferry_network::faults::run(o, &mut |l: &str| {
        eprintln!("{l}")
    }))
    .unwrap()
    .unwrap();
    eprintln!("{r}");
    r
}

fn outage(server: &str, at: u64, down_ms: u64) -> Outage {
    Outage {
        server: server.parse().unwrap(),
        at: Duration::from_secs(at),
        down_for: Duration::from_millis(down_ms),
    }
}

#[test]
fn sigkilled_servers_lose_and_duplicate_no_message() {
    let mut o = opts();
    o.duration = Duration::from_secs(25);
    o.seed = 7;
    o.kill_every = (Duration::from_secs(2), Duration::from_secs(5));
    o.down_for = (Duration::from_millis(200), Duration::from_millis(1500));
    o.cross = 30.0;
    // Each server at least once, whatever the random draw; the peer
    // operator's MMSC twice (once while it holds MM4 forwards to notify).
    o.outages = vec![
        outage("mmsc", 3, 800),
        outage("peer-mmsc", 6, 800),
        outage("smsc", 9, 800),
        outage("ppg", 15, 800),
        outage("peer-mmsc", 19, 1200),
    ];
    let r = run(o);
    assert!(
        r.sent >= 60,
        "too few messages got through to judge: {}",
        r.sent
    );
    let kills = |id: ServerId| r.kills.iter().find(|(s, _)| *s == id).map_or(0, |k| k.1);
    for role in [Role::Smsc, Role::Ppg, Role::Mmsc] {
        assert!(
            kills(ServerId::new(0, role)) >= 1,
            "op0 {role:?} was never killed"
        );
    }
    assert!(
        kills(ServerId::new(1, Role::Mmsc)) >= 2,
        "the peer MMSC was not killed twice: {:?}",
        r.kills
    );
    assert!(
        r.cross_sent >= 10,
        "too few messages to the peer operator: {}",
        r.cross_sent
    );
    assert_eq!(
        r.cross_delivered, r.cross_sent,
        "every message to the peer operator delivered over MM4"
    );
    assert!(r.kills_total() >= 5, "only {} kills", r.kills_total());
    assert!(
        r.rebinds >= 10,
        "the phones did not rebind after the SMSC came back ({})",
        r.rebinds
    );
    assert_eq!(r.lost, 0, "lost messages");
    assert_eq!(r.duplicates, 0, "duplicated messages");
    assert_eq!(r.corrupted, 0, "corrupted messages");
    assert_eq!(r.misdelivered, 0, "misdelivered messages");
    assert_eq!(r.delivered + r.reported, r.sent);
    assert!(!r.failed());
}

#[test]
fn links_away_queue_durably_and_resume() {
    let mut o = opts();
    o.duration = Duration::from_secs(22);
    o.targets.clear();
    o.outages = vec![outage("smsc", 2, 6000), outage("ppg", 11, 6000)];
    let r = run(o);
    let peak = |down: &str, gauge: &str| {
        r.backlogs
            .iter()
            .find(|(w, g, _)| {
                w.starts_with(&format!("op0-{down} "))
                    && g.starts_with("op0-")
                    && g.ends_with(gauge)
            })
            .map_or(0.0, |b| b.2)
    };
    // SMSC away: the push gateway holds the pushes (accepted, not submitted).
    assert!(
        peak("smsc", "ppg_queue_depth") > 0.0,
        "no PPG backlog while the SMSC was away: {:?}",
        r.backlogs
    );
    // Push gateway away: the MMSC holds the notifications.
    assert!(
        peak("ppg", "mmsc_recipients{state=\"pending\"}") > 0.0,
        "no MMSC backlog while the PPG was away: {:?}",
        r.backlogs
    );
    assert_eq!(r.lost, 0);
    assert_eq!(r.duplicates, 0);
    assert_eq!(
        r.delivered, r.sent,
        "everything delivered once the links came back"
    );
    assert!(r.sent >= 80);
}
