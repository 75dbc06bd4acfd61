//! The SMTP listener: accepts MM4 (and MM3 e-mail from the relay) only
//! from configured peers, drives [`crate::smtp::Session`] over TCP (and TLS
//! after STARTTLS), and hands each message to an [`Mm4Handler`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use ferry_service::Shutdown;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::config::{ListenerConfig, PeerConfig, TlsFiles};
use crate::smtp::{Action, DataProgress, Policy, Reply, Session};

/// A message received from a peer.
#[derive(Debug, Clone)]
pub struct InboundMessage {
    /// The configured peer it came from.
    pub peer: String,
    /// The connecting address.
    pub remote: SocketAddr,
    /// HELO/EHLO name.
    pub helo: String,
    /// MAIL FROM (empty for `<>`).
    pub mail_from: String,
    /// RCPT TO (all in our domains).
    pub rcpt_to: Vec<String>,
    /// The RFC 5322 message.
    pub data: Vec<u8>,
    /// Whether it came over TLS.
    pub tls: bool,
}

/// Why the handler refused a message: becomes the SMTP reply to DATA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The reply code (4xx: try again later; 5xx: never).
    pub code: u16,
    /// The reply text.
    pub text: String,
}

impl Rejection {
    /// 451: try again later.
    pub fn transient(text: impl Into<String>) -> Self {
        Self {
            code: 451,
            text: format!("4.3.0 {}", text.into()),
        }
    }
    /// 554: refused for good.
    pub fn permanent(text: impl Into<String>) -> Self {
        Self {
            code: 554,
            text: format!("5.6.0 {}", text.into()),
        }
    }
}

/// What the MMSC does with a received message (MM4 request or response,
/// or an e-mail for a subscriber: tell them apart with
/// [`ferry_mm4::is_mm4`]). `Ok` is answered 250 once it returns, so the
/// handler should have stored the message durably by then.
pub trait Mm4Handler: Send + Sync + 'static {
    /// Handles one message.
    fn handle(&self, msg: InboundMessage) -> impl Future<Output = Result<(), Rejection>> + Send;
}

/// A running listener.
#[derive(Debug)]
pub struct SmtpListener {
    local_addr: SocketAddr,
    task: JoinHandle<()>,
}

struct Shared<H> {
    config: ListenerConfig,
    handler: H,
    tls: Option<TlsAcceptor>,
}

fn load_tls(files: &TlsFiles) -> Result<TlsAcceptor> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    ferry_service::tls::install_ring_provider();
    let certs = CertificateDer::pem_file_iter(&files.cert_file)
        .with_context(|| format!("reading {}", files.cert_file.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("reading {}", files.cert_file.display()))?;
    let key = PrivateKeyDer::from_pem_file(&files.key_file)
        .with_context(|| format!("reading {}", files.key_file.display()))?;
    let cfg = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(TlsAcceptor::from(Arc::new(cfg)))
}

impl SmtpListener {
    /// Binds and starts serving until `shutdown` is triggered.
    pub async fn start<H: Mm4Handler>(
        config: ListenerConfig,
        handler: H,
        shutdown: Shutdown,
    ) -> Result<Self> {
        let tls = config.tls.as_ref().map(load_tls).transpose()?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        let local_addr = listener.local_addr()?;
        let limit = Arc::new(Semaphore::new(config.max_connections.max(1)));
        let shared = Arc::new(Shared {
            config,
            handler,
            tls,
        });
        tracing::info!(%local_addr, "SMTP listener (MM4/MM3) started");
        let task = tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = shutdown.wait() => break,
                    a = listener.accept() => a,
                };
                let (stream, remote) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let Ok(permit) = limit.clone().try_acquire_owned() else {
                    let mut s = stream;
                    let _ = s
                        .write_all(&Reply::new(421, "4.7.0 too many connections").to_bytes())
                        .await;
                    continue;
                };
                let shared = shared.clone();
                let sd = shutdown.clone();
                tokio::spawn(async move {
                    if let Err(e) = connection(stream, remote, &shared, &sd).await {
                        tracing::debug!(%remote, error = %e, "SMTP connection ended");
                    }
                    drop(permit);
                    drop(sd);
                });
            }
        });
        Ok(Self { local_addr, task })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Waits for the accept loop to stop (after shutdown).
    pub async fn join(self) {
        let _ = self.task.await;
    }
}

/// The policy for a connection from `peers` (all configured peers matching
/// the address).
fn policy(
    config: &ListenerConfig,
    peers: &[&PeerConfig],
    tls_active: bool,
    tls_offered: bool,
) -> Policy {
    let any = peers.iter().any(|p| p.sender_domains.is_empty());
    Policy {
        hostname: config.hostname.clone(),
        max_message_size: config.max_message_size,
        max_recipients: config.max_recipients,
        local_domains: config.local_domains.clone(),
        sender_domains: if any {
            None
        } else {
            Some(
                peers
                    .iter()
                    .flat_map(|p| p.sender_domains.iter().cloned())
                    .collect(),
            )
        },
        starttls: tls_offered,
        tls_active,
    }
}

