//! `ferry bench` on the example network: a small run completes every
//! message with none failed (the load generator is part of the product).

use std::time::Duration;

use ferry_network::bench::{BenchOptions, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_bench_completes_every_message() {
    let opts = BenchOptions {
        phones: 20,
        messages: 60,
        size: 2_000,
        concurrency: 8,
        delivery_reports: true,
        progress: false,
        stall_timeout: Duration::from_secs(30),
        ..BenchOptions::default()
    };
    let report = run(opts, &mut |line: &str| eprintln!("{line}")).await.expect("bench runs");
    assert_eq!(report.completed, 60, "{report:?}");
    assert_eq!(report.failed, 0, "{report:?}");
    assert!(report.reports > 0, "delivery reports reach the senders: {report:?}");
}
