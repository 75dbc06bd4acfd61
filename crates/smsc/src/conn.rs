//! One SMPP connection: the sans-I/O [`Session`] driven by a tokio task.
//!
//! The task reads the socket, feeds the session, acts on its events (binds,
//! submissions, responses to our deliver_sm), takes deliveries and commit
//! results from the core, and writes whatever the session has to send. A
//! connection's trouble (bad PDUs, a flood, a stall) stays in its task.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ferry_service::Shutdown;
use ferry_smpp::session::Config as SessionConfig;
use ferry_smpp::{
    Address, Body, CommandStatus, Event, OwnedPdu, Role, Session, SmppTime, SubmitSm, SubmitSmResp,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::config::AccountRole;
use crate::core::{Bound, Core, Routing, SessionHandle, Submitted, ToSession};
use crate::message::{Msg, Target, deliver_from_submit, now_ms};
use crate::metrics as m;

struct Conn {
    core: Arc<Core>,
    sid: u64,
    peer: SocketAddr,
    tx: mpsc::UnboundedSender<ToSession>,
    bound: Option<Bound>,
    /// Deliveries waiting for room in the window.
    outq: VecDeque<Arc<Msg>>,
    /// submit_sm waiting for their commit.
    pending_submits: usize,
}

/// Serves one accepted connection until it closes or shutdown.
pub(crate) async fn serve(
    core: Arc<Core>,
    stream: TcpStream,
    peer: SocketAddr,
    shutdown: Shutdown,
) {
    let _ = stream.set_nodelay(true);
    let cfg = &core.config;
    let scfg = SessionConfig {
        response_timeout: Duration::from_secs(cfg.delivery.response_timeout_seconds.max(1)),
        enquire_link_interval: (cfg.limits.enquire_link_seconds > 0)
            .then(|| Duration::from_secs(cfg.limits.enquire_link_seconds)),
        window: cfg.delivery.window,
        max_command_length: cfg.limits.max_command_length,
    };
    let bind_deadline =
        Instant::now() + Duration::from_secs(cfg.limits.bind_timeout_seconds.max(1));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut c = Conn {
        sid: core.new_sid(),
        core: core.clone(),
        peer,
        tx,
        bound: None,
        outq: VecDeque::new(),
        pending_submits: 0,
    };
    let mut sess: Session<u64> = Session::new(Role::Smsc, scfg, std::time::Instant::now());
    let (mut rd, mut wr) = stream.into_split();
    let mut rbuf = vec![0u8; 64 * 1024];
    let mut out = Vec::with_capacity(64 * 1024);
    metrics::gauge!(m::CONNECTIONS).increment(1.0);
    tracing::debug!(%peer, sid = c.sid, "connection");
    loop {
        c.fill_window(&mut sess);
        out.clear();
        sess.poll_transmit(&mut out);
        if !out.is_empty() && wr.write_all(&out).await.is_err() {
            break;
        }
        if sess.is_closed() {
            break;
        }
        let timer = match (sess.poll_timeout(), c.bound.is_none()) {
            (Some(t), true) => Instant::from_std(t).min(bind_deadline),
            (Some(t), false) => Instant::from_std(t),
            (None, true) => bind_deadline,
            (None, false) => Instant::now() + Duration::from_secs(3600),
        };
        tokio::select! {
            biased;
            _ = shutdown.wait() => {
                if sess.unbind(std::time::Instant::now()).is_ok() {
                    out.clear();
                    sess.poll_transmit(&mut out);
                    let _ = tokio::time::timeout(Duration::from_millis(200), wr.write_all(&out)).await;
                }
                break;
            }
            cmd = rx.recv() => {
                let Some(cmd) = cmd else { break };
                c.command(&mut sess, cmd);
                // Take whatever else is waiting before writing.
                for _ in 0..1024 {
                    match rx.try_recv() {
                        Ok(cmd) => c.command(&mut sess, cmd),
                        Err(_) => break,
                    }
                }
            }
            r = rd.read(&mut rbuf) => {
                let n = match r {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let events = sess.handle_input(std::time::Instant::now(), &rbuf[..n]);
                for ev in events {
                    c.event(&mut sess, ev).await;
                }
            }
            _ = tokio::time::sleep_until(timer) => {
                if c.bound.is_none() && Instant::now() >= bind_deadline {
                    tracing::debug!(%peer, "no bind in time; closing");
                    break;
                }
                let events = sess.handle_timeout(std::time::Instant::now());
                for ev in events {
                    c.event(&mut sess, ev).await;
                }
            }
        }
    }
    // Whatever this session held goes back to the queue.
    let mut returned: Vec<u64> = c.outq.drain(..).map(|m| m.id).collect();
    for ev in sess.close_now() {
        if let Event::Aborted { token, .. } = ev {
            returned.push(token);
        }
    }
    let targets = c
        .bound
        .as_ref()
        .map(|b| b.targets.clone())
        .unwrap_or_default();
    c.core.unregister(c.sid, &targets, returned);
    metrics::gauge!(m::CONNECTIONS).decrement(1.0);
    tracing::debug!(%peer, sid = c.sid, "connection closed");
}

impl Conn {
    fn fill_window(&mut self, sess: &mut Session<u64>) {
        let now = std::time::Instant::now();
        while sess.window_available() > 0 {
            let Some(msg) = self.outq.pop_front() else {
                break;
            };
            let Some(pdu) = msg.deliver_sm() else {
                self.core.failed(msg.id, true);
                continue;
            };
            if let Err(e) = sess.send_request(now, pdu.body, msg.id) {
                tracing::warn!(id = msg.id, "cannot send deliver_sm: {e}");
                self.outq.push_front(msg);
                break;
            }
        }
    }

    fn command(&mut self, sess: &mut Session<u64>, cmd: ToSession) {
        match cmd {
            ToSession::Deliver(msg) => self.outq.push_back(msg),
            ToSession::Committed { seq, result } => {
                self.pending_submits = self.pending_submits.saturating_sub(1);
                match result {
                    Ok(id) => respond_submit(sess, seq, id),
                    Err(status) => {
                        metrics::counter!(m::REJECTED).increment(1);
                        let _ = sess.reject(seq, status);
                    }
                }
            }
        }
    }

    async fn event(&mut self, sess: &mut Session<u64>, ev: Event<u64>) {
        match ev {
            Event::Request { pdu } => self.request(sess, pdu).await,
            Event::Response { token, pdu } => {
                let status = pdu.command_status();
                if status.is_ok() {
                    self.core.delivered(token);
                } else {
                    let permanent = matches!(
                        status,
                        CommandStatus::ESME_RX_P_APPN | CommandStatus::ESME_RX_R_APPN
                    );
                    tracing::debug!(id = token, %status, "deliver_sm refused");
                    self.core.failed(token, permanent);
                }
            }
            Event::Timeout { token, .. } => {
                tracing::debug!(id = token, "deliver_sm unanswered");
                self.core.failed(token, false);
            }
            Event::Aborted { token, .. } => self.core.unregister(self.sid, &[], vec![token]),
            Event::ProtocolError { error, fatal } => {
                metrics::counter!(m::PROTOCOL_ERRORS).increment(1);
                tracing::info!(peer = %self.peer, fatal, "bad PDU: {error}");
            }
            Event::LinkTimeout => {
                tracing::info!(peer = %self.peer, "enquire_link unanswered; closing")
            }
            Event::Unbound { .. } => tracing::debug!(peer = %self.peer, "unbound"),
            _ => {}
        }
    }

    async fn request(&mut self, sess: &mut Session<u64>, owned: OwnedPdu) {
        let pdu = owned.pdu();
        let seq = pdu.sequence_number;
        let mode = ferry_smpp::BindMode::from_command_id(pdu.command_id());
        match (&pdu.body, mode) {
            (
                Body::BindTransmitter(b) | Body::BindReceiver(b) | Body::BindTransceiver(b),
                Some(mode),
            ) => {
                if let Some(delay) = self.core.bind_delay(self.peer.ip()) {
                    tokio::time::sleep(delay).await;
                }
                match self.core.authenticate(self.peer.ip(), mode, b) {
                    Ok(bound) => {
                        if sess
                            .accept_bind(
                                std::time::Instant::now(),
                                seq,
                                self.core.config.system_id.as_bytes(),
                            )
                            .is_ok()
                        {
                            tracing::info!(
                                peer = %self.peer,
                                system_id = %bound.account.system_id,
                                msisdn = bound.msisdn.as_deref().unwrap_or(""),
                                ?mode,
                                "bound"
                            );
                            let handle = SessionHandle {
                                sid: self.sid,
                                tx: self.tx.clone(),
                            };
                            self.core.register(&bound.targets, handle);
                            self.bound = Some(bound);
                        }
                    }
                    Err(status) => {
                        tracing::info!(peer = %self.peer, system_id = %String::from_utf8_lossy(b.system_id), %status, "bind refused");
                        let _ = sess.reject_bind(seq, status);
                    }
                }
            }
            (Body::SubmitSm(sm), _) => {
                let status = match self.submit(sess, seq, sm) {
                    Ok(()) => return,
                    Err(s) => s,
                };
                metrics::counter!(m::REJECTED).increment(1);
                let _ = sess.reject(seq, status);
            }
            (Body::QuerySm(_), _) => {
                let _ = sess.reject(seq, CommandStatus::ESME_RQUERYFAIL);
            }
            (Body::CancelSm(_), _) => {
                let _ = sess.reject(seq, CommandStatus::ESME_RCANCELFAIL);
            }
            (Body::ReplaceSm(_), _) => {
                let _ = sess.reject(seq, CommandStatus::ESME_RREPLACEFAIL);
            }
            _ => {
                // data_sm, submit_multi: not offered.
                if pdu.command_id().response_id().is_some() {
                    let _ = sess.reject(seq, CommandStatus::ESME_RINVCMDID);
                }
            }
        }
    }

    /// Checks, routes and queues a submit_sm; answers it now (memory store)
    /// or after the commit.
    fn submit(
        &mut self,
        sess: &mut Session<u64>,
        seq: u32,
        sm: &SubmitSm<'_>,
    ) -> Result<(), CommandStatus> {
        let Some(bound) = &self.bound else {
            return Err(CommandStatus::ESME_RINVBNDSTS);
        };
        let limits = &self.core.config.limits;
        if self.pending_submits >= limits.max_pending_submits {
            return Err(CommandStatus::ESME_RTHROTTLED);
        }
        let dest =
            crate::address::normalize(sm.destination.addr).ok_or(CommandStatus::ESME_RINVDSTADR)?;
        let route = match self.core.route(&dest) {
            Routing::Local => None,
            Routing::Forward(i) => {
                if bound.account.role == AccountRole::Peer {
                    // Never forward what a peer forwarded: no loops.
                    return Err(CommandStatus::ESME_RINVDSTADR);
                }
                if !self.core.forwarders().has(i) {
                    tracing::warn!(dest, "forwarding not available");
                    return Err(CommandStatus::ESME_RSYSERR);
                }
                Some(i)
            }
            Routing::Unknown => {
                tracing::debug!(dest, "no route");
                return Err(CommandStatus::ESME_RINVDSTADR);
            }
        };
        // A handset submits from its own number only.
        let mut source = sm.source;
        if let Some(own) = &bound.msisdn {
            match crate::address::normalize(source.addr) {
                None if source.addr.is_empty() => {
                    source = Address::new(ferry_smpp::Ton(1), ferry_smpp::Npi(1), own.as_bytes());
                }
                Some(n) if &n == own => {}
                _ => return Err(CommandStatus::ESME_RINVSRCADR),
            }
        }
        let now = now_ms();
        let d = &self.core.config.delivery;
        let max_exp = now + (d.max_validity_seconds as i64) * 1000;
        let expires_ms = match sm.validity_period {
            None => now + (d.default_validity_seconds as i64) * 1000,
            Some(t) => {
                let e = time_ms(t, now);
                if e <= now {
                    return Err(CommandStatus::ESME_RINVEXPIRY);
                }
                e
            }
        }
        .min(max_exp);
        let not_before_ms = sm
            .schedule_delivery_time
            .map_or(now, |t| time_ms(t, now).max(now));
        if not_before_ms >= expires_ms {
            return Err(CommandStatus::ESME_RINVSCHED);
        }
        let pdu = deliver_from_submit(sm, source).map_err(|_| CommandStatus::ESME_RSYSERR)?;
        let receipt_to = match &bound.msisdn {
            Some(n) => Target::Msisdn(n.clone()),
            None => Target::System(bound.account.system_id.clone()),
        };
        let msg = Msg {
            id: self.core.new_id(),
            target: Target::Msisdn(dest),
            receipt_to: Some(receipt_to),
            registered_delivery: sm.registered_delivery.0,
            submit_ms: now,
            expires_ms,
            not_before_ms,
            pdu,
        };
        if let Some(i) = route {
            self.pending_submits += 1;
            crate::forward::forward(&self.core, i, sm, msg, (self.tx.clone(), seq));
            return Ok(());
        }
        match self.core.submit(msg, Some((self.tx.clone(), seq)))? {
            Submitted::Now(id) => respond_submit(sess, seq, id),
            Submitted::Pending => self.pending_submits += 1,
        }
        Ok(())
    }
}

fn respond_submit(sess: &mut Session<u64>, seq: u32, id: u64) {
    let id = id.to_string();
    let body = Body::SubmitSmResp(SubmitSmResp {
        message_id: id.as_bytes(),
        tlvs: Default::default(),
    });
    let _ = sess.respond(seq, CommandStatus::ESME_ROK, body);
}

/// An SMPP time as Unix milliseconds (relative times from `now_ms`).
fn time_ms(t: SmppTime, now_ms: i64) -> i64 {
    match t {
        SmppTime::Absolute(a) => a.unix_timestamp().saturating_mul(1000),
        SmppTime::Relative(r) => {
            now_ms.saturating_add(r.to_duration().as_millis().min(i64::MAX as u128) as i64)
        }
    }
}
