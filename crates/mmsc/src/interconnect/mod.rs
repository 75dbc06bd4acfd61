//! The MMSC beyond its own subscribers: recipient routing, MM4 to and from
//! other operators' MMSCs, MM3 to and from e-mail (3GPP TS 23.140 §8.3,
//! §8.4), on `ferry-interconnect` (router, SMTP listener and client) and
//! `ferry-mm4` (the messages).
//!
//! ```text
//!  M-Send.req ─► plan (normalise, Router::resolve) ─► Store::submit ─► apply each recipient:
//!     Local            ─► notification queue (as before)
//!     sender-hosted    ─► route recorded, notification queue (the push gateway reaches the other network)
//!     mm4              ─► route recorded, outbox job (mm4-forward), off the notification queue
//!     email            ─► route recorded, outbox job (mm3), off the notification queue
//!     unroutable       ─► route recorded, recipient failed (reason) ─► delivery report Unreachable
//!  outbox::outbox_loop ─► MM4_forward.REQ / e-mail / prebuilt MM4 ─► SmtpClient ─► peer or relay
//!  SmtpListener ─► inbound::Inbound ─► MM4_forward.REQ ─► Store::submit (local recipients) ─► 250, .RES queued
//!                                  ─► MM4_forward.RES ─► recipient failed if refused
//!                                  ─► MM4_delivery_report.REQ ─► recipient state ─► M-Delivery.ind to our sender
//!                                  ─► MM4_read_reply_report.REQ ─► M-Read-Orig.ind to our sender
//!                                  ─► e-mail to +number@our domain ─► Store::submit ─► notified
//!  report_loop ─► report to a sender at an MM4 operator ─► MM4_delivery_report.REQ / MM4_read_reply_report.REQ
//! ```

pub(crate) mod inbound;
pub(crate) mod outbox;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use ferry_interconnect::{
    ClientConfig, DeliveryMethod, OperatorConfig, Portability, Route, Router, SendError, SmtpClient, TlsMode,
};
use ferry_mm4::{DeliveryReportReq, Mm4Message, MmStatus, ReadReplyReportReq, ReadStatus as Mm4ReadStatus};
use ferry_store::{
    AddressKind, NewOutbound, NewRecipient, OutboundKind, RecipientId, RecipientKey, RecipientRoute, RecipientState,
    RecipientUpdate, Report, ReportKind, ReportStatus, StoreError, SubmittedRecipient,
};
use serde::Deserialize;

use crate::identity::normalize_msisdn;
use crate::{Config, Inner, unix_now};

fn default_retry() -> Vec<u64> {
    vec![30, 120, 600, 3600]
}
fn default_poll() -> u64 {
    1000
}
fn yes() -> bool {
    true
}
fn default_lease() -> u64 {
    120
}
fn default_concurrency() -> usize {
    8
}

/// `[mm4]`: forwarding to other operators' MMSCs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mm4Config {
    /// Our MM4 domain (`mms.a.example`): appended to our subscribers'
    /// numbers (`+1555…/TYPE=PLMN@mms.a.example`) and used in Message-IDs.
    /// It must be one of `smtp.local_domains` for answers to reach us.
    pub domain: String,
    /// Our system address (`X-Mms-Originator-System`, `Sender`, SMTP
    /// `MAIL FROM`), where peers send `.RES` answers; default
    /// `system-user@{domain}`.
    #[serde(default)]
    pub system_address: Option<String>,
    /// Ask peers for `MM4_forward.RES` and report `.RES` (`X-Mms-Ack-Request`).
    #[serde(default = "yes")]
    pub ack_request: bool,
    /// How to secure connections to peers (`none`, `opportunistic`,
    /// `starttls`, `wrapper`).
    #[serde(default)]
    pub tls: TlsMode,
    /// Extra CA certificate (PEM) to trust for peers.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Seconds for each SMTP step towards a peer.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Delays between attempts, seconds (the last repeats).
    #[serde(default = "default_retry")]
    pub retry_secs: Vec<u64>,
    /// Give up after this many attempts; 0: until the message expires.
    #[serde(default)]
    pub max_attempts: u32,
    /// How often the outbound queue is polled, milliseconds (a submission
    /// also wakes it).
    #[serde(default = "default_poll")]
    pub poll_ms: u64,
    /// A claimed job is tried again after this many seconds if the MMSC
    /// died while sending it.
    #[serde(default = "default_lease")]
    pub lease_secs: u64,
    /// Outbound messages in flight.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
}

