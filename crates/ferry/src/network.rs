//! `ferry network up CONFIG.toml`: a whole Ferry network in one process
//! (per operator an SMSC, a push gateway, an MMSC behind a recording MMS
//! proxy, and its phones), printing the timeline of every protocol step as
//! it happens; see docs/NETWORK.md and examples/network.toml.

use std::path::PathBuf;

use anyhow::Result;
use ferry_network::NetworkConfig;

/// Arguments of `ferry network`.
#[derive(Debug, clap::Args)]
pub(crate) struct NetworkArgs {
    #[command(subcommand)]
    command: NetworkCommand,
}

#[derive(Debug, clap::Subcommand)]
enum NetworkCommand {
    /// Start everything the configuration describes, until Ctrl-C.
    Up {
        /// The network configuration (TOML); `FERRY_NETWORK__KEY=value` overrides keys.
        #[arg(default_value = "examples/network.toml")]
        config: PathBuf,
        /// Keep the data here instead of the configuration's `data_dir`.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Do not print the timeline of protocol steps.
        #[arg(long)]
        quiet: bool,
    },
}

/// Runs a `ferry network` command.
pub(crate) fn run(args: &NetworkArgs) -> Result<()> {
    ferry_network::init_logging("warn");
    match &args.command {
        NetworkCommand::Up {
            config,
            data_dir,
            quiet,
        } => {
            let mut c = NetworkConfig::load(config)?;
            if let Some(d) = data_dir {
                c.data_dir = d.clone();
            }
            ferry_network::network::up_blocking(c, *quiet, |line| println!("{line}"))
        }
    }
}
