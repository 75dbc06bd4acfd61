//! `ferry demo`: the example network in a temporary directory, a picture
//! message sent to an immediate phone, to a deferred one (then fetched),
//! and (once MM4 exists) to another operator, with the timeline of every
//! protocol step; exits non-zero if any step failed. See docs/NETWORK.md.

use std::path::PathBuf;

use anyhow::{Result, bail};

/// Arguments of `ferry demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct DemoArgs {
    /// Keep the network's data here instead of a new temporary directory.
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

/// Runs the demo.
pub(crate) fn run(args: &DemoArgs) -> Result<()> {
    ferry_network::init_logging("error");
    let opts = ferry_network::demo::DemoOptions {
        data_dir: args.data_dir.clone(),
    };
    let outcome = ferry_network::block_on(ferry_network::demo::run(opts, &mut |line: &str| {
        println!("{line}")
    }))??;
    if outcome.ok() {
        Ok(())
    } else {
        bail!("the demo failed (see above)")
    }
}
