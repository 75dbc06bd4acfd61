//! The task behind an [`crate::Esme`]: moves bytes between the socket and
//! the sans-I/O [`Session`], runs the timers, and keeps the queue, the
//! receipts and the reconnection going. Protocol decisions (bind state,
//! sequence numbers, window accounting, response timeouts, enquire_link)
//! are the session's.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferry_service::Shutdown;
use ferry_smpp::{
    Bind, Body, CommandId, CommandStatus, DataSmResp, DeliverSmResp, DeliveryReceipt, Event,
    OwnedPdu, ReceiptRequest, Role, Session,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{debug, info, warn};

use crate::config::{EsmeConfig, TokenBucket};
use crate::inbound::{Ack, AckMsg, Delivery, Inbound, Receipt};
use crate::receipts::ReceiptTracker;
use crate::{Error, EsmeState};

/// A function that takes the answer to a request.
pub(crate) type Callback = Box<dyn FnOnce(Result<OwnedPdu, Error>) + Send>;

/// Where the answer to a request goes.
pub(crate) enum Reply {
    /// A caller awaiting it.
    Wait(Option<oneshot::Sender<Result<OwnedPdu, Error>>>),
    /// A function called with it on the driver's task (no task to wake).
    /// Dropped unanswered (the client stopped with it queued), it is
    /// called with [`Error::Stopped`].
    Call(Option<Callback>),
}

impl Reply {
    /// Delivers the answer.
    pub(crate) fn send(mut self, r: Result<OwnedPdu, Error>) {
        match &mut self {
            Reply::Wait(tx) => {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(r);
                }
            }
            Reply::Call(f) => {
                if let Some(f) = f.take() {
                    f(r);
                }
            }
        }
    }

    /// The caller stopped waiting.
    fn is_closed(&self) -> bool {
        matches!(self, Reply::Wait(Some(tx)) if tx.is_closed())
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        if let Reply::Call(f) = self
            && let Some(f) = f.take()
        {
            f(Err(Error::Stopped));
        }
    }
}

/// A request from a handle.
pub(crate) struct Queued {
    /// The request, sequence number 0 (the session numbers it).
    pub(crate) pdu: OwnedPdu,
    pub(crate) reference: Option<String>,
    pub(crate) reply: Reply,
    pub(crate) enqueued: Instant,
    /// Whether it asks for a delivery receipt, when the sender knows
    /// (else read from the PDU).
    pub(crate) wants_receipt: Option<bool>,
}

struct InFlight {
    command_id: CommandId,
    reference: Option<String>,
    wants_receipt: bool,
    reply: Reply,
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// How a connection ended.
enum End {
    /// Shutdown, or every handle dropped.
    Stop,
    /// Closed after a successful bind (back-off starts over).
    AfterBind,
    /// Closed without binding (refused, bind failure, …).
    Failed,
}

/// Most inbound requests held while the application's channel is full
/// before the socket stops being read.
const MAX_PENDING_INBOUND: usize = 64;
/// How long an unbind may take at shutdown.
const UNBIND_GRACE: Duration = Duration::from_secs(2);

pub(crate) struct Driver {
    cfg: Arc<EsmeConfig>,
    cmds: mpsc::UnboundedReceiver<Queued>,
    cmds_open: bool,
    acks_rx: mpsc::UnboundedReceiver<AckMsg>,
    acks_tx: mpsc::UnboundedSender<AckMsg>,
    inbound_tx: mpsc::Sender<Inbound>,
    state_tx: watch::Sender<EsmeState>,
    shutdown: Shutdown,
    queue: VecDeque<Queued>,
    in_flight: HashMap<u64, InFlight>,
    next_token: u64,
    receipts: ReceiptTracker,
    bucket: Option<TokenBucket>,
    generation: u64,
    last_error: Option<String>,
    bind_rejected: Option<CommandStatus>,
    bound: bool,
    stopping: bool,
    listener: Option<TcpListener>,
    metrics: HotMetrics,
}

/// Handles of the metrics every request touches: looking one up by name
/// and labels (with the link's name cloned and the command formatted) cost
/// more than the update itself.
struct HotMetrics {
    window: metrics::Gauge,
    responses_ok: metrics::Counter,
    requests: HashMap<CommandId, metrics::Counter>,
}

impl HotMetrics {
    fn new(name: &str) -> Self {
        Self {
            window: metrics::gauge!("ferry_esme_window_in_use", "esme" => name.to_owned()),
            responses_ok: metrics::counter!("ferry_esme_responses_total", "esme" => name.to_owned(), "status" => status_label(CommandStatus::ESME_ROK)),
            requests: HashMap::new(),
        }
    }

