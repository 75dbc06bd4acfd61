//! `ferry ppg`: the WAP Push Proxy Gateway (serve), a PAP push from the
//! command line (push), and the load benchmark against Kannel (bench).

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// `ferry ppg ...`
#[derive(Debug, Args)]
pub(crate) struct PpgArgs {
    #[command(subcommand)]
    command: PpgCommand,
}

#[derive(Debug, Subcommand)]
enum PpgCommand {
    /// Run the gateway: PAP over HTTP in, WAP Push over SMPP out.
    Serve {
        /// The configuration file (see examples/ppg.toml).
        #[arg(long)]
        config: PathBuf,
    },
    /// Push a file (an M-Notification.ind) to a phone through a PAP gateway
    /// (Ferry's or Kannel's).
    Push {
        /// The push URL (Ferry: http://host:port/pap; Kannel: .../cgi-bin/wap-push.cgi).
        #[arg(long)]
        url: String,
        /// User name.
        #[arg(long)]
        user: Option<String>,
        /// Password.
        #[arg(long, default_value = "")]
        password: String,
        /// Send the credentials as ?username=&password= (Kannel) instead of HTTP Basic.
        #[arg(long)]
        query_credentials: bool,
        /// The phone number, +digits.
        #[arg(long)]
        to: String,
        /// push-id (default: generated).
        #[arg(long)]
        push_id: Option<String>,
        /// Content type of the file.
        #[arg(long, default_value = "application/vnd.wap.mms-message")]
        content_type: String,
        /// X-Wap-Application-Id.
        #[arg(long, default_value = "x-wap-application:mms.ua")]
        app_id: String,
        /// The content.
        file: PathBuf,
    },
    /// Load benchmark: Ferry's gateway and (with --kannel) Kannel's, driven
    /// the same way into an SMPP sink; prints a Markdown table.
    Bench {
        /// Load generator connections.
        #[arg(long, default_value_t = 32)]
        connections: usize,
        /// Seconds per gateway, body size and round.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Rounds: each loads Ferry, then Kannel, with every body size; the
        /// summary gives medians and the ratio of each round.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Notification sizes in octets (comma-separated).
        #[arg(long, value_delimiter = ',', default_value = "100,200")]
        body: Vec<usize>,
        /// Also benchmark Kannel (needs scripts/peers/install.sh).
        #[arg(long)]
        kannel: bool,
        /// Kannel's log level (0 debug .. 3 error); 2 = warning, as Ferry's RUST_LOG=warn.
        #[arg(long, default_value_t = 2)]
        kannel_log_level: u8,
        /// Working directory.
        #[arg(long, default_value = "target/ppg-bench")]
        dir: PathBuf,
    },
}

/// Runs the subcommand.
pub(crate) fn run(args: &PpgArgs) -> anyhow::Result<()> {
    match &args.command {
        PpgCommand::Serve { config } => ferry_ppg::cli::serve(config),
        PpgCommand::Push { url, user, password, query_credentials, to, push_id, content_type, app_id, file } => {
            let push_id = push_id.clone().unwrap_or_else(|| {
                let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
                format!("ferry-{t:x}@ferry.cli")
            });
            ferry_ppg::cli::push(&ferry_ppg::cli::PushCommand {
                url: url.clone(),
                credentials: user.as_ref().map(|u| (u.clone(), password.clone())),
                query_credentials: *query_credentials,
                to: to.clone(),
                file: file.clone(),
                push_id,
                content_type: content_type.clone(),
                app_id: app_id.clone(),
            })
        }
        PpgCommand::Bench { connections, seconds, rounds, body, kannel, kannel_log_level, dir } => {
            ferry_ppg::cli::bench(&ferry_ppg::cli::BenchCommand {
                connections: *connections,
                seconds: *seconds,
                body_lens: body.clone(),
                kannel: *kannel,
                kannel_log_level: *kannel_log_level,
                rounds: *rounds,
                ferry_exe: std::env::current_exe()?,
                dir: dir.clone(),
            })
        }
    }
}
