//! The phone: the retrieval state machine driven by real I/O (SMS link in,
//! HTTP to the MMSC, the mailbox on disk), as a library object that a
//! network launcher can embed, plus one-shot operations that act on a
//! phone directory from another process.

use std::fmt;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use ferry_mms::{Address, FromValue, MessageType, Pdu, ReadStatus, ResponseStatus};
use ferry_service::Shutdown;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::compose::{Draft, compose, recipient_address};
use crate::config::PhoneConfig;
use crate::mm1::Mm1Client;
use crate::retrieval::{Action, Alert, Report, Retriever};
use crate::sms::{InboundSms, Received, SmsInbox, SmsLink};
use crate::store::{Direction, Mailbox, MessageInfo, Summary};

/// What a phone tells its user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Something about an MMS (see [`Alert`]); `id` is the local message id
    /// when the message is in the index.
    Mms {
        /// Local id.
        id: Option<i64>,
        /// What happened.
        alert: Alert,
    },
    /// A text message.
    Text {
        /// Originator.
        from: String,
        /// Text.
        text: String,
    },
    /// Data for a port this phone has no application on, or a segment
    /// that was refused.
    Other {
        /// What it was.
        what: String,
    },
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = |id: &Option<i64>| id.map_or_else(String::new, |i| format!("[{i}] "));
        let opt = |s: &Option<String>| s.clone().unwrap_or_else(|| "(none)".to_owned());
        match self {
            Event::Mms { id: i, alert } => match alert {
                Alert::Received { from, subject, .. } => {
                    write!(f, "{}received from {}: {}", id(i), opt(from), opt(subject))
                }
                Alert::Pending(n) => write!(
                    f,
                    "{}new message from {}: {} ({} octets) — `ferry phone fetch {}` to download",
                    id(i),
                    opt(&n.from),
                    opt(&n.subject),
                    n.size.map_or_else(|| "?".to_owned(), |s| s.to_string()),
                    i.map_or_else(|| "ID".to_owned(), |v| v.to_string())
                ),
                Alert::Rejected { notice, reason } => {
                    write!(
                        f,
                        "{}rejected a message from {}: {reason}",
                        id(i),
                        opt(&notice.from)
                    )
                }
                Alert::Failed {
                    transaction_id,
                    reason,
                } => {
                    write!(f, "{}could not fetch {transaction_id}: {reason}", id(i))
                }
                Alert::Report(Report::Delivery {
                    message_id,
                    recipient,
                    status,
                }) => {
                    write!(
                        f,
                        "{}delivery report: {message_id} to {recipient}: {status}",
                        id(i)
                    )
                }
                Alert::Report(Report::Read {
                    message_id,
                    recipient,
                    status,
                }) => {
                    write!(
                        f,
                        "{}read report: {message_id} by {recipient}: {status}",
                        id(i)
                    )
                }
                Alert::Duplicate { transaction_id } => {
                    write!(f, "{}repeated notification {transaction_id} ignored", id(i))
                }
                Alert::Ignored { what } => write!(f, "ignored {what}"),
            },
            Event::Text { from, text } => write!(f, "SMS from {from}: {text}"),
            Event::Other { what } => write!(f, "{what}"),
        }
    }
}

/// The state machine with its I/O.
struct Engine {
    config: PhoneConfig,
    retriever: Retriever,
    mailbox: Mailbox,
    mm1: Mm1Client,
    events: broadcast::Sender<Event>,
}

impl Engine {
    async fn open(
        config: PhoneConfig,
        mailbox: Mailbox,
        events: broadcast::Sender<Event>,
    ) -> Result<Self> {
        let mm1 = Mm1Client::new(&config)?;
        let mut retriever = Retriever::new(
            config.retrieval.clone(),
            config.reports.allow_delivery_reports,
        );
        for tid in mailbox.known_transaction_ids().await? {
            retriever.remember(tid);
        }
        for (_, notice, deferred_sent) in mailbox.waiting().await? {
            retriever.restore(notice, deferred_sent);
        }
        Ok(Self {
            config,
            retriever,
            mailbox,
            mm1,
            events,
        })
    }

