//! The timeline: every protocol step the network's observation points see
//! (the recording MMS proxy, the recording push client, the phones' SMS
//! taps and their events), with its size and time.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::broadcast;

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// A phone POSTed an M-Send.req (proxy).
    SendReq,
    /// The MMSC answered M-Send.conf (proxy).
    SendConf,
    /// The MMSC pushed an MMS PDU through its push gateway (PAP).
    PapPush,
    /// The push gateway's answer.
    PapAnswer,
    /// A short message reached a phone (an SMPP deliver_sm).
    SmsSegment,
    /// The segments made a WAP Push (reassembled at the phone).
    WapPush,
    /// A phone's GET of a message (proxy).
    Get,
    /// The MMSC's answer to a GET (proxy).
    RetrieveConf,
    /// M-NotifyResp.ind (proxy).
    NotifyResp,
    /// M-Acknowledge.ind (proxy).
    Acknowledge,
    /// M-Read-Rec.ind (proxy).
    ReadRec,
    /// Another MM1 POST or answer (proxy).
    Mm1,
    /// A phone stored a message in its inbox.
    Stored,
    /// A deferred phone alerted its user.
    Pending,
    /// A delivery report reached the sender's phone.
    DeliveryReport,
    /// A read report reached the sender's phone.
    ReadReport,
    /// A phone ignored a repeated notification.
    Duplicate,
    /// Something failed (a fetch, a push, a proxied request).
    Failed,
    /// The home MMSC fetched a message from a peer operator's MMSC for its
    /// subscriber (sender-hosted retrieval), or served the copy it kept.
    PeerFetch,
    /// The home MMSC relayed its subscriber's NotifyResp, Acknowledge or
    /// Read-Rec to the peer operator's MMSC.
    PeerRelay,
}

impl Step {
    /// The name printed in the timeline.
    pub fn name(&self) -> &'static str {
        match self {
            Step::SendReq => "M-Send.req",
            Step::SendConf => "M-Send.conf",
            Step::PapPush => "PAP push",
            Step::PapAnswer => "PAP answer",
            Step::SmsSegment => "SMS segment",
            Step::WapPush => "WAP Push",
            Step::Get => "GET",
            Step::RetrieveConf => "M-Retrieve.conf",
            Step::NotifyResp => "M-NotifyResp.ind",
            Step::Acknowledge => "M-Acknowledge.ind",
            Step::ReadRec => "M-Read-Rec.ind",
            Step::Mm1 => "MM1",
            Step::Stored => "inbox",
            Step::Pending => "deferred alert",
            Step::DeliveryReport => "delivery report",
            Step::ReadReport => "read report",
            Step::Duplicate => "duplicate ignored",
            Step::Failed => "FAILED",
            Step::PeerFetch => "peer fetch",
            Step::PeerRelay => "peer relay",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One observed step.
#[derive(Debug, Clone)]
pub struct TraceEvent {
    /// When it was seen.
    pub at: Instant,
    /// The operator it happened at.
    pub operator: Arc<str>,
    /// What.
    pub step: Step,
    /// Who to whom (`+15550100001 → MMSC`).
    pub path: String,
    /// Octets on the wire (the PDU, the short message, the PAP body…).
    pub size: Option<usize>,
    /// How long the exchange took, for answers.
    pub took: Option<Duration>,
    /// Anything else worth a word (status, transaction id, file).
    pub detail: String,
}

impl TraceEvent {
    /// One timeline line, with the time elapsed since `zero`.
    pub fn line(&self, zero: Instant) -> String {
        let t = self.at.saturating_duration_since(zero);
        let size = self.size.map_or_else(String::new, |s| format!("{s} B"));
        let took = self
            .took
            .map_or_else(String::new, |d| format!(" (in {})", ms(d)));
        format!(
            "{:>10}  {:<6} {:<17} {:>9}  {:<34} {}{took}",
            format!("+{}", ms(t)),
            self.operator,
            self.step.name(),
            size,
            self.path,
            self.detail
        )
    }
}

/// Milliseconds with one decimal.
pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[derive(Debug)]
struct Inner {
    events: Mutex<Vec<TraceEvent>>,
    live: broadcast::Sender<TraceEvent>,
    enabled: bool,
}

/// Collects [`TraceEvent`]s (cheap to clone; a disabled tracer records
/// nothing, for benchmarks).
#[derive(Debug, Clone)]
pub struct Tracer(Arc<Inner>);

impl Default for Tracer {
    fn default() -> Self {
        Self::new()
    }
}

impl Tracer {
    /// A tracer that keeps every event and broadcasts it.
    pub fn new() -> Self {
        let (live, _) = broadcast::channel(4096);
        Self(Arc::new(Inner {
            events: Mutex::new(Vec::new()),
            live,
            enabled: true,
        }))
    }

    /// A tracer that records nothing.
    pub fn disabled() -> Self {
        let (live, _) = broadcast::channel(1);
        Self(Arc::new(Inner {
            events: Mutex::new(Vec::new()),
            live,
            enabled: false,
        }))
    }

    /// Whether events are kept.
    pub fn enabled(&self) -> bool {
        self.0.enabled
    }

    /// Records an event.
    pub fn record(&self, e: TraceEvent) {
        if !self.0.enabled {
            return;
        }
        let _ = self.0.live.send(e.clone());
        self.0
            .events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(e);
    }

    /// Records an event happening now.
    pub fn now(
        &self,
        operator: &Arc<str>,
        step: Step,
        path: impl Into<String>,
        size: Option<usize>,
        took: Option<Duration>,
        detail: impl Into<String>,
    ) {
        if !self.0.enabled {
            return;
        }
        self.record(TraceEvent {
            at: Instant::now(),
            operator: operator.clone(),
            step,
            path: path.into(),
            size,
            took,
            detail: detail.into(),
        });
    }

    /// Events as they happen from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<TraceEvent> {
        self.0.live.subscribe()
    }

    /// How many events so far (a mark for [`Tracer::since`]).
    pub fn mark(&self) -> usize {
        self.0
            .events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// The events recorded after `mark`, in time order.
    pub fn since(&self, mark: usize) -> Vec<TraceEvent> {
        let mut v: Vec<TraceEvent> = self
            .0
            .events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(mark..)
            .unwrap_or_default()
            .to_vec();
        v.sort_by_key(|e| e.at);
        v
    }
}