fn default_timeout() -> u64 {
    60
}

impl Mm4Config {
    /// The system address.
    pub fn system(&self) -> String {
        self.system_address
            .clone()
            .unwrap_or_else(|| format!("system-user@{}", self.domain))
    }
}

/// `[mm3]`: e-mail recipients.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mm3Config {
    /// Our mail domain: an MMS from `+1555…` leaves as `+1555…@{domain}`
    /// (and e-mail to that address comes back to the subscriber; list the
    /// domain in `routing.local_domains` and `smtp.local_domains`).
    pub domain: String,
    /// The SMTP relay that takes our outgoing e-mail.
    pub relay: ClientConfig,
    /// Delays between attempts, seconds (the last repeats).
    #[serde(default = "default_retry")]
    pub retry_secs: Vec<u64>,
    /// Give up after this many attempts; 0: until the message expires.
    #[serde(default)]
    pub max_attempts: u32,
}

/// Checks the interconnect sections against each other.
pub(crate) fn check_config(c: &Config) -> anyhow::Result<()> {
    if let Some(r) = &c.routing {
        for o in &r.operators {
            if o.method == DeliveryMethod::Mm4 {
                anyhow::ensure!(
                    c.mm4.is_some(),
                    "routing.operators {:?} uses method \"mm4\" but there is no [mm4] section",
                    o.name
                );
                anyhow::ensure!(
                    o.mm4_domain.is_some(),
                    "routing.operators {:?}: method \"mm4\" needs mm4_domain",
                    o.name
                );
                peer_client_config(o, c.mm4.as_ref().expect("checked"))?;
            }
        }
    }
    if let Some(m) = &c.mm4 {
        anyhow::ensure!(!m.domain.is_empty(), "mm4.domain must not be empty");
        anyhow::ensure!(!m.retry_secs.is_empty(), "mm4.retry_secs must not be empty");
        anyhow::ensure!(m.concurrency > 0, "mm4.concurrency must be at least 1");
    }
    if let Some(m) = &c.mm3 {
        anyhow::ensure!(!m.domain.is_empty(), "mm3.domain must not be empty");
        anyhow::ensure!(!m.retry_secs.is_empty(), "mm3.retry_secs must not be empty");
    }
    Ok(())
}

/// The SMTP client settings for an MM4 operator: host and port from its
/// `mmsc_url` (`smtp://host:port`, port 25 by default).
fn peer_client_config(o: &OperatorConfig, mm4: &Mm4Config) -> anyhow::Result<ClientConfig> {
    let rest = o.mmsc_url.strip_prefix("smtp://").ok_or_else(|| {
        anyhow::anyhow!(
            "routing.operators {:?}: an MM4 operator's mmsc_url must be smtp://host[:port], not {:?}",
            o.name,
            o.mmsc_url
        )
    })?;
    let rest = rest.trim_end_matches('/');
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
            let port = p
                .parse::<u16>()
                .with_context(|| format!("routing.operators {:?}: bad port in {:?}", o.name, o.mmsc_url))?;
            (h.trim_start_matches('[').trim_end_matches(']').to_owned(), port)
        }
        _ => (rest.to_owned(), 25),
    };
    anyhow::ensure!(!host.is_empty(), "routing.operators {:?}: no host in mmsc_url", o.name);
    let mut cc = ClientConfig::plain(host, port);
    cc.tls = mm4.tls;
    cc.ca_file = mm4.ca_file.clone();
    cc.hello_name = Some(mm4.domain.clone());
    cc.timeout_secs = mm4.timeout_secs;
    Ok(cc)
}

/// An MM4 operator we forward to.
#[derive(Debug)]
pub(crate) struct Peer {
    pub(crate) client: SmtpClient,
    pub(crate) domain: String,
}

/// What the interconnect needs at run time.
#[derive(Debug)]
pub(crate) struct Interconnect {
    pub(crate) router: Option<Router>,
    pub(crate) portability: Option<Portability>,
    pub(crate) peers: HashMap<String, Peer>,
    pub(crate) relay: Option<SmtpClient>,
}

/// The number-portability table's file in the store directory.
pub fn portability_path(c: &Config) -> PathBuf {
    c.store_dir.join("portability.db")
}

/// Opens the number-portability table of this configuration.
pub async fn open_portability(c: &Config) -> anyhow::Result<Portability> {
    let path = portability_path(c);
    let db = ferry_service::db::Db::open(&path)
        .await
        .with_context(|| format!("opening the portability table {}", path.display()))?;
    Portability::open(db).await
}