async fn connection<H: Mm4Handler>(
    mut stream: TcpStream,
    remote: SocketAddr,
    shared: &Shared<H>,
    sd: &Shutdown,
) -> Result<()> {
    let peers: Vec<&PeerConfig> = shared
        .config
        .peers
        .iter()
        .filter(|p| p.matches(remote.ip()))
        .collect();
    if peers.is_empty() {
        tracing::warn!(%remote, "SMTP connection from an address that is no configured peer: refused");
        stream
            .write_all(
                &Reply::new(
                    554,
                    format!("5.7.1 {} is not a configured peer", remote.ip()),
                )
                .to_bytes(),
            )
            .await?;
        return Ok(());
    }
    let _ = stream.set_nodelay(true);
    let session = Session::new(policy(&shared.config, &peers, false, shared.tls.is_some()));
    match serve(
        &mut stream,
        session,
        remote,
        &peers,
        shared,
        sd,
        true,
        false,
    )
    .await?
    {
        Next::Close => Ok(()),
        Next::StartTls => {
            let Some(acceptor) = &shared.tls else {
                return Ok(());
            };
            let mut tls = acceptor.accept(stream).await.context("TLS handshake")?;
            let session = Session::new(policy(&shared.config, &peers, true, true));
            serve(&mut tls, session, remote, &peers, shared, sd, false, true).await?;
            let _ = tls.shutdown().await;
            Ok(())
        }
    }
}

enum Next {
    Close,
    StartTls,
}

#[allow(clippy::too_many_arguments)]
async fn serve<S, H>(
    stream: &mut S,
    mut session: Session,
    remote: SocketAddr,
    peers: &[&PeerConfig],
    shared: &Shared<H>,
    sd: &Shutdown,
    greet: bool,
    tls: bool,
) -> Result<Next>
where
    S: AsyncRead + AsyncWrite + Unpin,
    H: Mm4Handler,
{
    let idle = Duration::from_secs(shared.config.idle_timeout_secs.max(1));
    if greet {
        stream.write_all(&session.greeting().to_bytes()).await?;
    }
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        // Handle everything already buffered.
        loop {
            if session.in_data() {
                if buf.is_empty() {
                    break;
                }
                match session.data(&buf) {
                    DataProgress::More => buf.clear(),
                    DataProgress::Done(n) => {
                        buf.drain(..n);
                        let reply = match session.finish_data() {
                            Err(r) => {
                                tracing::warn!(%remote, "message over the size limit refused");
                                r
                            }
                            Ok(env) => deliver(env, remote, peers, shared, tls).await,
                        };
                        stream.write_all(&reply.to_bytes()).await?;
                    }
                }
                continue;
            }
            let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
                if buf.len() > crate::smtp::MAX_COMMAND_LINE + 2 {
                    stream
                        .write_all(&Reply::new(500, "5.5.2 line too long").to_bytes())
                        .await?;
                    return Ok(Next::Close);
                }
                break;
            };
            let line: Vec<u8> = buf.drain(..=nl).collect();
            let line = line.strip_suffix(b"\n").unwrap_or(&line);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            match session.command(line) {
                Action::Reply(r) | Action::StartData(r) => stream.write_all(&r.to_bytes()).await?,
                Action::Close(r) => {
                    stream.write_all(&r.to_bytes()).await?;
                    stream.flush().await?;
                    return Ok(Next::Close);
                }
                Action::StartTls(r) => {
                    stream.write_all(&r.to_bytes()).await?;
                    stream.flush().await?;
                    // RFC 3207 §4.2: nothing sent before the handshake counts.
                    return Ok(Next::StartTls);
                }
            }
        }
        stream.flush().await?;
        let n = tokio::select! {
            _ = sd.wait() => {
                let _ = stream.write_all(&Reply::new(421, "4.3.2 shutting down").to_bytes()).await;
                return Ok(Next::Close);
            }
            r = tokio::time::timeout(idle, stream.read(&mut chunk)) => match r {
                Err(_) => {
                    let _ = stream.write_all(&Reply::new(421, "4.4.2 idle too long").to_bytes()).await;
                    return Ok(Next::Close);
                }
                Ok(r) => r?,
            },
        };
        if n == 0 {
            return Ok(Next::Close);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn deliver<H: Mm4Handler>(
    env: crate::smtp::Envelope,
    remote: SocketAddr,
    peers: &[&PeerConfig],
    shared: &Shared<H>,
    tls: bool,
) -> Reply {
    let sender_domain = env.mail_from.rsplit_once('@').map(|(_, d)| d.to_owned());
    let peer = peers
        .iter()
        .find(|p| {
            sender_domain
                .as_deref()
                .is_some_and(|d| p.sender_domains.iter().any(|s| s.eq_ignore_ascii_case(d)))
        })
        .or_else(|| peers.first())
        .map(|p| p.name.clone())
        .unwrap_or_default();
    let size = env.data.len();
    let msg = InboundMessage {
        peer: peer.clone(),
        remote,
        helo: env.helo,
        mail_from: env.mail_from,
        rcpt_to: env.rcpt_to,
        data: env.data,
        tls,
    };
    let timeout = Duration::from_secs(shared.config.handler_timeout_secs.max(1));
    match tokio::time::timeout(timeout, shared.handler.handle(msg)).await {
        Ok(Ok(())) => {
            tracing::info!(%peer, size, "message accepted");
            Reply::new(250, "2.0.0 accepted")
        }
        Ok(Err(r)) => {
            tracing::info!(%peer, code = r.code, text = %r.text, "message refused by the MMSC");
            Reply::new(r.code, r.text)
        }
        Err(_) => Reply::new(451, "4.3.0 timed out storing the message, try again"),
    }
}
