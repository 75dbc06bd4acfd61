//! `ferry`: the Ferry MMS system in one binary. Each server or tool is a
//! subcommand; today `ferry decode` prints what a PDU holds.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod decode;
mod decode_sms;
mod ppg;
mod smsc;
mod phone;
mod network;
mod demo;
mod bench;
mod mmsc;
mod faults;

/// mimalloc instead of glibc's malloc: per-thread free lists without the
/// arena locks and consolidation glibc's allocator showed in the profiles
/// (about a tenth of the push gateway's CPU). The libraries cannot choose
/// the allocator; the binary does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Ferry: an MMS system (MMSC, push gateway, SMSC, handsets).
#[derive(Debug, Parser)]
#[command(name = "ferry", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Decode a bare MMS PDU, a WSP Push PDU, or SMS TPDUs carrying one
    /// (binary or hex text), and print every layer and header.
    Decode(decode::DecodeArgs),
    /// Run the SMSC: an SMPP 3.4 server with store and forward.
    Smsc(smsc::SmscArgs),
    /// Run the WAP Push Proxy Gateway, push through one, or benchmark it against Kannel.
    Ppg(ppg::PpgArgs),
    /// A simulated handset (MMS user agent): watch, inbox, show, fetch, read, send.
    Phone(phone::PhoneArgs),
    /// Run a whole network (per operator an SMSC, a push gateway, an MMSC and phones) in one process.
    Network(network::NetworkArgs),
    /// Start the example network in a temporary directory and send a picture message, with the timeline of every step.
    Demo(demo::DemoArgs),
    /// Load generator: virtual phones send messages through a whole network; throughput and latency per stage.
    Bench(bench::BenchArgs),
    /// Run the MMSC (MM1 over HTTP), or manage its subscribers.
    Mmsc(mmsc::MmscArgs),
    /// Fault test: SMSC, push gateway and MMSC as child processes under load, SIGKILLed at random; counts lost and duplicated messages.
    Faults(faults::FaultsArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Decode(args) => decode::run(&args),
        Command::Smsc(args) => smsc::run(&args),
        Command::Ppg(args) => ppg::run(&args),
        Command::Phone(args) => phone::run(&args),
        Command::Network(args) => network::run(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Mmsc(args) => mmsc::run(&args),
        Command::Faults(args) => faults::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferry: {e:#}");
            ExitCode::FAILURE
        }
    }
}
