//! `ferry faults`: the fault test — an operator's SMSC, push gateway and MMSC
//! (and a peer operator's, reached over MM4)
//! as child processes of this binary, virtual phones sending at a steady
//! rate, servers SIGKILLed at random moments and restarted; at the end every
//! message whose M-Send.conf said Ok must be in its recipient's inbox
//! exactly once, byte for byte (or have a delivery report saying why not).
//! See docs/RELIABILITY.md ("Faults").

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use ferry_network::faults::{FaultOptions, Outage, ServerId};

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
    /// Servers killed at random, comma-separated: smsc, ppg, mmsc (the
    /// sending operator's), peer-mmsc, peer-smsc, peer-ppg (the peer
    /// operator's); empty: none.
    #[arg(long, default_value = "smsc,ppg,mmsc,peer-mmsc", value_delimiter = ',')]
    kill: Vec<String>,
    /// Percentage of the messages sent to the peer operator's phones (a
    /// second operator with its own SMSC, PPG and MMSC, reached over MM4);
    /// 0: no second operator.
    #[arg(long, default_value_t = 25.0)]
    cross: f64,
    /// Virtual phones of the peer operator.
    #[arg(long, default_value_t = 5)]
    peer_phones: usize,
    /// Seconds between a restart and the next kill, MIN-MAX.
    #[arg(long, default_value = "2-6")]
    kill_every: String,
    /// Seconds a killed server stays down, MIN-MAX (fractions allowed).
    #[arg(long, default_value = "0.2-2")]
    down_for: String,
    /// A planned outage, SERVER@AT+FOR in seconds (e.g. smsc@10+60: the SMSC
    /// goes away 10 s into the run for a minute; peer-mmsc@5+3). Repeatable.
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
    let (server, rest) = s.split_once('@').context("an outage is SERVER@AT+FOR")?;
    let (at, down) = rest.split_once('+').context("an outage is SERVER@AT+FOR")?;
    let secs = |x: &str| -> Result<Duration> {
        Ok(Duration::from_secs_f64(x.parse().with_context(|| {
            format!("{x:?} is no number of seconds")
        })?))
    };
    Ok(Outage {
        server: server.parse()?,
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
        .map(|s| s.parse::<ServerId>())
        .collect::<Result<_>>()?;
    opts.cross = args.cross;
    opts.peer_phones = args.peer_phones;
    if args.cross <= 0.0 {
        // No second operator: its servers are not there to kill.
        opts.targets.retain(|t| t.operator == 0);
    }
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
