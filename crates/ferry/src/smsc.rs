//! `ferry smsc`: runs Ferry's SMSC (SMPP 3.4 server) from a configuration
//! file; see docs/SMSC.md and examples/smsc.toml.

use std::path::PathBuf;

/// Arguments of `ferry smsc`.
#[derive(Debug, clap::Args)]
pub(crate) struct SmscArgs {
    /// The configuration file (TOML); `FERRY_SMSC__KEY=value` overrides keys.
    #[arg(long, short, default_value = "examples/smsc.toml")]
    config: PathBuf,
}

/// Runs the SMSC until SIGINT or SIGTERM.
pub(crate) fn run(args: &SmscArgs) -> anyhow::Result<()> {
    ferry_smsc::run_blocking(&args.config)
}