impl Interconnect {
    /// Builds the router (with the portability table), the peers' SMTP
    /// clients and the relay client from the configuration.
    pub(crate) async fn open(c: &Config) -> anyhow::Result<Self> {
        let (router, portability) = match &c.routing {
            Some(r) => {
                let p = open_portability(c).await?;
                let router = Router::with_portability(r.clone(), &p)
                    .await
                    .context("loading the portability table")?;
                (Some(router), Some(p))
            }
            None => (None, None),
        };
        let mut peers = HashMap::new();
        if let (Some(r), Some(mm4)) = (&c.routing, &c.mm4) {
            for o in r.operators.iter().filter(|o| o.method == DeliveryMethod::Mm4) {
                let cc = peer_client_config(o, mm4)?;
                let client = SmtpClient::new(&cc).with_context(|| format!("SMTP client for operator {:?}", o.name))?;
                peers.insert(
                    o.name.clone(),
                    Peer {
                        client,
                        domain: o.mm4_domain.clone().unwrap_or_default(),
                    },
                );
            }
        }
        let relay = match &c.mm3 {
            Some(m) => Some(SmtpClient::new(&m.relay).context("SMTP client for the mail relay (mm3.relay)")?),
            None => None,
        };
        Ok(Self {
            router,
            portability,
            peers,
            relay,
        })
    }

    /// The MM4 operator whose domain this is.
    pub(crate) fn peer_by_domain(&self, domain: &str) -> Option<&str> {
        self.peers
            .iter()
            .find(|(_, p)| p.domain.eq_ignore_ascii_case(domain))
            .map(|(n, _)| n.as_str())
    }

    /// International form of a number (`+1555…`), through the router's
    /// rules when there is one.
    pub(crate) fn normalise(&self, number: &str) -> String {
        let bare = strip_type(number);
        match &self.router {
            Some(r) => r.normalise(bare).unwrap_or_else(|_| normalize_msisdn(bare)),
            None => normalize_msisdn(bare),
        }
    }
}

/// `+1555…/TYPE=PLMN@domain` → `+1555…`.
pub(crate) fn strip_type(a: &str) -> &str {
    let a = a.trim();
    let a = a.split('@').next().unwrap_or(a);
    match a.to_ascii_uppercase().find("/TYPE=") {
        Some(i) => &a[..i],
        None => a,
    }
}

/// Where a recipient goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Our subscriber: MSISDN in international form.
    Local(String),
    /// Another operator's subscriber, notified by us.
    SenderHosted { operator: String, msisdn: String },
    /// Another operator's subscriber, forwarded over MM4.
    Mm4 {
        operator: String,
        msisdn: String,
        domain: String,
    },
    /// An e-mail address (MM3).
    Email(String),
    /// Nothing serves it.
    Unroutable(String),
}

impl Decision {
    /// The address to store for the recipient, and its kind.
    fn stored(&self, original: &NewRecipient) -> NewRecipient {
        match self {
            Decision::Local(m) | Decision::SenderHosted { msisdn: m, .. } | Decision::Mm4 { msisdn: m, .. } => {
                NewRecipient::new(format!("{m}/TYPE=PLMN"), AddressKind::Msisdn)
            }
            Decision::Email(a) => NewRecipient::new(a.clone(), AddressKind::Email),
            Decision::Unroutable(_) => original.clone(),
        }
    }

    /// True when the recipient stays on the notification queue.
    pub(crate) fn notified_here(&self) -> bool {
        matches!(self, Decision::Local(_) | Decision::SenderHosted { .. })
    }
}