    /// Carries out every pending action (fetches inline).
    async fn drive(&mut self) {
        while let Some(action) = self.retriever.poll_action() {
            match action {
                Action::Record { notice, raw, state } => {
                    if let Err(e) = self.mailbox.record_notification(&notice, &raw, state).await {
                        tracing::error!(transaction_id = %notice.transaction_id, "recording a notification: {e:#}");
                    }
                }
                Action::Fetch {
                    transaction_id,
                    url,
                    attempt,
                } => {
                    tracing::info!(%transaction_id, %url, attempt, "fetching");
                    let _ = self.mailbox.mark(&transaction_id, "fetching", None).await;
                    let r = self.mm1.get(&url).await;
                    self.retriever
                        .handle_fetched(Instant::now(), &transaction_id, r);
                }
                Action::Store {
                    transaction_id,
                    pdu,
                } => {
                    let r = self
                        .mailbox
                        .store_retrieved(&transaction_id, &pdu)
                        .await
                        .map(|_| ())
                        .map_err(|e| format!("{e:#}"));
                    self.retriever.handle_stored(&transaction_id, r);
                }
                Action::Post {
                    transaction_id,
                    pdu,
                    what,
                } => match self.mm1.post(pdu).await {
                    Ok(_) => tracing::info!(%transaction_id, "sent {what}"),
                    Err(e) => tracing::warn!(%transaction_id, "sending {what}: {e:#}"),
                },
                Action::MarkFailed {
                    transaction_id,
                    reason,
                } => {
                    if let Err(e) = self
                        .mailbox
                        .mark(&transaction_id, "failed", Some(&reason))
                        .await
                    {
                        tracing::error!(%transaction_id, "recording a failure: {e:#}");
                    }
                }
                Action::Alert(alert) => self.alert(alert).await,
            }
        }
    }

    async fn alert(&self, alert: Alert) {
        let tid = match &alert {
            Alert::Pending(n) | Alert::Rejected { notice: n, .. } => {
                Some(n.transaction_id.as_str())
            }
            Alert::Received { transaction_id, .. }
            | Alert::Failed { transaction_id, .. }
            | Alert::Duplicate { transaction_id } => Some(transaction_id.as_str()),
            _ => None,
        };
        let mut id = match tid {
            Some(t) => self.mailbox.id_of(t).await.ok().flatten(),
            None => None,
        };
        if let Alert::Report(r) = &alert {
            let (mid, text) = match r {
                Report::Delivery {
                    message_id,
                    recipient,
                    status,
                } => (message_id, format!("delivery to {recipient}: {status}")),
                Report::Read {
                    message_id,
                    recipient,
                    status,
                } => (message_id, format!("read by {recipient}: {status}")),
            };
            id = self.mailbox.note_report(mid, &text).await.ok().flatten();
        }
        let event = Event::Mms { id, alert };
        tracing::info!("{event}");
        let _ = self.events.send(event);
    }

    /// Drives until nothing is in flight or scheduled (one-shot commands).
    async fn run_until_idle(&mut self) {
        loop {
            self.drive().await;
            match self.retriever.poll_timeout() {
                Some(t) => {
                    tokio::time::sleep_until(t.into()).await;
                    self.retriever.handle_timeout(Instant::now());
                }
                None => return,
            }
        }
    }

    /// Starts fetching message `id` (deferred or failed).
    async fn start_fetch(&mut self, id: i64) -> Result<()> {
        let s = self
            .mailbox
            .summary(id)
            .await?
            .with_context(|| format!("no message {id}"))?;
        if s.direction != Direction::In {
            bail!("message {id} is one this phone sent");
        }
        match s.state.as_str() {
            "received" => bail!("message {id} is already here"),
            "rejected" => bail!("message {id} was rejected"),
            _ => {}
        }
        self.retriever.fetch(&s.transaction_id)?;
        Ok(())
    }
}