    fn request(&mut self, name: &str, command_id: CommandId) -> &metrics::Counter {
        self.requests.entry(command_id).or_insert_with(|| {
            metrics::counter!("ferry_esme_requests_total", "esme" => name.to_owned(), "command" => command_id.to_string())
        })
    }
}

fn tokio_instant(t: Instant) -> tokio::time::Instant {
    tokio::time::Instant::from_std(t)
}

async fn sleep_until_opt(t: Option<Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(tokio_instant(t)).await,
        None => std::future::pending().await,
    }
}

fn min_opt(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn status_label(s: CommandStatus) -> String {
    s.name()
        .map_or_else(|| format!("0x{:08x}", s.0), str::to_owned)
}

/// Writes some of `out`, or flushes when it is empty (both cancel safe);
/// returns how many octets were written (0 after a flush).
async fn write_or_flush<W: AsyncWrite + Unpin>(w: &mut W, out: &[u8]) -> std::io::Result<usize> {
    if out.is_empty() {
        w.flush().await.map(|()| 0)
    } else {
        w.write(out).await
    }
}

async fn accept(listener: &TcpListener) -> Result<Box<dyn Io>, String> {
    let (tcp, peer) = listener
        .accept()
        .await
        .map_err(|e| format!("accepting an outbind connection: {e}"))?;
    debug!(%peer, "outbind connection");
    let _ = tcp.set_nodelay(true);
    Ok(Box::new(tcp))
}

async fn connect(cfg: Arc<EsmeConfig>) -> Result<Box<dyn Io>, String> {
    let tcp = tokio::time::timeout(cfg.connect_timeout, TcpStream::connect(&cfg.addr))
        .await
        .map_err(|_| {
            format!(
                "connecting to {}: timed out after {:?}",
                cfg.addr, cfg.connect_timeout
            )
        })?
        .map_err(|e| format!("connecting to {}: {e}", cfg.addr))?;
    let _ = tcp.set_nodelay(true);
    match &cfg.tls {
        None => Ok(Box::new(tcp)),
        Some(tls) => {
            let connector = tokio_rustls::TlsConnector::from(tls.client.clone());
            let stream = tokio::time::timeout(
                cfg.connect_timeout,
                connector.connect(tls.server_name.clone(), tcp),
            )
            .await
            .map_err(|_| format!("TLS handshake with {}: timed out", cfg.addr))?
            .map_err(|e| format!("TLS handshake with {}: {e}", cfg.addr))?;
            Ok(Box::new(stream))
        }
    }
}

impl Driver {
    pub(crate) fn new(
        cfg: Arc<EsmeConfig>,
        cmds: mpsc::UnboundedReceiver<Queued>,
        inbound_tx: mpsc::Sender<Inbound>,
        state_tx: watch::Sender<EsmeState>,
        shutdown: Shutdown,
    ) -> Self {
        let (acks_tx, acks_rx) = mpsc::unbounded_channel();
        let now = Instant::now();
        Driver {
            metrics: HotMetrics::new(&cfg.name),
            receipts: ReceiptTracker::new(cfg.receipt_ttl, cfg.max_tracked_receipts),
            bucket: cfg.rate_limit.map(|l| TokenBucket::new(l, now)),
            cfg,
            cmds,
            cmds_open: true,
            acks_rx,
            acks_tx,
            inbound_tx,
            state_tx,
            shutdown,
            queue: VecDeque::new(),
            in_flight: HashMap::new(),
            next_token: 0,
            generation: 0,
            last_error: None,
            bind_rejected: None,
            bound: false,
            stopping: false,
            listener: None,
        }
    }

    fn name(&self) -> String {
        self.cfg.name.clone()
    }

    fn set_state(&self, s: EsmeState) {
        debug!(esme = %self.cfg.name, state = %s, "state");
        self.state_tx.send_replace(s);
    }

    pub(crate) async fn run(mut self) {
        let mut attempt: u32 = 0;
        while !self.stopping {
            let outbind = self.cfg.outbind.is_some();
            let connected = if outbind {
                self.set_state(EsmeState::AwaitingOutbind);
                self.accept_outbind().await
            } else {
                self.set_state(EsmeState::Connecting);
                self.wait_for(connect(self.cfg.clone())).await
            };
            let Some(connected) = connected else { break };
            let end = match connected {
                Ok(io) => self.run_session(io, outbind).await,
                Err(e) => {
                    warn!(esme = %self.cfg.name, "{e}");
                    self.last_error = Some(e);
                    End::Failed
                }
            };
            match end {
                End::Stop => break,
                End::AfterBind => attempt = 0,
                End::Failed => {}
            }
            if self.stopping {
                break;
            }
            metrics::counter!("ferry_esme_reconnects_total", "esme" => self.name()).increment(1);
            let delay = self.cfg.reconnect.delay(attempt, rand::random::<f64>());
            attempt = attempt.saturating_add(1);
            match self.bind_rejected {
                Some(status) => self.set_state(EsmeState::BindRejected(status)),
                None => self.set_state(EsmeState::Disconnected {
                    reason: self
                        .last_error
                        .clone()
                        .unwrap_or_else(|| "connection closed".into()),
                }),
            }
            debug!(esme = %self.cfg.name, ?delay, "reconnecting after back-off");
            if self.wait_for(tokio::time::sleep(delay)).await.is_none() {
                break;
            }
        }
        self.stopping = true;
        for q in self.queue.drain(..) {
            q.reply.send(Err(Error::Stopped));
        }
        for (_, f) in self.in_flight.drain() {
            f.reply.send(Err(Error::ConnectionLost {
                command_id: f.command_id,
            }));
        }
        self.set_state(EsmeState::Stopped);
        info!(esme = %self.cfg.name, "stopped");
    }

    /// Awaits `fut` while not connected: takes requests into the queue,
    /// expires them, ignores stale acks. `None` when the client must stop.
    async fn wait_for<F: std::future::Future>(&mut self, fut: F) -> Option<F::Output> {
        tokio::pin!(fut);
        loop {
            let expiry = self
                .queue
                .front()
                .map(|q| q.enqueued + self.cfg.queue_timeout);
            tokio::select! {
                out = &mut fut => return Some(out),
                cmd = self.cmds.recv(), if self.cmds_open => match cmd {
                    Some(q) => self.enqueue_with_waiting(q),
                    None => {
                        self.cmds_open = false;
                        self.stopping = true;
                        return None;
                    }
                },
                Some(ack) = self.acks_rx.recv() => {
                    debug!(esme = %self.cfg.name, seq = ack.sequence_number, "answer for a closed connection dropped");
                }
                _ = sleep_until_opt(expiry) => self.expire_queue(Instant::now()),
                _ = self.shutdown.wait() => {
                    self.stopping = true;
                    return None;
                }
            }
        }
    }

    fn enqueue(&mut self, q: Queued) {
        if self.stopping {
            q.reply.send(Err(Error::Stopped));
        } else if let (Some(status), false) = (self.bind_rejected, self.bound) {
            q.reply.send(Err(Error::BindRejected { status }));
        } else {
            self.queue.push_back(q);
        }
    }

    fn expire_queue(&mut self, now: Instant) {
        while let Some(front) = self.queue.front() {
            let waited = now.saturating_duration_since(front.enqueued);
            if waited < self.cfg.queue_timeout {
                break;
            }
            let Some(q) = self.queue.pop_front() else {
                break;
            };
            let err = if self.bound {
                Error::QueueTimeout { waited }
            } else {
                Error::NotBound {
                    waited,
                    state: self.state_tx.borrow().clone(),
                    last_error: self.last_error.clone(),
                }
            };
            metrics::counter!("ferry_esme_not_sent_total", "esme" => self.name()).increment(1);
            q.reply.send(Err(err));
        }
    }

    fn fail_queue(&mut self, err: Error) {
        for q in self.queue.drain(..) {
            q.reply.send(Err(err.clone()));
        }
    }

    /// Queues `q` and every other request already waiting, so that one
    /// write carries all of them.
    fn enqueue_with_waiting(&mut self, q: Queued) {
        self.enqueue(q);
        while let Ok(q) = self.cmds.try_recv() {
            self.enqueue(q);
        }
    }

    /// Queues `q` with every request already waiting, after letting the
    /// other ready tasks run first when bound: the ones about to submit
    /// too (woken by the same event) then share one write, instead of one
    /// write (and one answer from the SMSC) each.
    async fn take_commands(&mut self, q: Queued) {
        self.enqueue_with_waiting(q);
        if self.bound && self.queue.len() < self.cfg.window {
            tokio::task::yield_now().await;
            while let Ok(q) = self.cmds.try_recv() {
                self.enqueue(q);
            }
        }
    }

    /// Sends queued requests while the session is bound and the window and
    /// the rate limit allow.
    fn pump(&mut self, session: &mut Session<u64>, now: Instant) {
        if !self.bound || self.stopping {
            return;
        }
        while session.window_available() > 0 {
            let Some(front) = self.queue.front() else {
                break;
            };
            if front.reply.is_closed() {
                self.queue.pop_front(); // the caller gave up before it was sent
                continue;
            }
            if let Some(b) = &mut self.bucket
                && !b.try_take(now)
            {
                break;
            }
            let Some(q) = self.queue.pop_front() else {
                break;
            };
            let token = self.next_token;
            self.next_token += 1;
            let command_id = q.pdu.command_id();
            let wants_receipt = q.wants_receipt.unwrap_or_else(|| match q.pdu.pdu().body {
                Body::SubmitSm(sm) => sm.registered_delivery.smsc_receipt() != ReceiptRequest::None,
                Body::DataSm(d) => d.registered_delivery.smsc_receipt() != ReceiptRequest::None,
                _ => false,
            });
            match session.send_request_owned(now, &q.pdu, token) {
                Ok(_) => {
                    self.metrics.request(&self.cfg.name, command_id).increment(1);
                    self.in_flight.insert(
                        token,
                        InFlight {
                            command_id,
                            reference: q.reference,
                            wants_receipt,
                            reply: q.reply,
                        },
                    );
                }
                Err(e) => {
                    q.reply.send(Err(Error::Session(e)));
                }
            }
        }
        self.metrics.window.set(session.outstanding() as f64);
    }

    fn next_wake(&self, session: &Session<u64>) -> Option<Instant> {
        let expiry = self
            .queue
            .front()
            .map(|q| q.enqueued + self.cfg.queue_timeout);
        let token = match (
            &self.bucket,
            self.bound && !self.queue.is_empty() && session.window_available() > 0,
        ) {
            (Some(b), true) => Some(b.next_token(Instant::now())),
            _ => None,
        };
        min_opt(min_opt(session.poll_timeout(), expiry), token)
    }

    /// Outbind: the next connection from the SMSC (listening on first use).
    async fn accept_outbind(&mut self) -> Option<Result<Box<dyn Io>, String>> {
        let listen = self.cfg.outbind.as_ref()?.listen.clone();
        let listener = match self.listener.take() {
            Some(l) => l,
            None => match self.wait_for(TcpListener::bind(listen.clone())).await? {
                Ok(l) => l,
                Err(e) => return Some(Err(format!("listening on {listen}: {e}"))),
            },
        };
        let r = self.wait_for(accept(&listener)).await;
        self.listener = Some(listener);
        r
    }

    /// Sends the bind; false (with `last_error` set) if it cannot be.
    fn send_bind(&mut self, session: &mut Session<u64>) -> bool {
        let cfg = self.cfg.clone();
        let bind = Bind {
            system_id: cfg.system_id.as_bytes(),
            password: cfg.password.as_bytes(),
            system_type: cfg.system_type.as_bytes(),
            interface_version: cfg.interface_version,
            addr_ton: cfg.addr_ton,
            addr_npi: cfg.addr_npi,
            address_range: cfg.address_range.as_bytes(),
        };
        match session.bind(Instant::now(), cfg.bind, bind) {
            Ok(_) => {
                self.set_state(EsmeState::Binding);
                true
            }
            Err(e) => {
                self.last_error = Some(format!("bind: {e}"));
                false
            }
        }
    }

    async fn run_session(&mut self, io: Box<dyn Io>, outbind: bool) -> End {
        self.generation += 1;
        let (mut rd, mut wr) = tokio::io::split(io);
        let now = Instant::now();
        let session_cfg = ferry_smpp::Config {
            response_timeout: self.cfg.response_timeout,
            enquire_link_interval: self.cfg.enquire_link_interval,
            window: self.cfg.window,
            ..Default::default()
        };
        let mut session: Session<u64> = Session::new(Role::Esme, session_cfg, now);
        // Outbind: the bind waits for the SMSC's outbind (see on_request).
        let outbind_deadline = outbind.then(|| now + self.cfg.response_timeout);
        if !outbind && !self.send_bind(&mut session) {
            return End::Failed;
        }
        let mut out: Vec<u8> = Vec::new();
        let mut need_flush = false;
        let mut rbuf = vec![0u8; 16 * 1024];
        let mut pending_in: VecDeque<Inbound> = VecDeque::new();
        let mut was_bound = false;
        let mut unbind_deadline: Option<Instant> = None;
        let mut io_failed = false;
        let inbound_tx = self.inbound_tx.clone();

        loop {
            let now = Instant::now();
            if self.stopping && unbind_deadline.is_none() {
                // Shutdown or every handle dropped: unbind politely.
                self.fail_queue(Error::Stopped);
                if self.bound && session.unbind(now).is_ok() {
                    unbind_deadline = Some(now + UNBIND_GRACE.min(self.cfg.response_timeout));
                } else {
                    let ev = session.close_now();
                    self.handle_events(ev, &mut session, &mut pending_in, &mut was_bound);
                    unbind_deadline = Some(now);
                }
            }
            self.pump(&mut session, now);
            session.poll_transmit(&mut out);
            if io_failed || (session.is_closed() && out.is_empty()) {
                break;
            }
            if outbind_deadline.is_some_and(|d| d <= now)
                && session.state() == ferry_smpp::State::Open
            {
                self.last_error =
                    Some(format!("no outbind within {:?}", self.cfg.response_timeout));
                break;
            }
            if unbind_deadline.is_some_and(|d| d <= now) {
                let ev = session.close_now();
                self.handle_events(ev, &mut session, &mut pending_in, &mut was_bound);
                break;
            }
            let outbind_wake =
                outbind_deadline.filter(|_| session.state() == ferry_smpp::State::Open);
            let wake = min_opt(
                min_opt(self.next_wake(&session), unbind_deadline),
                outbind_wake,
            );
            let reading = !session.is_closed() && pending_in.len() < MAX_PENDING_INBOUND;
            tokio::select! {
                r = write_or_flush(&mut wr, &out), if !out.is_empty() || need_flush => match r {
                    Ok(0) if !out.is_empty() => {
                        self.last_error = Some("write: connection closed".into());
                        io_failed = true;
                    }
                    Ok(n) => {
                        if out.is_empty() {
                            need_flush = false; // that was the flush
                        } else {
                            out.drain(..n);
                            need_flush = true;
                        }
                    }
                    Err(e) => {
                        self.last_error = Some(format!("write: {e}"));
                        io_failed = true;
                    }
                },
                r = rd.read(&mut rbuf), if reading => match r {
                    Ok(0) | Err(_) => {
                        let why = match r { Err(e) => format!("read: {e}"), _ => "the SMSC closed the connection".into() };
                        info!(esme = %self.cfg.name, "{why}");
                        self.last_error = Some(why);
                        io_failed = true;
                    }
                    Ok(n) => {
                        let ev = session.handle_input(Instant::now(), &rbuf[..n]);
                        self.handle_events(ev, &mut session, &mut pending_in, &mut was_bound);
                    }
                },
                permit = inbound_tx.reserve(), if !pending_in.is_empty() => match permit {
                    Ok(p) => {
                        if let Some(i) = pending_in.pop_front() {
                            p.send(i);
                        }
                    }
                    // Nobody listens: dropping them answers ESME_RX_T_APPN.
                    Err(_) => pending_in.clear(),
                },
                Some(ack) = self.acks_rx.recv() => self.on_ack(&mut session, ack),
                cmd = self.cmds.recv(), if self.cmds_open => match cmd {
                    Some(q) => self.take_commands(q).await,
                    None => {
                        self.cmds_open = false;
                        self.stopping = true;
                    }
                },
                _ = sleep_until_opt(wake) => {
                    let now = Instant::now();
                    let ev = session.handle_timeout(now);
                    self.handle_events(ev, &mut session, &mut pending_in, &mut was_bound);
                    self.expire_queue(now);
                }
                _ = self.shutdown.wait(), if !self.stopping => self.stopping = true,
            }
        }
        // The connection is over: whatever was sent and unanswered is lost.
        if !session.is_closed() {
            let ev = session.close_now();
            self.handle_events(ev, &mut session, &mut pending_in, &mut was_bound);
        }
        self.bound = false;
        metrics::gauge!("ferry_esme_window_in_use", "esme" => self.name()).set(0.0);
        drop(pending_in); // unanswered: ESME_RX_T_APPN is not sent (connection gone)
        if self.stopping {
            End::Stop
        } else if was_bound {
            End::AfterBind
        } else {
            End::Failed
        }
    }

    fn on_ack(&mut self, session: &mut Session<u64>, ack: AckMsg) {
        if ack.generation != self.generation || session.is_closed() {
            debug!(esme = %self.cfg.name, seq = ack.sequence_number, "answer for a closed connection dropped");
            return;
        }
        let r = if ack.status.is_ok() {
            let body = if ack.command_id == CommandId::DATA_SM {
                Body::DataSmResp(DataSmResp::default())
            } else {
                Body::DeliverSmResp(DeliverSmResp::default())
            };
            session.respond(ack.sequence_number, ack.status, body)
        } else {
            session.reject(ack.sequence_number, ack.status)
        };
        metrics::counter!("ferry_esme_inbound_answers_total", "esme" => self.name(), "status" => status_label(ack.status))
            .increment(1);
        if let Err(e) = r {
            debug!(esme = %self.cfg.name, "answer not sent: {e}");
        }
    }

    fn handle_events(
        &mut self,
        events: Vec<Event<u64>>,
        session: &mut Session<u64>,
        pending_in: &mut VecDeque<Inbound>,
        was_bound: &mut bool,
    ) {
        let name = self.name();
        for ev in events {
            match ev {
                Event::Bound { mode, system_id } => {
                    info!(esme = %name, ?mode, smsc = %String::from_utf8_lossy(&system_id), "bound");
                    self.bound = true;
                    *was_bound = true;
                    self.bind_rejected = None;
                    self.last_error = None;
                    metrics::counter!("ferry_esme_binds_total", "esme" => name.clone(), "status" => "ESME_ROK").increment(1);
                    self.set_state(EsmeState::Bound(mode));
                }
                Event::BindFailed { status } => {
                    warn!(esme = %name, %status, "bind rejected");
                    metrics::counter!("ferry_esme_binds_total", "esme" => name.clone(), "status" => status_label(status))
                        .increment(1);
                    self.bind_rejected = Some(status);
                    self.last_error = Some(format!("bind rejected with {status}"));
                    self.fail_queue(Error::BindRejected { status });
                    let ev = session.close_now();
                    self.handle_events(ev, session, pending_in, was_bound);
                }
                Event::BindTimeout => {
                    warn!(esme = %name, "no bind response");
                    self.last_error = Some(format!(
                        "no bind response within {:?}",
                        self.cfg.response_timeout
                    ));
                    let ev = session.close_now();
                    self.handle_events(ev, session, pending_in, was_bound);
                }
                Event::Request { pdu } => self.on_request(session, pdu, pending_in),
                Event::Response { token, pdu } => self.on_response(token, pdu),
                Event::Timeout {
                    token, command_id, ..
                } => {
                    metrics::counter!("ferry_esme_responses_total", "esme" => name.clone(), "status" => "timeout")
                        .increment(1);
                    if let Some(f) = self.in_flight.remove(&token) {
                        f.reply.send(Err(Error::Timeout {
                            command_id,
                            timeout: self.cfg.response_timeout,
                        }));
                    }
                }
                Event::Aborted {
                    token, command_id, ..
                } => {
                    metrics::counter!("ferry_esme_responses_total", "esme" => name.clone(), "status" => "connection_lost")
                        .increment(1);
                    if let Some(f) = self.in_flight.remove(&token) {
                        f.reply.send(Err(Error::ConnectionLost { command_id }));
                    }
                }
                Event::LinkTimeout => {
                    warn!(esme = %name, "enquire_link unanswered: dropping the connection");
                    self.last_error = Some("enquire_link unanswered".into());
                }
                Event::Unbound { by_peer } => {
                    info!(esme = %name, by_peer, "unbound");
                    if by_peer {
                        self.last_error = Some("the SMSC unbound".into());
                    }
                }
                Event::ProtocolError { error, fatal } => {
                    warn!(esme = %name, %error, fatal, "protocol error");
                    if fatal {
                        self.last_error = Some(format!("protocol error: {error}"));
                    }
                }
                Event::UnexpectedResponse { pdu } => {
                    debug!(esme = %name, command_id = %pdu.command_id(), seq = pdu.sequence_number(), "unexpected response dropped");
                }
                _ => {}
            }
        }
        if session.is_closed() {
            self.bound = false;
        }
    }

    fn on_response(&mut self, token: u64, pdu: OwnedPdu) {
        let Some(f) = self.in_flight.remove(&token) else {
            return;
        };
        let status = pdu.command_status();
        if status.is_ok() {
            self.metrics.responses_ok.increment(1);
        } else {
            metrics::counter!("ferry_esme_responses_total", "esme" => self.name(), "status" => status_label(status)).increment(1);
        }
        if !status.is_ok() || pdu.command_id() == CommandId::GENERIC_NACK {
            f.reply.send(Err(Error::Rejected {
                command_id: f.command_id,
                status,
            }));
            return;
        }
        if f.wants_receipt {
            let id = match pdu.pdu().body {
                Body::SubmitSmResp(r) => String::from_utf8_lossy(r.message_id).into_owned(),
                Body::DataSmResp(r) => String::from_utf8_lossy(r.message_id).into_owned(),
                _ => String::new(),
            };
            if id.is_empty() {
                debug!(esme = %self.cfg.name, "no message_id in the response: its receipt cannot be matched");
            }
            self.receipts.insert(&id, f.reference, Instant::now());
            metrics::gauge!("ferry_esme_receipts_tracked", "esme" => self.name())
                .set(self.receipts.len() as f64);
        }
        f.reply.send(Ok(pdu));
    }

    fn on_request(
        &mut self,
        session: &mut Session<u64>,
        pdu: OwnedPdu,
        pending_in: &mut VecDeque<Inbound>,
    ) {
        let command_id = pdu.command_id();
        let seq = pdu.sequence_number();
        let ack = Ack {
            tx: self.acks_tx.clone(),
            generation: self.generation,
            sequence_number: seq,
            command_id,
            done: false,
        };
        let decoded = pdu.pdu();
        let inbound = match &decoded.body {
            Body::DeliverSm(sm) if sm.esm_class.is_delivery_receipt() => {
                let text = DeliveryReceipt::from_deliver_sm(sm).unwrap_or_default();
                let tlv_id = sm
                    .tlvs
                    .receipted_message_id()
                    .map(|b| String::from_utf8_lossy(b).into_owned());
                let state = sm.tlvs.message_state().or_else(|| text.message_state());
                let network_error = sm.tlvs.network_error_code();
                let error = text.err.map(str::to_owned);
                let text_id = text.id.map(str::to_owned);
                Some(self.receipt(
                    tlv_id,
                    text_id,
                    state,
                    error,
                    network_error,
                    ack,
                    pdu.clone(),
                ))
            }
            Body::DataSm(d) if d.esm_class.is_delivery_receipt() => {
                let tlv_id = d
                    .tlvs
                    .receipted_message_id()
                    .map(|b| String::from_utf8_lossy(b).into_owned());
                let state = d.tlvs.message_state();
                let network_error = d.tlvs.network_error_code();
                Some(self.receipt(tlv_id, None, state, None, network_error, ack, pdu.clone()))
            }
            Body::DeliverSm(_) | Body::DataSm(_) => {
                metrics::counter!("ferry_esme_inbound_total", "esme" => self.name(), "kind" => "message").increment(1);
                Some(Inbound::Message(Delivery {
                    pdu: pdu.clone(),
                    ack,
                }))
            }
            Body::Outbind(o) => {
                let mut ack = ack;
                ack.done = true; // outbind has no response
                let expected = self.cfg.outbind.as_ref().is_some_and(|c| {
                    c.system_id
                        .as_ref()
                        .is_none_or(|s| s.as_bytes() == o.system_id)
                        && c.password
                            .as_ref()
                            .is_none_or(|p| p.as_bytes() == o.password)
                });
                if expected {
                    info!(esme = %self.cfg.name, smsc = %String::from_utf8_lossy(o.system_id), "outbind: binding");
                    self.send_bind(session);
                } else {
                    warn!(esme = %self.cfg.name, smsc = %String::from_utf8_lossy(o.system_id), "outbind refused: unexpected system_id or password");
                    self.last_error = Some("outbind with unexpected credentials".into());
                    let _ = session.close_now();
                }
                None
            }
            Body::AlertNotification(a) => {
                let mut ack = ack;
                ack.done = true; // no response exists
                info!(esme = %self.cfg.name, source = ?a.source, esme_addr = ?a.esme, "alert_notification");
                None
            }
            _ => {
                let mut ack = ack;
                ack.done = true;
                let _ = session.reject(seq, CommandStatus::ESME_RINVCMDID);
                None
            }
        };
        if let Some(i) = inbound {
            pending_in.push_back(i);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn receipt(
        &mut self,
        tlv_id: Option<String>,
        text_id: Option<String>,
        state: Option<ferry_smpp::MessageState>,
        error: Option<String>,
        network_error: Option<ferry_smpp::NetworkErrorCode>,
        ack: Ack,
        pdu: OwnedPdu,
    ) -> Inbound {
        let ids: Vec<&str> = tlv_id
            .iter()
            .chain(text_id.iter())
            .map(String::as_str)
            .collect();
        let final_state = state.is_none_or(ferry_smpp::MessageState::is_final);
        let matched = self.receipts.lookup(&ids, final_state);
        metrics::counter!("ferry_esme_inbound_total", "esme" => self.name(), "kind" => if matched.is_some() { "receipt" } else { "receipt_unmatched" })
            .increment(1);
        let (message_id, reference, is_matched) = match matched {
            Some(m) => (Some(m.message_id), m.reference, true),
            None => (tlv_id.or(text_id), None, false),
        };
        Inbound::Receipt(Receipt {
            message_id,
            reference,
            matched: is_matched,
            state,
            error,
            network_error,
            pdu,
            ack,
        })
    }
}
