//! `ferry phone`: a simulated handset (MMS user agent) on a phone directory;
//! see docs/HANDSET.md.
//!
//! `watch` runs the phone (SMPP attachment, retrieval, alerts); the other
//! commands act on the phone directory directly (HTTP to the MMSC with the
//! phone's identity, the SQLite index), so they work from another terminal
//! while a phone runs.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use ferry_handset::config::{IdentityMode, PhoneConfig, RetrievalMode, SmscConfig};
use ferry_handset::phone::Offline;
use ferry_handset::store::{Direction, PhoneDir, Summary};
use ferry_handset::{Attachment, Draft};

/// Arguments of `ferry phone`.
#[derive(Debug, clap::Args)]
pub(crate) struct PhoneArgs {
    /// The phone directory (phone.toml, index.sqlite, messages/).
    #[arg(long, short, global = true, default_value = "phone")]
    dir: PathBuf,
    /// A running network's data directory (`ferry network up`): act on its
    /// phone named by --phone instead of --dir.
    #[arg(long, global = true, requires = "phone")]
    network: Option<PathBuf>,
    /// With --network: the phone's name or number.
    #[arg(long, global = true)]
    phone: Option<String>,
    #[command(subcommand)]
    command: PhoneCommand,
}

/// `ferry phone` subcommands.
#[derive(Debug, clap::Subcommand)]
enum PhoneCommand {
    /// Create the phone directory and its phone.toml.
    Init(InitArgs),
    /// Run the phone: attach to the SMSC, act on MMS notifications, print
    /// what arrives (until Ctrl-C).
    Watch,
    /// List received, waiting and sent messages.
    Inbox,
    /// Show a message: headers, parts, where the files are.
    Show {
        /// Message id (from `inbox`).
        id: i64,
    },
    /// Download a deferred (or failed) message.
    Fetch {
        /// Message id.
        id: i64,
    },
    /// Open a message: marks it read and sends a read report if the sender
    /// asked for one and the phone allows it.
    Read {
        /// Message id.
        id: i64,
    },
    /// Compose and send a message.
    Send(SendArgs),
}