enum Command {
    Fetch {
        id: i64,
        reply: oneshot::Sender<Result<Summary>>,
    },
}

/// A running phone.
#[derive(Debug)]
pub struct Phone;

/// Talks to a running phone.
#[derive(Debug, Clone)]
pub struct PhoneHandle {
    config: PhoneConfig,
    mailbox: Mailbox,
    mm1: Mm1Client,
    commands: mpsc::Sender<Command>,
    events: broadcast::Sender<Event>,
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Fetch { id, .. } => write!(f, "Fetch({id})"),
        }
    }
}

impl Phone {
    /// Starts a phone on directory `dir` (created if needed; `phone.toml`
    /// is written if absent) receiving short messages from `link`, until
    /// `shutdown` fires.
    pub async fn start(
        config: PhoneConfig,
        dir: &Path,
        link: impl SmsLink,
        shutdown: Shutdown,
    ) -> Result<PhoneHandle> {
        config.check()?;
        let mailbox = Mailbox::open(dir).await?;
        let cfg_path = mailbox.dir().config_path();
        if !cfg_path.exists() {
            std::fs::write(&cfg_path, config.to_toml())
                .with_context(|| format!("writing {}", cfg_path.display()))?;
        }
        let (events, _) = broadcast::channel(256);
        let mut engine = Engine::open(config.clone(), mailbox.clone(), events.clone()).await?;
        let (commands, rx) = mpsc::channel(16);
        let handle = PhoneHandle {
            config,
            mailbox,
            mm1: engine.mm1.clone(),
            commands,
            events,
        };
        // Anything left in flight by a previous run is retried now.
        for (id, n, deferred_sent) in engine.mailbox.waiting().await? {
            let state = engine.mailbox.summary(id).await?.map(|s| s.state);
            if !deferred_sent && state.as_deref() == Some("fetching") {
                let _ = engine.retriever.fetch(&n.transaction_id);
            }
        }
        tokio::spawn(run(engine, link, rx, shutdown));
        Ok(handle)
    }
}

