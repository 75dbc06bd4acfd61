//! `ferry bench`: N virtual phones send M messages through a whole network
//! (SMSC, push gateway, MMSC, durable stores) and the throughput and
//! latency percentiles of each stage are printed; see docs/PERFORMANCE.md
//! ("Network") and docs/NETWORK.md.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

/// Arguments of `ferry bench`.
#[derive(Debug, clap::Args)]
pub(crate) struct BenchArgs {
    /// Virtual phones (one SMPP session each).
    #[arg(long, default_value_t = 1000)]
    phones: usize,
    /// Messages in all.
    #[arg(long, default_value_t = 10_000)]
    messages: usize,
    /// Octets of each message's attachment.
    #[arg(long, default_value_t = 30 * 1024)]
    size: usize,
    /// Share of the phones that defer retrieval (then fetch at once), percent.
    #[arg(long, default_value_t = 20)]
    deferred: u8,
    /// Messages in flight at once, each from its M-Send.req until its recipient fetched it.
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    /// Offer this many messages per second (default: as fast as --concurrency allows).
    #[arg(long)]
    rate: Option<f64>,
    /// Ask for delivery reports (each one is one more push through the network).
    #[arg(long)]
    delivery_reports: bool,
    /// Keep the network's data here (default: a temporary directory, removed afterwards).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
}

/// Runs the benchmark and prints its report.
pub(crate) fn run(args: &BenchArgs) -> Result<()> {
    ferry_network::init_logging("error");
    let opts = ferry_network::bench::BenchOptions {
        phones: args.phones,
        messages: args.messages,
        size: args.size,
        deferred_percent: args.deferred,
        concurrency: args.concurrency,
        rate: args.rate,
        delivery_reports: args.delivery_reports,
        data_dir: args.data_dir.clone(),
        progress: !args.no_progress,
        stall_timeout: Duration::from_secs(30),
    };
    let report = ferry_network::block_on(ferry_network::bench::run(opts, &mut |l: &str| {
        eprintln!("{l}")
    }))??;
    println!("{report}");
    if report.failed > 0 || report.completed < args.messages as u64 {
        anyhow::bail!(
            "{} of {} messages did not complete",
            args.messages as u64 - report.completed,
            args.messages
        );
    }
    Ok(())
}