#[derive(Debug, clap::Args)]
struct InitArgs {
    /// The phone's number (+15550001).
    #[arg(long)]
    msisdn: String,
    /// MMSC URL (M-Send.req and reports are POSTed there).
    #[arg(long)]
    mmsc: String,
    /// MMS proxy, host:port.
    #[arg(long)]
    proxy: Option<String>,
    /// How the MMSC knows the subscriber: header, basic or none.
    #[arg(long, default_value = "header")]
    identity: String,
    /// Header name for `--identity header`.
    #[arg(long, default_value = "X-MSISDN")]
    identity_header: String,
    /// HTTP Basic user name (default: the MSISDN).
    #[arg(long)]
    username: Option<String>,
    /// HTTP Basic password.
    #[arg(long)]
    password: Option<String>,
    /// SMSC host:port (SMPP).
    #[arg(long)]
    smsc: Option<String>,
    /// SMPP system_id (default: the MSISDN without `+`).
    #[arg(long)]
    system_id: Option<String>,
    /// SMPP password.
    #[arg(long, default_value = "")]
    smpp_password: String,
    /// Deferred retrieval (alert first, fetch on `ferry phone fetch`).
    #[arg(long)]
    deferred: bool,
    /// Largest message fetched automatically, octets.
    #[arg(long)]
    max_auto_size: Option<u64>,
    /// Reject messages from anonymous senders.
    #[arg(long)]
    reject_anonymous: bool,
    /// Replace an existing phone.toml.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, clap::Args)]
struct SendArgs {
    /// Recipient: a number (+15550002) or an e-mail address; repeatable.
    #[arg(long, required = true)]
    to: Vec<String>,
    /// Cc recipient; repeatable.
    #[arg(long)]
    cc: Vec<String>,
    /// Subject.
    #[arg(long)]
    subject: Option<String>,
    /// Text of the message.
    #[arg(long)]
    text: Option<String>,
    /// A file to attach (type read from its content); repeatable, in slide order.
    #[arg(long)]
    attach: Vec<PathBuf>,
    /// Do not ask for a delivery report.
    #[arg(long)]
    no_delivery_report: bool,
    /// Do not ask for a read report.
    #[arg(long)]
    no_read_report: bool,
}

/// Runs a `ferry phone` command.
pub(crate) fn run(args: &PhoneArgs) -> Result<()> {
    let in_network;
    let dir: &std::path::Path = match (&args.network, &args.phone) {
        (Some(net), Some(who)) => {
            if matches!(args.command, PhoneCommand::Init(_) | PhoneCommand::Watch) {
                bail!(
                    "phone {who} runs inside `ferry network up` (which prints its events and wrote its phone.toml): use inbox, show, fetch, read or send"
                );
            }
            in_network = ferry_network::phone_dir(net, who)?;
            &in_network
        }
        _ => &args.dir,
    };
    if let PhoneCommand::Init(i) = &args.command {
        return init(dir, i);
    }
    ferry_handset::init_logging();
    ferry_handset::block_on(async {
        match &args.command {
            PhoneCommand::Init(_) => unreachable!("handled above"),
            PhoneCommand::Watch => {
                ferry_handset::phone::watch(dir, |line| println!("{line}")).await
            }
            PhoneCommand::Inbox => {
                let p = Offline::open(dir).await?;
                print_inbox(&p.mailbox().list().await?);
                p.close().await;
                Ok(())
            }
            PhoneCommand::Show { id } => {
                let p = Offline::open(dir).await?;
                let info = p
                    .mailbox()
                    .get(*id)
                    .await?
                    .with_context(|| format!("no message {id}"))?;
                print_summary(&info.summary);
                println!("headers:");
                for (n, v) in &info.headers {
                    println!("  {n}: {v}");
                }
                if !info.parts.is_empty() {
                    println!("parts:");
                    for part in &info.parts {
                        let id = part
                            .content_id
                            .as_deref()
                            .map(|c| format!(" id {c}"))
                            .unwrap_or_default();
                        println!(
                            "  {}. {} ({} octets){id}\n     {}",
                            part.index,
                            part.content_type,
                            part.size,
                            part.path.display()
                        );
                    }
                }
                if let Some(f) = &info.folder {
                    println!("folder: {}", f.display());
                }
                p.close().await;
                Ok(())
            }
            PhoneCommand::Fetch { id } => {
                let p = Offline::open(dir).await?;
                let s = p.fetch(*id).await?;
                p.close().await;
                match s.state.as_str() {
                    "received" => {
                        println!(
                            "[{}] received from {}: {}",
                            s.id,
                            opt(&s.from),
                            opt(&s.subject)
                        );
                        Ok(())
                    }
                    other => bail!("message {id} is {other}: {}", opt(&s.detail)),
                }
            }
            PhoneCommand::Read { id } => {
                let p = Offline::open(dir).await?;
                let r = p.read(*id).await?;
                p.close().await;
                print_summary(&r.info.summary);
                for part in r
                    .info
                    .parts
                    .iter()
                    .filter(|p| p.content_type.starts_with("text/plain"))
                {
                    if let Ok(t) = std::fs::read_to_string(&part.path) {
                        println!("\n{t}");
                    }
                }
                for part in r
                    .info
                    .parts
                    .iter()
                    .filter(|p| !p.content_type.starts_with("text/plain"))
                {
                    println!(
                        "attachment: {} ({})",
                        part.path.display(),
                        part.content_type
                    );
                }
                match r.report {
                    Some(Ok(())) => println!("read report sent"),
                    Some(Err(e)) => println!("read report not sent: {e}"),
                    None => {}
                }
                Ok(())
            }
            PhoneCommand::Send(s) => {
                let p = Offline::open(dir).await?;
                let attachments = s
                    .attach
                    .iter()
                    .map(|f| {
                        Attachment::from_file(f).with_context(|| format!("reading {}", f.display()))
                    })
                    .collect::<Result<Vec<_>>>()?;
                let reports = &p.config().reports;
                let draft = Draft {
                    to: s.to.clone(),
                    cc: s.cc.clone(),
                    subject: s.subject.clone(),
                    text: s.text.clone(),
                    attachments,
                    delivery_report: reports.request_delivery_reports && !s.no_delivery_report,
                    read_report: reports.request_read_reports && !s.no_read_report,
                    ..Draft::default()
                };
                let out = p.send(&draft).await?;
                p.close().await;
                println!("{out}");
                if out.accepted() {
                    Ok(())
                } else {
                    bail!("the message was not accepted")
                }
            }
        }
    })?
}

fn init(dir: &std::path::Path, i: &InitArgs) -> Result<()> {
    let pd = PhoneDir::new(dir);
    if pd.config_path().exists() && !i.force {
        bail!(
            "{} exists (give --force to replace it)",
            pd.config_path().display()
        );
    }
    let mut c = PhoneConfig::new(i.msisdn.clone(), i.mmsc.clone());
    c.mmsc.proxy = i.proxy.clone();
    c.mmsc.identity = match i.identity.as_str() {
        "header" => IdentityMode::Header,
        "basic" => IdentityMode::Basic,
        "none" => IdentityMode::None,
        other => bail!("--identity {other:?}: expected header, basic or none"),
    };
    c.mmsc.identity_header = i.identity_header.clone();
    c.mmsc.username = i.username.clone();
    c.mmsc.password = i.password.clone();
    c.smsc = i.smsc.as_ref().map(|a| SmscConfig {
        address: a.clone(),
        system_id: i
            .system_id
            .clone()
            .unwrap_or_else(|| i.msisdn.trim_start_matches('+').to_owned()),
        password: i.smpp_password.clone(),
        system_type: String::new(),
        transceiver: false,
    });
    if i.deferred {
        c.retrieval.mode = RetrievalMode::Deferred;
    }
    if let Some(m) = i.max_auto_size {
        c.retrieval.max_auto_size = m;
    }
    c.retrieval.reject_anonymous = i.reject_anonymous;
    c.check()?;
    std::fs::create_dir_all(pd.messages())
        .with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(pd.config_path(), c.to_toml())
        .with_context(|| format!("writing {}", pd.config_path().display()))?;
    println!("phone {} ready in {}", c.msisdn, dir.display());
    Ok(())
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("-")
}

fn date(t: i64) -> String {
    ferry_wsp::time::format_rfc3339(t.max(0) as u64)
}

fn print_inbox(list: &[Summary]) {
    if list.is_empty() {
        println!("no messages");
        return;
    }
    println!(
        "{:>4}  {:<3}  {:<11}  {:<20}  {:<22}  {:>8}  subject",
        "id", "dir", "state", "date", "from / to", "size"
    );
    for s in list {
        let (dir, who) = match s.direction {
            Direction::In => ("in", opt(&s.from)),
            Direction::Out => ("out", opt(&s.to)),
        };
        let mut notes = Vec::new();
        if s.direction == Direction::In && s.state == "received" && s.read_at.is_none() {
            notes.push("unread");
        }
        if s.state == "deferred" {
            notes.push("`fetch` to download");
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("  ({})", notes.join(", "))
        };
        println!(
            "{:>4}  {:<3}  {:<11}  {:<20}  {:<22}  {:>8}  {}{notes}",
            s.id,
            dir,
            s.state,
            date(s.date),
            who,
            s.size.map_or_else(|| "?".to_owned(), |n| n.to_string()),
            opt(&s.subject)
        );
    }
}

fn print_summary(s: &Summary) {
    let dir = if s.direction == Direction::In {
        "received"
    } else {
        "sent"
    };
    println!("message {} ({dir}, {})", s.id, s.state);
    println!("  from: {}", opt(&s.from));
    if let Some(to) = &s.to {
        println!("  to: {to}");
    }
    println!("  subject: {}", opt(&s.subject));
    println!("  date: {}", date(s.date));
    if let Some(m) = &s.message_id {
        println!("  message id: {m}");
    }
    println!("  transaction id: {}", s.transaction_id);
    if let Some(d) = &s.detail {
        println!("  detail: {d}");
    }
    if let Some(r) = s.read_at {
        println!("  read: {}", date(r));
    } else if s.read_report_requested {
        println!("  the sender asked for a read report");
    }
}