async fn run(
    mut engine: Engine,
    mut link: impl SmsLink,
    mut commands: mpsc::Receiver<Command>,
    shutdown: Shutdown,
) {
    let mut inbox = SmsInbox::new();
    let mut link_open = true;
    engine.drive().await;
    loop {
        let next = [engine.retriever.poll_timeout(), inbox.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        let sleep = async {
            match next {
                Some(t) => tokio::time::sleep_until(t.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = shutdown.wait() => break,
            sms = link.recv(), if link_open => match sms {
                Some(sms) => handle_sms(&mut engine, &mut inbox, sms).await,
                None => {
                    tracing::warn!("the SMS link closed");
                    link_open = false;
                }
            },
            cmd = commands.recv() => match cmd {
                Some(Command::Fetch { id, reply }) => {
                    let r = engine.start_fetch(id).await;
                    engine.drive().await;
                    let r = match r {
                        Ok(()) => engine.mailbox.summary(id).await.and_then(|s| s.context("message vanished")),
                        Err(e) => Err(e),
                    };
                    let _ = reply.send(r);
                }
                None => {}
            },
            _ = sleep => {
                let now = Instant::now();
                engine.retriever.handle_timeout(now);
                let dropped = inbox.handle_timeout(now);
                if dropped > 0 {
                    tracing::warn!(dropped, "incomplete concatenated messages expired");
                }
            }
        }
        engine.drive().await;
    }
    tracing::info!(msisdn = %engine.config.msisdn, "phone stopped");
    engine.mailbox.close().await;
    drop(shutdown);
}

async fn handle_sms(engine: &mut Engine, inbox: &mut SmsInbox, sms: InboundSms) {
    match inbox.handle_sms(Instant::now(), &sms) {
        Ok(None) => {}
        Ok(Some(Received::WapPush { from, datagram })) => {
            tracing::debug!(%from, len = datagram.len(), "WAP push");
            engine.retriever.handle_push(&datagram);
        }
        Ok(Some(Received::Text { from, text })) => {
            let e = Event::Text { from, text };
            tracing::info!("{e}");
            let _ = engine.events.send(e);
        }
        Ok(Some(Received::OtherPort { from, port })) => {
            let _ = engine.events.send(Event::Other {
                what: format!("data for port {port} from {from} ignored"),
            });
        }
        Err(e) => {
            tracing::warn!(from = %sms.source, "segment refused: {e}");
        }
    }
}

impl PhoneHandle {
    /// The events of this phone from now on.
    pub fn events(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// The phone's mailbox.
    pub fn mailbox(&self) -> &Mailbox {
        &self.mailbox
    }

    /// The phone's settings.
    pub fn config(&self) -> &PhoneConfig {
        &self.config
    }

    /// Composes and sends a message.
    pub async fn send(&self, draft: &Draft) -> Result<SendOutcome> {
        send(&self.config, &self.mailbox, &self.mm1, draft).await
    }

    /// Fetches a deferred (or failed) message; returns its line once the
    /// fetch finished (or gave up, or waits for a retry).
    pub async fn fetch(&self, id: i64) -> Result<Summary> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::Fetch { id, reply })
            .await
            .map_err(|_| anyhow::anyhow!("the phone has stopped"))?;
        rx.await
            .map_err(|_| anyhow::anyhow!("the phone has stopped"))?
    }

    /// Opens a message (sends a read report if asked and allowed).
    pub async fn read(&self, id: i64) -> Result<ReadOutcome> {
        read(&self.config, &self.mailbox, &self.mm1, id).await
    }

    /// The index, newest first.
    pub async fn inbox(&self) -> Result<Vec<Summary>> {
        self.mailbox.list().await
    }

    /// One message in full.
    pub async fn show(&self, id: i64) -> Result<Option<MessageInfo>> {
        self.mailbox.get(id).await
    }
}

/// How a send went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOutcome {
    /// Local id of the sent message.
    pub id: i64,
    /// Transaction id of the M-Send.req.
    pub transaction_id: String,
    /// The M-Send.conf's status (`None`: no M-Send.conf came back).
    pub status: Option<ResponseStatus>,
    /// Message-ID the MMSC gave.
    pub message_id: Option<String>,
    /// X-Mms-Response-Text, or what went wrong.
    pub text: Option<String>,
}

impl SendOutcome {
    /// The MMSC took the message.
    pub fn accepted(&self) -> bool {
        self.status.is_some_and(|s| s.is_ok())
            && self.message_id.as_deref().is_some_and(|m| !m.is_empty())
    }
}

impl fmt::Display for SendOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self
            .text
            .as_deref()
            .map(|t| format!(" ({t})"))
            .unwrap_or_default();
        match self.status {
            _ if self.accepted() => write!(
                f,
                "[{}] accepted by the MMSC: message id {}{text}",
                self.id,
                self.message_id.as_deref().unwrap_or_default()
            ),
            Some(s) if s.is_ok() => write!(
                f,
                "[{}] the MMSC said ok but gave no message id{text}",
                self.id
            ),
            Some(s) if s.is_transient() => write!(
                f,
                "[{}] refused for now by the MMSC: {s}{text}; try again later",
                self.id
            ),
            Some(s) => write!(f, "[{}] refused by the MMSC: {s}{text}", self.id),
            None => write!(f, "[{}] not sent{text}", self.id),
        }
    }
}

fn transaction_id() -> String {
    format!("ferry-{:016x}", rand::random::<u64>())
}

