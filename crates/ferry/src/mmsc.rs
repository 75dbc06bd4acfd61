//! `ferry mmsc`: runs the MMSC, and manages its subscriber and number-portability tables.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use ferry_mmsc::store::NewSubscriber;

/// `ferry mmsc --config FILE [subscriber|portability add|list|remove]`.
#[derive(Debug, Args)]
pub(crate) struct MmscArgs {
    /// The MMSC's configuration file (TOML; see examples/mmsc.toml).
    #[arg(long, short)]
    config: PathBuf,
    #[command(subcommand)]
    command: Option<MmscCommand>,
}

#[derive(Debug, Subcommand)]
enum MmscCommand {
    /// Manage the subscriber table (without a subcommand: run the server).
    Subscriber {
        #[command(subcommand)]
        command: SubscriberCommand,
    },
    /// Manage the number-portability table (numbers served by another
    /// operator than their range says; needs [routing]).
    Portability {
        #[command(subcommand)]
        command: PortabilityCommand,
    },
}

#[derive(Debug, Subcommand)]
enum PortabilityCommand {
    /// Record that a number is served by OPERATOR (a routing.operators name, or routing.own_name for us).
    Add {
        /// The number (international or national form).
        number: String,
        /// The operator's name.
        operator: String,
    },
    /// List the ported numbers.
    List,
    /// Remove a number (it goes back to its range's operator).
    Remove {
        /// The number.
        number: String,
    },
}

#[derive(Debug, Subcommand)]
enum SubscriberCommand {
    /// Add a subscriber.
    Add {
        /// Its MSISDN, international format (+15551234567).
        msisdn: String,
        /// HTTP Basic user name (for handsets not behind a trusted proxy).
        #[arg(long)]
        username: Option<String>,
        /// Read the HTTP Basic password from this environment variable.
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
        /// Barred from sending.
        #[arg(long)]
        barred: bool,
        /// May hide its address from recipients (X-Mms-Sender-Visibility).
        #[arg(long)]
        may_hide_sender: bool,
        /// Largest message it may send, octets.
        #[arg(long, value_name = "OCTETS")]
        max_size: Option<u64>,
        /// Handset profile (free text, e.g. a UAProf URL).
        #[arg(long)]
        profile: Option<String>,
    },
    /// List the subscribers.
    List,
    /// Remove a subscriber.
    Remove {
        /// Its MSISDN.
        msisdn: String,
    },
}

pub(crate) fn run(args: &MmscArgs) -> anyhow::Result<()> {
    let config = &args.config;
    match &args.command {
        None => ferry_mmsc::cli::serve(config),
        Some(MmscCommand::Portability { command }) => match command {
            PortabilityCommand::Add { number, operator } => {
                let n = ferry_mmsc::cli::portability_add(config, number, operator)?;
                println!("{n}\t{operator}");
                Ok(())
            }
            PortabilityCommand::List => {
                for (n, op) in ferry_mmsc::cli::portability_list(config)? {
                    println!("{n}\t{op}");
                }
                Ok(())
            }
            PortabilityCommand::Remove { number } => {
                if ferry_mmsc::cli::portability_remove(config, number)? {
                    println!("removed {number}");
                    Ok(())
                } else {
                    anyhow::bail!("{number} is not in the portability table")
                }
            }
        },
        Some(MmscCommand::Subscriber { command }) => match command {
            SubscriberCommand::Add { msisdn, username, password_env, barred, may_hide_sender, max_size, profile } => {
                let password = match password_env {
                    Some(var) => Some(std::env::var(var).map_err(|_| anyhow::anyhow!("environment variable {var} is not set"))?),
                    None => None,
                };
                let mut s = NewSubscriber::new(msisdn.clone());
                s.username = username.clone();
                s.password = password;
                s.may_send = !barred;
                s.may_hide_sender = *may_hide_sender;
                s.max_message_size = *max_size;
                s.profile = profile.clone();
                let added = ferry_mmsc::cli::subscriber_add(config, s)?;
                println!("added {}", ferry_mmsc::cli::format_subscriber(&added));
                Ok(())
            }
            SubscriberCommand::List => {
                for s in ferry_mmsc::cli::subscriber_list(config)? {
                    println!("{}", ferry_mmsc::cli::format_subscriber(&s));
                }
                Ok(())
            }
            SubscriberCommand::Remove { msisdn } => {
                if ferry_mmsc::cli::subscriber_remove(config, msisdn)? {
                    println!("removed {msisdn}");
                    Ok(())
                } else {
                    anyhow::bail!("no subscriber {msisdn}")
                }
            }
        },
    }
}
