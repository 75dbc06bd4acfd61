//! The network's mail sink: the Internet beyond the operators, for MM3.
//! Every MMSC of the network sends e-mail recipients' messages to it as its
//! relay (`[mm3]`); it is Ferry's own SMTP listener (`ferry-interconnect`)
//! accepting mail for [`MAIL_DOMAIN`] from the loopback host, and writes
//! each message, as received, to `DIR/mail/msgN.eml`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};
use ferry_interconnect::{
    InboundMessage, ListenerConfig, Mm4Handler, PeerConfig, Rejection, SmtpListener,
};
use ferry_service::Shutdown;

/// The e-mail domain the sink accepts (`friend@example.org`).
pub const MAIL_DOMAIN: &str = "example.org";

#[derive(Clone)]
struct Writer {
    dir: PathBuf,
    count: Arc<AtomicU64>,
}

impl Mm4Handler for Writer {
    async fn handle(&self, msg: InboundMessage) -> Result<(), Rejection> {
        let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        let dir = self.dir.clone();
        let env = format!("{}\n{}\n", msg.mail_from, msg.rcpt_to.join("\n"));
        let r = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let tmp = dir.join(format!("msg{n}.tmp"));
            std::fs::write(&tmp, &msg.data)?;
            std::fs::write(dir.join(format!("msg{n}.env")), env)?;
            std::fs::rename(&tmp, dir.join(format!("msg{n}.eml")))
        })
        .await;
        match r {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Rejection::transient(format!("writing the mail: {e}"))),
            Err(e) => Err(Rejection::transient(format!("writing the mail: {e}"))),
        }
    }
}

/// A running mail sink.
#[derive(Debug)]
pub struct MailSink {
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    /// Where it writes.
    pub dir: PathBuf,
}

impl MailSink {
    /// Starts the sink on `host` (any free port), writing to `dir`.
    pub async fn start(host: std::net::IpAddr, dir: &Path, shutdown: Shutdown) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let config = ListenerConfig {
            listen: std::net::SocketAddr::new(host, 0),
            hostname: "mx.example.org".into(),
            local_domains: vec![MAIL_DOMAIN.into()],
            peers: vec![PeerConfig {
                name: "mmsc".into(),
                addresses: vec![host.to_string()],
                sender_domains: Vec::new(),
            }],
            max_message_size: 4 * 1024 * 1024,
            max_recipients: 100,
            idle_timeout_secs: 60,
            handler_timeout_secs: 30,
            max_connections: 16,
            tls: None,
        };
        let writer = Writer {
            dir: dir.to_owned(),
            count: Arc::new(AtomicU64::new(0)),
        };
        let l = SmtpListener::start(config, writer, shutdown)
            .await
            .context("starting the mail sink")?;
        Ok(Self {
            addr: l.local_addr(),
            dir: dir.to_owned(),
        })
    }

    /// The messages received so far, in order.
    pub fn messages(&self) -> Vec<PathBuf> {
        let mut v: Vec<(u64, PathBuf)> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let n = name
                    .strip_prefix("msg")?
                    .strip_suffix(".eml")?
                    .parse()
                    .ok()?;
                Some((n, e.path()))
            })
            .collect();
        v.sort();
        v.into_iter().map(|(_, p)| p).collect()
    }
}