/// Composes `draft`, POSTs it, reads the M-Send.conf, records the message.
pub async fn send(
    config: &PhoneConfig,
    mailbox: &Mailbox,
    mm1: &Mm1Client,
    draft: &Draft,
) -> Result<SendOutcome> {
    let tid = transaction_id();
    let pdu = compose(draft, &tid)?.to_bytes();
    let (status, message_id, text) = match mm1.post(pdu.clone()).await {
        Err(e) => (None, None, Some(format!("{e:#}"))),
        Ok(body) => match Pdu::decode(&body) {
            Ok(conf) if conf.message_type() == Some(MessageType::SEND_CONF) => (
                Some(
                    conf.response_status()
                        .unwrap_or(ResponseStatus::ERROR_UNSPECIFIED),
                ),
                conf.message_id().map(str::to_owned),
                conf.response_text().map(|t| t.text().into_owned()),
            ),
            Ok(other) => (
                None,
                None,
                Some(format!(
                    "the MMSC answered {} instead of m-send-conf",
                    other
                        .message_type()
                        .map_or_else(|| "a PDU without a type".to_owned(), |t| t.to_string())
                )),
            ),
            Err(e) => (
                None,
                None,
                Some(format!("the MMSC's answer does not decode: {e}")),
            ),
        },
    };
    let mut outcome = SendOutcome {
        id: 0,
        transaction_id: tid,
        status,
        message_id,
        text,
    };
    let state = if outcome.accepted() {
        "sent"
    } else if status.is_some_and(|s| !s.is_ok()) {
        "refused"
    } else {
        "send-failed"
    };
    let _ = config;
    outcome.id = mailbox
        .store_sent(
            &pdu,
            state,
            outcome.message_id.as_deref(),
            outcome.text.as_deref(),
        )
        .await?;
    Ok(outcome)
}

/// What opening a message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOutcome {
    /// The message.
    pub info: MessageInfo,
    /// First time it was opened.
    pub first_time: bool,
    /// A read report: `None` if none was due, else whether it went out.
    pub report: Option<std::result::Result<(), String>>,
}

/// Marks message `id` read and sends M-Read-Rec.ind (§6.7.2) if the sender
/// asked for a read report, this phone allows them, and it is the first
/// time the message is opened.
pub async fn read(
    config: &PhoneConfig,
    mailbox: &Mailbox,
    mm1: &Mm1Client,
    id: i64,
) -> Result<ReadOutcome> {
    let info = mailbox
        .get(id)
        .await?
        .with_context(|| format!("no message {id}"))?;
    let s = &info.summary;
    if s.direction != Direction::In || s.state != "received" {
        bail!(
            "message {id} is not a received message (it is {} {})",
            if s.direction == Direction::In {
                "incoming,"
            } else {
                "outgoing,"
            },
            s.state
        );
    }
    let due = s.read_at.is_none() && s.read_report_requested && config.reports.send_read_reports;
    let mut report = None;
    if due {
        report = Some(match (&s.message_id, &s.from) {
            (Some(mid), Some(from)) => {
                let to = recipient_address(from).unwrap_or_else(|_| Address::new(from.clone()));
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let pdu = Pdu::read_rec_ind(
                    mid.clone(),
                    to,
                    FromValue::Insert,
                    Some(now),
                    ReadStatus::READ,
                )
                .to_bytes();
                mm1.post(pdu)
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("{e:#}"))
            }
            _ => Err("the message has no Message-ID or sender to report to".to_owned()),
        });
    }
    let first_time = mailbox
        .mark_read(id, matches!(report, Some(Ok(()))))
        .await?;
    let info = mailbox.get(id).await?.unwrap_or(info);
    Ok(ReadOutcome {
        info,
        first_time,
        report,
    })
}

/// One-shot commands on a phone directory from another process: they act
/// directly (HTTP to the MMSC with the phone's identity, the phone's SQLite
/// index), so a running phone need not be reachable.
#[derive(Debug)]
pub struct Offline {
    config: PhoneConfig,
    mailbox: Mailbox,
    mm1: Mm1Client,
}