/// Where `address` (of `kind`) goes under this configuration.
pub(crate) fn decide(m: &Inner, address: &str, kind: AddressKind) -> Decision {
    let ic = &m.ic;
    let email = |a: &str| {
        if ic.relay.is_some() {
            Decision::Email(a.to_owned())
        } else {
            Decision::Unroutable(format!(
                "{a}: e-mail recipients are not served here (no [mm3] relay configured)"
            ))
        }
    };
    let Some(router) = &ic.router else {
        return match kind {
            AddressKind::Msisdn => Decision::Local(normalize_msisdn(address)),
            AddressKind::Email => email(address),
            _ => Decision::Unroutable(format!("{address}: only phone numbers and e-mail addresses are routed")),
        };
    };
    if kind == AddressKind::Other {
        return Decision::Unroutable(format!("{address}: only phone numbers and e-mail addresses are routed"));
    }
    match router.resolve(address) {
        Route::Local { msisdn } => Decision::Local(msisdn),
        Route::Operator {
            name,
            msisdn,
            method: DeliveryMethod::SenderHosted,
            ..
        } => Decision::SenderHosted { operator: name, msisdn },
        Route::Operator {
            name,
            msisdn,
            method: DeliveryMethod::Mm4,
            ..
        } => match ic.peers.get(&name) {
            Some(p) => Decision::Mm4 {
                operator: name,
                msisdn,
                domain: p.domain.clone(),
            },
            None => Decision::Unroutable(format!(
                "{msisdn} belongs to operator {name:?}, which has no MM4 client"
            )),
        },
        Route::Email(a) => email(&a),
        Route::Unroutable(why) => Decision::Unroutable(why),
    }
}

/// The recipients of a submission after routing: stored addresses
/// normalised and deduplicated, with each one's decision.
pub(crate) struct Plan {
    pub(crate) recipients: Vec<NewRecipient>,
    pub(crate) decisions: Vec<Decision>,
}

