//! `ferry faults`: the fault test — an operator's SMSC, push gateway and MMSC
//! as child processes of this binary, virtual phones sending at a steady
//! rate, servers SIGKILLed at random moments and restarted; at the end every
//! message whose M-Send.conf said Ok must be in its recipient's inbox
//! exactly once, byte for byte (or have a delivery report saying why not).
//! See docs/RELIABILITY.md ("Faults").

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use ferry_network::faults::{FaultOptions, Outage, Role};

/// Arguments of `ferry faults`.
#[derive(Debug, clap::Args)]
pub(crate) struct FaultsArgs {
    /// Virtual phones (one SMPP session each).
    #[arg(long, default_value_t = 20)]
    phones: usize,
    /// Messages per second offered.
    #[arg(long, default_value_t = 10.0)]
    rate: f64,
    /// Seconds of sending (and killing).
    #[arg(long, default_value_t = 60)]
    duration: u64,
    /// Octets of each message's attachment.
    #[arg(long, default_value_t = 4096)]
    size: usize,
    /// Seed of the random kills (default: random; printed either way).
    #[arg(long)]
    seed: Option<u64>,
    /// Servers killed at random (comma-separated: smsc,ppg,mmsc; empty: none).
    #[arg(long, default_value = "smsc,ppg,mmsc", value_delimiter = ',')]
    kill: Vec<String>,
    /// Seconds between a restart and the next kill, MIN-MAX.
    #[arg(long, default_value = "2-6")]
    kill_every: String,
    /// Seconds a killed server stays down, MIN-MAX (fractions allowed).
    #[arg(long, default_value = "0.2-2")]
    down_for: String,
    /// A planned outage, ROLE@AT+FOR in seconds (e.g. smsc@10+60: the SMSC
    /// goes away 10 s into the run for a minute). Repeatable.
    #[arg(long)]
    outage: Vec<String>,
    /// Seconds without progress after which the wait for the last deliveries ends.
    #[arg(long, default_value_t = 60)]
    settle: u64,
    /// Keep the servers' data and logs here (default: a temporary directory).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

fn range(s: &str) -> Result<(Duration, Duration)> {
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let p = |x: &str| -> Result<Duration> {
        Ok(Duration::from_secs_f64(x.trim().parse().with_context(
            || format!("{x:?} is no number of seconds"),
        )?))
    };
    Ok((p(a)?, p(b)?))
}

fn outage(s: &str) -> Result<Outage> {
    let (role, rest) = s.split_once('@').context("an outage is ROLE@AT+FOR")?;
    let (at, down) = rest.split_once('+').context("an outage is ROLE@AT+FOR")?;
    let secs = |x: &str| -> Result<Duration> {
        Ok(Duration::from_secs_f64(x.parse().with_context(|| {
            format!("{x:?} is no number of seconds")
        })?))
    };
    Ok(Outage {
        role: role.parse()?,
        at: secs(at)?,
        down_for: secs(down)?,
    })
}

/// Runs the fault test and prints its report; fails when a message was lost
/// or delivered twice.
pub(crate) fn run(args: &FaultsArgs) -> Result<()> {
    ferry_network::init_logging("error");
    let mut opts = FaultOptions::new(std::env::current_exe().context("finding the ferry binary")?);
    opts.phones = args.phones;
    opts.rate = args.rate;
    opts.duration = Duration::from_secs(args.duration);
    opts.size = args.size;
    if let Some(s) = args.seed {
        opts.seed = s;
    }
    opts.targets = args
        .kill
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<Role>())
        .collect::<Result<_>>()?;
    opts.kill_every = range(&args.kill_every)?;
    opts.down_for = range(&args.down_for)?;
    opts.outages = args
        .outage
        .iter()
        .map(|s| outage(s))
        .collect::<Result<_>>()?;
    opts.settle = Duration::from_secs(args.settle);
    opts.data_dir = args.data_dir.clone();
    let report = ferry_network::block_on(ferry_network::faults::run(opts, &mut |l: &str| {
        eprintln!("{l}")
    }))??;
    println!("{report}");
    if report.failed() {
        anyhow::bail!(
            "{} lost, {} duplicated, {} corrupted, {} misdelivered (seed {})",
            report.lost,
            report.duplicates,
            report.corrupted,
            report.misdelivered,
            report.seed
        );
    }
    Ok(())
}