impl Offline {
    /// Opens the phone directory `dir` (its `phone.toml` and index).
    pub async fn open(dir: &Path) -> Result<Self> {
        let cfg_path = crate::store::PhoneDir::new(dir).config_path();
        if !cfg_path.exists() {
            bail!(
                "{} has no phone.toml: run `ferry phone init` first, or give --dir",
                dir.display()
            );
        }
        let config = PhoneConfig::load(&cfg_path)?;
        let mailbox = Mailbox::open(dir).await?;
        let mm1 = Mm1Client::new(&config)?;
        Ok(Self {
            config,
            mailbox,
            mm1,
        })
    }

    /// The settings.
    pub fn config(&self) -> &PhoneConfig {
        &self.config
    }

    /// The mailbox.
    pub fn mailbox(&self) -> &Mailbox {
        &self.mailbox
    }

    /// See [`send`].
    pub async fn send(&self, draft: &Draft) -> Result<SendOutcome> {
        send(&self.config, &self.mailbox, &self.mm1, draft).await
    }

    /// See [`read`].
    pub async fn read(&self, id: i64) -> Result<ReadOutcome> {
        read(&self.config, &self.mailbox, &self.mm1, id).await
    }

    /// Fetches a deferred or failed message here and now (retrying with
    /// back-off), answering the MMSC as the phone would.
    pub async fn fetch(&self, id: i64) -> Result<Summary> {
        let (events, _) = broadcast::channel(16);
        let mut engine = Engine::open(self.config.clone(), self.mailbox.clone(), events).await?;
        engine.start_fetch(id).await?;
        engine.run_until_idle().await;
        self.mailbox.summary(id).await?.context("message vanished")
    }

    /// Closes the index.
    pub async fn close(&self) {
        self.mailbox.close().await;
    }
}

/// Runs the phone of directory `dir` attached to its SMSC (`[smsc]` of
/// `phone.toml`) until SIGINT/SIGTERM, giving each event to `print` as a
/// line (what `ferry phone watch` does).
pub async fn watch(dir: &Path, mut print: impl FnMut(String)) -> Result<()> {
    let path = crate::store::PhoneDir::new(dir).config_path();
    if !path.exists() {
        bail!(
            "{} has no phone.toml: run `ferry phone init` first",
            dir.display()
        );
    }
    let config = PhoneConfig::load(&path)?;
    let smsc = config
        .smsc
        .clone()
        .context("phone.toml has no [smsc]: without an SMSC the phone receives nothing to watch")?;
    let (shutdown, finished) = Shutdown::new();
    shutdown.on_signals();
    let link = crate::esme_link::EsmeLink::start(&smsc, &config.msisdn, shutdown.clone())?;
    let esme = link.esme().clone();
    let phone = Phone::start(config.clone(), dir, link, shutdown.clone()).await?;
    let mut events = phone.events();
    print(format!(
        "phone {} watching (SMSC {}, MMSC {}); Ctrl-C to stop",
        config.msisdn, smsc.address, config.mmsc.url
    ));
    let mut bound = Box::pin(esme.bound());
    let mut bound_done = false;
    loop {
        tokio::select! {
            _ = shutdown.wait() => break,
            b = &mut bound, if !bound_done => {
                bound_done = true;
                match b {
                    Ok(mode) => print(format!("bound to the SMSC {} as {mode:?}", smsc.address)),
                    Err(e) => print(format!("not bound to the SMSC {}: {e}", smsc.address)),
                }
            }
            e = events.recv() => match e {
                Ok(e) => print(e.to_string()),
                Err(broadcast::error::RecvError::Lagged(n)) => print(format!("({n} events missed)")),
                Err(broadcast::error::RecvError::Closed) => break,
            },
        }
    }
    drop(bound);
    drop(esme);
    drop(phone);
    drop(shutdown);
    finished.wait().await;
    Ok(())
}