impl Plan {
    /// Why nothing can be delivered, when no recipient is routable.
    pub(crate) fn all_unroutable(&self) -> Option<String> {
        let reasons: Vec<&str> = self
            .decisions
            .iter()
            .map(|d| match d {
                Decision::Unroutable(r) => Some(r.as_str()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?;
        Some(format!("no recipient can be reached: {}", reasons.join("; ")))
    }
}

/// Routes the recipients of a submission (before it is stored).
pub(crate) fn plan(m: &Inner, rcpts: Vec<NewRecipient>) -> Plan {
    let mut out = Plan {
        recipients: Vec::with_capacity(rcpts.len()),
        decisions: Vec::with_capacity(rcpts.len()),
    };
    for r in rcpts {
        let d = decide(m, &r.address, r.kind);
        let stored = d.stored(&r);
        if out.recipients.iter().any(|x| x.address == stored.address) {
            continue;
        }
        out.recipients.push(stored);
        out.decisions.push(d);
    }
    out
}

/// Applies the decisions of a stored submission (after its commit).
pub(crate) async fn after_submit(
    m: &Inner,
    meta: &SubmitMeta<'_>,
    recipients: &[SubmittedRecipient],
    decisions: &[Decision],
) {
    let mut outbound = false;
    for (r, d) in recipients.iter().zip(decisions) {
        if matches!(d, Decision::Local(_)) {
            continue;
        }
        outbound |= matches!(d, Decision::Mm4 { .. } | Decision::Email(_));
        if let Err(e) = apply(m, meta, r.id, d).await {
            // The notification loop routes it again.
            tracing::warn!(recipient = %r.address, error = %e, "routing a recipient");
        }
    }
    if outbound {
        m.wake_outbox.notify_one();
    }
}

/// What [`apply`] needs of the message.
pub(crate) struct SubmitMeta<'a> {
    pub(crate) message_id: &'a str,
    pub(crate) sender: &'a str,
    pub(crate) sender_hidden: bool,
}

/// A fresh MM4 transaction id.
pub(crate) fn new_transaction_id() -> String {
    format!("ferry-{}", hex::encode(rand::random::<[u8; 12]>()))
}

/// Records one recipient's route and queues its outbound job, or fails it.
pub(crate) async fn apply(m: &Inner, meta: &SubmitMeta<'_>, id: RecipientId, d: &Decision) -> Result<(), StoreError> {
    let now = unix_now();
    match d {
        Decision::Local(_) => Ok(()),
        Decision::SenderHosted { operator, .. } => {
            let route = RecipientRoute {
                route: "sender-hosted".into(),
                operator: Some(operator.clone()),
            };
            m.store.route_recipient(id, route, None, now).await.map(|_| ())
        }
        Decision::Mm4 {
            operator,
            msisdn,
            domain,
        } => {
            let mm4 = m.config.mm4.as_ref().expect("mm4 routes need [mm4]");
            let job = NewOutbound {
                kind: OutboundKind::Mm4Forward,
                message_id: meta.message_id.to_owned(),
                recipient: Some(id),
                destination: operator.clone(),
                envelope_from: mm4.system(),
                rcpt: format!("{msisdn}/TYPE=PLMN@{domain}"),
                transaction_id: Some(new_transaction_id()),
                payload: None,
            };
            let route = RecipientRoute {
                route: "mm4".into(),
                operator: Some(operator.clone()),
            };
            m.store.route_recipient(id, route, Some(job), now).await.map(|_| ())
        }
        Decision::Email(addr) => {
            let mm3 = m.config.mm3.as_ref().expect("email routes need [mm3]");
            let job = NewOutbound {
                kind: OutboundKind::Mm3,
                message_id: meta.message_id.to_owned(),
                recipient: Some(id),
                destination: "relay".into(),
                envelope_from: email_sender(meta.sender, meta.sender_hidden, &mm3.domain),
                rcpt: addr.clone(),
                transaction_id: None,
                payload: None,
            };
            let route = RecipientRoute {
                route: "email".into(),
                operator: None,
            };
            m.store.route_recipient(id, route, Some(job), now).await.map(|_| ())
        }
        Decision::Unroutable(why) => {
            let route = RecipientRoute {
                route: "unroutable".into(),
                operator: None,
            };
            m.store.route_recipient(id, route, None, now).await?;
            tracing::info!(recipient = id.0, reason = %why, "recipient unroutable");
            let t = m
                .store
                .update_recipient(
                    RecipientKey::Id(id),
                    RecipientUpdate::to(RecipientState::Failed).reason(why.clone()),
                    now,
                )
                .await?;
            if t.report.is_some() {
                m.wake_reports.notify_one();
            }
            Ok(())
        }
    }
}

/// The e-mail address an MMS sender appears as: `+1555…@{domain}`
/// (`anonymous@{domain}` when the sender is hidden; an e-mail sender as it is).
pub(crate) fn email_sender(sender: &str, hidden: bool, domain: &str) -> String {
    if hidden {
        return format!("anonymous@{domain}");
    }
    if sender.contains('@') {
        return ferry_mm4::address::bare_email(sender).to_owned();
    }
    format!("{}@{domain}", normalize_msisdn(strip_type(sender)))
}

/// The notification loop's check of a claimed recipient: true when it is
/// to be notified here (local or sender-hosted); otherwise it was routed
/// now (queued for MM4/MM3, or failed) and must not be notified.
pub(crate) async fn notify_here(m: &Inner, d: &ferry_store::Delivery) -> bool {
    let r = &d.recipient;
    let decision = decide(m, &r.address, r.kind);
    if decision.notified_here() {
        return true;
    }
    let meta = SubmitMeta {
        message_id: &d.message.id,
        sender: &d.message.sender,
        sender_hidden: d.message.sender_hidden,
    };
    match apply(m, &meta, r.id, &decision).await {
        Ok(()) => m.wake_outbox.notify_one(),
        Err(e) => tracing::error!(recipient = %r.address, error = %e, "routing a recipient"),
    }
    false
}

/// The MM1 X-Mms-Status of a stored report status.
fn mms_status(s: ReportStatus) -> ferry_mms::Status {
    crate::workers::delivery_status(s)
}

/// The recipient state an MM4 delivery report's status means.
fn state_of(s: &MmStatus) -> Option<RecipientState> {
    Some(if *s == MmStatus::RETRIEVED {
        RecipientState::Retrieved
    } else if *s == MmStatus::REJECTED {
        RecipientState::Rejected
    } else if *s == MmStatus::EXPIRED {
        RecipientState::Expired
    } else if *s == MmStatus::DEFERRED {
        RecipientState::Deferred
    } else if *s == MmStatus::UNRECOGNISED {
        RecipientState::Unrecognised
    } else if *s == MmStatus::FORWARDED {
        RecipientState::Forwarded
    } else if *s == MmStatus::UNREACHABLE {
        RecipientState::Failed
    } else {
        return None;
    })
}

/// The M-Delivery.ind of a report, with X-Mms-Status-Text carrying the
/// recipient's reason when it could not be reached.
pub(crate) async fn delivery_ind(m: &Inner, r: &Report) -> Vec<u8> {
    let mut p = ferry_mms::Pdu::delivery_ind(
        &r.message_id,
        ferry_mms::Address::new(r.from.as_str()),
        r.date,
        mms_status(r.status),
    );
    if r.status == ReportStatus::Unreachable
        && let Ok(rs) = m.store.recipients(&r.message_id).await
        && let Some(reason) = rs.into_iter().find(|x| x.address == r.from).and_then(|x| x.reason)
    {
        p.headers
            .push(ferry_mms::Header::StatusText(ferry_mms::EncodedString::new(reason)));
    }
    p.to_bytes()
}

/// Sends a report whose destination (the message's sender) belongs to an
/// MM4 operator as `MM4_delivery_report.REQ` / `MM4_read_reply_report.REQ`,
/// and finishes it in the report queue. False when the sender is not at
/// an MM4 operator (the report is pushed as usual).
pub(crate) async fn report_over_mm4(m: &Inner, r: &Report) -> bool {
    let (Some(router), Some(mm4)) = (&m.ic.router, &m.config.mm4) else {
        return false;
    };
    let Route::Operator {
        name,
        msisdn,
        method: DeliveryMethod::Mm4,
        ..
    } = router.resolve(&r.to)
    else {
        return false;
    };
    let now = unix_now();
    let Some(peer) = m.ic.peers.get(&name) else {
        let _ = m
            .store
            .report_failed(r.id, format!("operator {name:?} has no MM4 client"), now)
            .await;
        return true;
    };
    let to = format!("{msisdn}/TYPE=PLMN@{}", peer.domain);
    let from = format!("{}/TYPE=PLMN@{}", m.ic.normalise(&r.from), mm4.domain);
    let tid = new_transaction_id();
    let bytes = match r.kind {
        ReportKind::Delivery => {
            let mut q = DeliveryReportReq::new(
                tid,
                r.message_id.clone(),
                from,
                to.clone(),
                MmStatus::from_mms(mms_status(r.status)),
                r.date,
            );
            q.ack_request = mm4.ack_request;
            q.sender = Some(mm4.system());
            q.originator_system = Some(mm4.system());
            q.forward_to_originator_ua = Some(true);
            Mm4Message::DeliveryReportReq(q).encode()
        }
        _ => {
            let status = if r.status == ReportStatus::DeletedWithoutRead {
                Mm4ReadStatus::DELETED_WITHOUT_BEING_READ
            } else {
                Mm4ReadStatus::READ
            };
            let mut q = ReadReplyReportReq::new(tid, r.message_id.clone(), from, to.clone(), status, r.date);
            q.ack_request = mm4.ack_request;
            q.sender = Some(mm4.system());
            q.originator_system = Some(mm4.system());
            Mm4Message::ReadReplyReportReq(q).encode()
        }
    };
    match peer.client.send(&mm4.system(), std::slice::from_ref(&to), &bytes).await {
        Ok(()) => {
            metrics::counter!("mmsc_mm4_out_total", "kind" => r.kind.as_str(), "result" => "sent").increment(1);
            tracing::info!(report = r.id.0, operator = %name, kind = %r.kind, "report sent over MM4");
            let _ = m.store.report_done(r.id, unix_now()).await;
        }
        Err(e) => {
            metrics::counter!("mmsc_mm4_out_total", "kind" => r.kind.as_str(), "result" => "failed").increment(1);
            tracing::warn!(report = r.id.0, operator = %name, error = %e, "MM4 report not sent");
            let c = &m.config.reports;
            if !e.is_transient() || r.attempts >= c.max_attempts {
                let _ = m.store.report_failed(r.id, e.to_string(), unix_now()).await;
            } else {
                let i = (r.attempts.max(1) as usize - 1).min(c.retry_secs.len().saturating_sub(1));
                let delay = c.retry_secs.get(i).copied().unwrap_or(60);
                let _ = m.store.report_retry(r.id, now + delay, e.to_string(), unix_now()).await;
            }
        }
    }
    true
}

/// Reloads the portability table now and then (the CLI edits it while the
/// MMSC runs).
pub(crate) async fn portability_loop(m: Arc<Inner>, shutdown: ferry_service::Shutdown) {
    let (Some(router), Some(p)) = (&m.ic.router, &m.ic.portability) else {
        return;
    };
    let every = std::time::Duration::from_secs(m.config.expiry.sweep_secs.clamp(1, 30));
    loop {
        tokio::select! {
            _ = shutdown.wait() => return,
            _ = tokio::time::sleep(every) => {}
        }
        if let Err(e) = router.reload(p).await {
            tracing::warn!(error = %e, "reloading the portability table");
        }
        let week = unix_now().saturating_sub(m.config.expiry.retention_secs.max(86_400));
        if let Err(e) = m.store.purge_outbound(week).await {
            tracing::warn!(error = %e, "purging the outbound queue");
        }
    }
}

/// Maps a send failure: transient or permanent, with its text.
pub(crate) fn send_failure(e: &SendError) -> (bool, String) {
    (e.is_transient(), e.to_string())
}
