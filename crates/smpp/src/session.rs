//! A sans-I/O SMPP session (quinn-proto style): bytes and the time go in,
//! events and bytes to send come out. No sockets, no clock, no runtime.
//!
//! ```text
//!  socket bytes ──► handle_input(now, &[u8]) ──► Vec<Event<T>>
//!  timer fired  ──► handle_timeout(now)      ──► Vec<Event<T>>
//!  app calls    ──► bind / send_request / respond / unbind
//!  poll_transmit(&mut Vec<u8>) ──► bytes for the socket
//!  poll_timeout() ──► when to call handle_timeout next
//! ```
//!
//! One [`Session`] serves either side ([`Role::Esme`] or [`Role::Smsc`]). It
//! enforces the bind state machine of SMPP 3.4 §2.3 (only bind and
//! enquire_link before binding: anything else gets `ESME_RINVBNDSTS`; a
//! receiver may not submit, a transmitter is not delivered to), allocates
//! sequence numbers, keeps a window of outstanding requests with response
//! timeouts, matches responses to requests (handing back the caller's token),
//! answers enquire_link and unbind itself, and sends enquire_link after a
//! quiet interval.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use crate::error::{EncodeError, Error};
use crate::header::{CommandId, CommandStatus, DEFAULT_MAX_COMMAND_LENGTH, Header, peek_length};
use crate::pdu::{Bind, BindResp, Body, Outbind, OwnedPdu, Pdu};

/// Which end of the link this session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The client: binds, submits, is delivered to.
    Esme,
    /// The server (message centre): accepts binds, delivers.
    Smsc,
}

/// How the ESME is bound (§2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BindMode {
    /// bind_transmitter: the ESME submits.
    Transmitter,
    /// bind_receiver: the SMSC delivers.
    Receiver,
    /// bind_transceiver: both.
    Transceiver,
}

impl BindMode {
    /// Whether the ESME may submit in this mode.
    pub fn can_transmit(self) -> bool {
        self != BindMode::Receiver
    }

    /// Whether the SMSC may deliver in this mode.
    pub fn can_receive(self) -> bool {
        self != BindMode::Transmitter
    }

    /// The bind request for this mode.
    pub fn body<'a>(self, bind: Bind<'a>) -> Body<'a> {
        match self {
            BindMode::Transmitter => Body::BindTransmitter(bind),
            BindMode::Receiver => Body::BindReceiver(bind),
            BindMode::Transceiver => Body::BindTransceiver(bind),
        }
    }

    /// The bind response for this mode.
    pub fn resp_body<'a>(self, resp: BindResp<'a>) -> Body<'a> {
        match self {
            BindMode::Transmitter => Body::BindTransmitterResp(resp),
            BindMode::Receiver => Body::BindReceiverResp(resp),
            BindMode::Transceiver => Body::BindTransceiverResp(resp),
        }
    }

    /// The mode a bind request asks for.
    pub fn from_command_id(id: CommandId) -> Option<BindMode> {
        match id {
            CommandId::BIND_TRANSMITTER => Some(BindMode::Transmitter),
            CommandId::BIND_RECEIVER => Some(BindMode::Receiver),
            CommandId::BIND_TRANSCEIVER => Some(BindMode::Transceiver),
            _ => None,
        }
    }
}

/// Session state (§2.3: OPEN, BOUND_TX/RX/TRX, CLOSED).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Connected, not bound.
    Open,
    /// ESME: bind sent, waiting for the response.
    Binding(BindMode),
    /// SMSC: bind received, waiting for the application to accept or reject.
    BindPending(BindMode),
    /// Bound.
    Bound(BindMode),
    /// unbind sent, waiting for unbind_resp.
    Unbinding,
    /// Finished: flush [`Session::poll_transmit`], then close the connection.
    Closed,
}

/// Timers and limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// How long to wait for a response to any request (§7.2's
    /// response_timer). Default 30 s.
    pub response_timeout: Duration,
    /// Send enquire_link after this long without receiving anything while
    /// bound (§7.2's enquire_link_timer); `None` disables. Default 30 s, as
    /// Kannel.
    pub enquire_link_interval: Option<Duration>,
    /// Most requests of the application outstanding at once. Default 10.
    pub window: usize,
    /// Largest PDU accepted. Default 64 KiB.
    pub max_command_length: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            response_timeout: Duration::from_secs(30),
            enquire_link_interval: Some(Duration::from_secs(30)),
            window: 10,
            max_command_length: DEFAULT_MAX_COMMAND_LENGTH,
        }
    }
}

/// Something the application must know or act on.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<T> {
    /// ESME: the bind was accepted (the SMSC side learns nothing new: its
    /// application accepted the bind itself).
    Bound {
        /// The mode.
        mode: BindMode,
        /// The SMSC's system_id from the bind response.
        system_id: Vec<u8>,
    },
    /// ESME: the SMSC rejected the bind (state is back to `Open`).
    BindFailed {
        /// The status it gave (e.g. `ESME_RINVPASWD`).
        status: CommandStatus,
    },
    /// ESME: no bind_resp in time (state is back to `Open`).
    BindTimeout,
    /// The peer sent a request the application handles: answer with
    /// [`Session::respond`] (or [`Session::accept_bind`] /
    /// [`Session::reject_bind`]), except `outbind` and `alert_notification`,
    /// which have no response.
    Request {
        /// The request.
        pdu: OwnedPdu,
    },
    /// The response to a request sent with [`Session::send_request`].
    Response {
        /// The token given with the request.
        token: T,
        /// The response (a `*_resp` or a `generic_nack`).
        pdu: OwnedPdu,
    },
    /// A request got no response within `response_timeout`.
    Timeout {
        /// The token given with the request.
        token: T,
        /// The request's command_id.
        command_id: CommandId,
        /// The request's sequence_number.
        sequence_number: u32,
    },
    /// A request was outstanding when the session closed.
    Aborted {
        /// The token given with the request.
        token: T,
        /// The request's command_id.
        command_id: CommandId,
        /// The request's sequence_number.
        sequence_number: u32,
    },
    /// enquire_link got no response in time; the session is now closed.
    LinkTimeout,
    /// The session was unbound (state `Closed`): by the peer's unbind
    /// (already answered) or by the response to ours (or its timeout).
    Unbound {
        /// Whether the peer sent the unbind.
        by_peer: bool,
    },
    /// The response to a request of the application failed to decode (a
    /// `generic_nack` is queued for the peer); the request is finished.
    BadResponse {
        /// The token given with the request.
        token: T,
        /// The header of the response.
        header: Header,
        /// What was wrong.
        error: Error,
    },
    /// A PDU failed to decode; its rejection is queued for sending. When
    /// `fatal`, the stream is lost and the session is closed.
    ProtocolError {
        /// What was wrong.
        error: Error,
        /// Whether the session closed because of it.
        fatal: bool,
    },
    /// A response that matches no outstanding request (dropped).
    UnexpectedResponse {
        /// The response.
        pdu: OwnedPdu,
    },
}

/// Misuse of the session API.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The command may not be sent by this role in this state.
    #[error("{command_id} not allowed in state {state:?}")]
    InvalidState {
        /// The state.
        state: State,
        /// The command.
        command_id: CommandId,
    },
    /// The window of outstanding requests is full.
    #[error("window of {window} outstanding requests is full")]
    WindowFull {
        /// The window size.
        window: usize,
    },
    /// `send_request` was given a response, a bind or an unbind (use the
    /// dedicated methods).
    #[error("{command_id} cannot be sent with send_request")]
    NotARequest {
        /// The command.
        command_id: CommandId,
    },
    /// `respond` named a sequence number with no request awaiting an answer.
    #[error("no request with sequence number {sequence_number} awaits a response")]
    UnknownRequest {
        /// The sequence number given.
        sequence_number: u32,
    },
    /// `respond` was given the wrong response type.
    #[error("expected {expected} for the request, got {got}")]
    WrongResponse {
        /// The response the request needs.
        expected: CommandId,
        /// What was given.
        got: CommandId,
    },
    /// The PDU could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

enum Origin<T> {
    User(T),
    Bind(BindMode),
    Keepalive,
    Unbind,
}

struct Pending<T> {
    command_id: CommandId,
    deadline: Instant,
    origin: Origin<T>,
}

/// One SMPP session. `T` is the caller's token for its requests.
pub struct Session<T> {
    role: Role,
    config: Config,
    state: State,
    rx: Vec<u8>,
    tx: Vec<u8>,
    next_seq: u32,
    pending: BTreeMap<u32, Pending<T>>,
    user_outstanding: usize,
    /// Requests from the peer awaiting the application's response.
    inbound: HashMap<u32, CommandId>,
    last_rx: Instant,
    keepalive_outstanding: bool,
}

impl<T> std::fmt::Debug for Session<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("outstanding", &self.pending.len())
            .field("inbound", &self.inbound.len())
            .finish_non_exhaustive()
    }
}

const MAX_SEQ: u32 = 0x7FFF_FFFF;

impl<T> Session<T> {
    /// A new session in state `Open`, just connected at `now`.
    pub fn new(role: Role, config: Config, now: Instant) -> Self {
        Session {
            role,
            config,
            state: State::Open,
            rx: Vec::new(),
            tx: Vec::new(),
            next_seq: 1,
            pending: BTreeMap::new(),
            user_outstanding: 0,
            inbound: HashMap::new(),
            last_rx: now,
            keepalive_outstanding: false,
        }
    }

    /// The role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The bind mode, when bound.
    pub fn bind_mode(&self) -> Option<BindMode> {
        match self.state {
            State::Bound(m) => Some(m),
            _ => None,
        }
    }

    /// Whether the session is finished (flush, then close the connection).
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Application requests awaiting a response.
    pub fn outstanding(&self) -> usize {
        self.user_outstanding
    }

    /// How many more requests the window takes.
    pub fn window_available(&self) -> usize {
        self.config.window.saturating_sub(self.user_outstanding)
    }

    /// Whether bytes wait in [`Session::poll_transmit`].
    pub fn has_transmit(&self) -> bool {
        !self.tx.is_empty()
    }

    /// Appends every byte waiting to be sent to `buf`; returns how many.
    pub fn poll_transmit(&mut self, buf: &mut Vec<u8>) -> usize {
        let n = self.tx.len();
        buf.append(&mut self.tx);
        n
    }

    /// When [`Session::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let requests = self.pending.values().map(|p| p.deadline).min();
        let keepalive = self.keepalive_due();
        match (requests, keepalive) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn keepalive_due(&self) -> Option<Instant> {
        match (self.state, self.config.enquire_link_interval) {
            (State::Bound(_), Some(i)) if !self.keepalive_outstanding => Some(self.last_rx + i),
            _ => None,
        }
    }

    fn alloc_seq(&mut self) -> u32 {
        loop {
            let s = self.next_seq;
            self.next_seq = if s >= MAX_SEQ { 1 } else { s + 1 };
            if !self.pending.contains_key(&s) {
                return s;
            }
        }
    }

    fn send(&mut self, pdu: &Pdu<'_>) -> Result<(), EncodeError> {
        pdu.encode(&mut self.tx).map(|_| ())
    }

    fn send_tracked(
        &mut self,
        now: Instant,
        body: Body<'_>,
        origin: Origin<T>,
    ) -> Result<u32, SessionError> {
        let seq = self.alloc_seq();
        let command_id = body.command_id();
        self.send(&Pdu::new(seq, body))?;
        self.track(now, seq, command_id, origin);
        Ok(seq)
    }

    /// Waits for the response to request `seq`, just sent.
    fn track(&mut self, now: Instant, seq: u32, command_id: CommandId, origin: Origin<T>) {
        if matches!(origin, Origin::User(_)) {
            self.user_outstanding += 1;
        }
        let deadline = now + self.config.response_timeout;
        self.pending.insert(
            seq,
            Pending {
                command_id,
                deadline,
                origin,
            },
        );
    }

    /// Whether the application may send a request `command_id` now
    /// (a request, allowed in this state); the window is checked apart.
    fn check_request(&self, command_id: CommandId) -> Result<(), SessionError> {
        if command_id.is_response()
            || BindMode::from_command_id(command_id).is_some()
            || matches!(command_id, CommandId::UNBIND | CommandId::OUTBIND)
        {
            return Err(SessionError::NotARequest { command_id });
        }
        if (command_id != CommandId::ENQUIRE_LINK && !may_send(self.role, self.state, command_id))
            || self.state == State::Closed
        {
            return Err(SessionError::InvalidState {
                state: self.state,
                command_id,
            });
        }
        Ok(())
    }

    fn check_window(&self) -> Result<(), SessionError> {
        if self.user_outstanding >= self.config.window {
            return Err(SessionError::WindowFull {
                window: self.config.window,
            });
        }
        Ok(())
    }

    /// ESME: sends a bind of `mode`. The outcome arrives as
    /// [`Event::Bound`], [`Event::BindFailed`] or [`Event::BindTimeout`].
    pub fn bind(
        &mut self,
        now: Instant,
        mode: BindMode,
        bind: Bind<'_>,
    ) -> Result<u32, SessionError> {
        let body = mode.body(bind);
        if self.role != Role::Esme || self.state != State::Open {
            return Err(SessionError::InvalidState {
                state: self.state,
                command_id: body.command_id(),
            });
        }
        let seq = self.send_tracked(now, body, Origin::Bind(mode))?;
        self.state = State::Binding(mode);
        Ok(seq)
    }

    /// SMSC: sends outbind (§4.1.7; no response) in state `Open`.
    pub fn outbind(&mut self, outbind: Outbind<'_>) -> Result<u32, SessionError> {
        if self.role != Role::Smsc || self.state != State::Open {
            return Err(SessionError::InvalidState {
                state: self.state,
                command_id: CommandId::OUTBIND,
            });
        }
        let seq = self.alloc_seq();
        self.send(&Pdu::new(seq, Body::Outbind(outbind)))?;
        Ok(seq)
    }

    /// Sends an application request (submit_sm, deliver_sm, data_sm, …;
    /// alert_notification needs no response and is not tracked). Returns the
    /// sequence number; the answer comes back as [`Event::Response`] or
    /// [`Event::Timeout`] with `token`.
    pub fn send_request(
        &mut self,
        now: Instant,
        body: Body<'_>,
        token: T,
    ) -> Result<u32, SessionError> {
        let command_id = body.command_id();
        self.check_request(command_id)?;
        if command_id == CommandId::ALERT_NOTIFICATION {
            let seq = self.alloc_seq();
            self.send(&Pdu::new(seq, body))?;
            return Ok(seq);
        }
        self.check_window()?;
        self.send_tracked(now, body, Origin::User(token))
    }

    /// As [`Session::send_request`] for a request already encoded (an
    /// [`OwnedPdu`] from a queue): its bytes are copied out with this
    /// session's sequence number written in, without decoding and encoding
    /// the body again. Returns the sequence number.
    pub fn send_request_owned(&mut self, now: Instant, pdu: &OwnedPdu, token: T) -> Result<u32, SessionError> {
        let command_id = pdu.command_id();
        if command_id == CommandId::ALERT_NOTIFICATION {
            // Untracked: the general path handles it.
            return self.send_request(now, pdu.pdu().body, token);
        }
        self.check_request(command_id)?;
        self.check_window()?;
        let seq = self.alloc_seq();
        let at = self.tx.len();
        self.tx.extend_from_slice(pdu.as_bytes());
        // command_status 0 and this session's sequence number (§3.2), as
        // `send_request` writes them.
        self.tx[at + 8..at + 12].copy_from_slice(&0u32.to_be_bytes());
        self.tx[at + 12..at + 16].copy_from_slice(&seq.to_be_bytes());
        self.track(now, seq, command_id, Origin::User(token));
        Ok(seq)
    }

    /// Starts unbinding (§4.2): sends unbind; [`Event::Unbound`] follows.
    pub fn unbind(&mut self, now: Instant) -> Result<u32, SessionError> {
        if !matches!(self.state, State::Bound(_)) {
            return Err(SessionError::InvalidState {
                state: self.state,
                command_id: CommandId::UNBIND,
            });
        }
        let seq = self.send_tracked(now, Body::Unbind, Origin::Unbind)?;
        self.state = State::Unbinding;
        Ok(seq)
    }

    /// Answers the peer's request `sequence_number` (from [`Event::Request`])
    /// with `body` (its `*_resp`) and `status`. Answering a bind (SMSC)
    /// moves the session to `Bound` when `status` is `ESME_ROK`, else back
    /// to `Open`.
    pub fn respond(
        &mut self,
        sequence_number: u32,
        status: CommandStatus,
        body: Body<'_>,
    ) -> Result<(), SessionError> {
        let Some(&request) = self.inbound.get(&sequence_number) else {
            return Err(SessionError::UnknownRequest { sequence_number });
        };
        let expected = request.response_id().unwrap_or(CommandId::GENERIC_NACK);
        let got = body.command_id();
        if got != expected && got != CommandId::GENERIC_NACK {
            return Err(SessionError::WrongResponse { expected, got });
        }
        let pdu = Pdu {
            command_status: status,
            sequence_number,
            body,
        };
        self.send(&pdu)?;
        self.inbound.remove(&sequence_number);
        if let (Some(mode), State::BindPending(_)) =
            (BindMode::from_command_id(request), self.state)
        {
            self.state = if status.is_ok() {
                State::Bound(mode)
            } else {
                State::Open
            };
        }
        Ok(())
    }

    /// Answers the peer's request with a body-less `*_resp` carrying
    /// `status` (an error, usually).
    pub fn reject(
        &mut self,
        sequence_number: u32,
        status: CommandStatus,
    ) -> Result<(), SessionError> {
        let Some(&request) = self.inbound.get(&sequence_number) else {
            return Err(SessionError::UnknownRequest { sequence_number });
        };
        let id = request.response_id().unwrap_or(CommandId::GENERIC_NACK);
        Header {
            command_length: 16,
            command_id: id,
            command_status: status,
            sequence_number,
        }
        .encode(&mut self.tx);
        self.inbound.remove(&sequence_number);
        if BindMode::from_command_id(request).is_some()
            && matches!(self.state, State::BindPending(_))
        {
            self.state = State::Open;
        }
        Ok(())
    }

    /// SMSC: accepts the pending bind `sequence_number`, answering with our
    /// `system_id`; the session is then `Bound`.
    pub fn accept_bind(
        &mut self,
        now: Instant,
        sequence_number: u32,
        system_id: &[u8],
    ) -> Result<(), SessionError> {
        let State::BindPending(mode) = self.state else {
            return Err(SessionError::InvalidState {
                state: self.state,
                command_id: CommandId::BIND_TRANSCEIVER_RESP,
            });
        };
        self.respond(
            sequence_number,
            CommandStatus::ESME_ROK,
            mode.resp_body(BindResp {
                system_id,
                tlvs: Default::default(),
            }),
        )?;
        self.last_rx = now;
        Ok(())
    }

    /// SMSC: rejects the pending bind (e.g. `ESME_RINVPASWD`, `ESME_RBINDFAIL`).
    pub fn reject_bind(
        &mut self,
        sequence_number: u32,
        status: CommandStatus,
    ) -> Result<(), SessionError> {
        self.reject(sequence_number, status)
    }

    /// Feeds bytes received from the peer; returns what happened.
    pub fn handle_input(&mut self, now: Instant, data: &[u8]) -> Vec<Event<T>> {
        let mut events = Vec::new();
        if self.state == State::Closed {
            return events;
        }
        self.rx.extend_from_slice(data);
        let mut consumed = 0;
        while self.state != State::Closed {
            let buf = &self.rx[consumed..];
            let frame = match peek_length(buf, self.config.max_command_length) {
                Ok(Some(len)) => buf[..len].to_vec(),
                Ok(None) => break,
                Err(error) => {
                    // The stream cannot be split any more: nack and close.
                    let sequence_number = Header::decode(buf).map_or(0, |h| h.sequence_number);
                    Header {
                        command_length: 16,
                        command_id: CommandId::GENERIC_NACK,
                        command_status: error.command_status(),
                        sequence_number,
                    }
                    .encode(&mut self.tx);
                    events.push(Event::ProtocolError { error, fatal: true });
                    self.close(&mut events);
                    consumed = self.rx.len();
                    break;
                }
            };
            consumed += frame.len();
            self.last_rx = now;
            self.handle_frame(frame, &mut events);
        }
        self.rx.drain(..consumed.min(self.rx.len()));
        events
    }

    fn handle_frame(&mut self, frame: Vec<u8>, events: &mut Vec<Event<T>>) {
        let header = match Header::decode(&frame) {
            Ok(h) => h,
            Err(_) => return, // unreachable: peek_length saw at least 16 bytes
        };
        if let Err(error) = Pdu::decode(&frame) {
            if let Some(rej) = error.rejection(&header) {
                rej.encode(&mut self.tx);
            }
            // A broken answer still finishes the request it answers.
            if header.command_id.is_response() && self.response_matches(&header) {
                let Some(p) = self.pending.remove(&header.sequence_number) else {
                    return;
                };
                match p.origin {
                    Origin::User(token) => {
                        self.user_outstanding -= 1;
                        events.push(Event::BadResponse {
                            token,
                            header,
                            error,
                        });
                        return;
                    }
                    Origin::Bind(_) => {
                        self.state = State::Open;
                        let status = if header.command_status.is_ok() {
                            error.command_status()
                        } else {
                            header.command_status
                        };
                        events.push(Event::BindFailed { status });
                    }
                    Origin::Keepalive => self.keepalive_outstanding = false,
                    Origin::Unbind => {
                        events.push(Event::Unbound { by_peer: false });
                        self.close(events);
                    }
                }
            }
            events.push(Event::ProtocolError {
                error,
                fatal: false,
            });
            return;
        }
        let pdu = OwnedPdu::from_validated(frame);
        let id = header.command_id;
        let seq = header.sequence_number;
        if id.is_response() {
            self.handle_response(header, pdu, events);
            return;
        }
        match id {
            CommandId::ENQUIRE_LINK => {
                self.respond_header(CommandId::ENQUIRE_LINK_RESP, CommandStatus::ESME_ROK, seq)
            }
            CommandId::UNBIND => {
                if matches!(self.state, State::Bound(_) | State::Unbinding) {
                    self.respond_header(CommandId::UNBIND_RESP, CommandStatus::ESME_ROK, seq);
                    events.push(Event::Unbound { by_peer: true });
                    self.close(events);
                } else {
                    self.respond_header(
                        CommandId::UNBIND_RESP,
                        CommandStatus::ESME_RINVBNDSTS,
                        seq,
                    );
                }
            }
            CommandId::BIND_TRANSMITTER
            | CommandId::BIND_RECEIVER
            | CommandId::BIND_TRANSCEIVER => {
                let resp = id.response_id().unwrap_or(CommandId::GENERIC_NACK);
                match (self.role, self.state) {
                    (Role::Smsc, State::Open) => {
                        let mode = BindMode::from_command_id(id).unwrap_or(BindMode::Transceiver);
                        self.state = State::BindPending(mode);
                        self.inbound.insert(seq, id);
                        events.push(Event::Request { pdu });
                    }
                    (Role::Smsc, _) => self.respond_header(resp, CommandStatus::ESME_RALYBND, seq),
                    (Role::Esme, _) => {
                        self.respond_header(resp, CommandStatus::ESME_RINVCMDID, seq)
                    }
                }
            }
            CommandId::OUTBIND => {
                if self.role == Role::Esme && self.state == State::Open {
                    events.push(Event::Request { pdu });
                } else {
                    self.respond_header(
                        CommandId::GENERIC_NACK,
                        CommandStatus::ESME_RINVBNDSTS,
                        seq,
                    );
                }
            }
            _ => {
                if !may_receive_direction(self.role, id) {
                    self.reject_header(id, CommandStatus::ESME_RINVCMDID, seq);
                } else if !may_receive(self.role, self.state, id) {
                    self.reject_header(id, CommandStatus::ESME_RINVBNDSTS, seq);
                } else {
                    if id != CommandId::ALERT_NOTIFICATION {
                        self.inbound.insert(seq, id);
                    }
                    events.push(Event::Request { pdu });
                }
            }
        }
    }

    fn response_matches(&self, header: &Header) -> bool {
        self.pending.get(&header.sequence_number).is_some_and(|p| {
            header.command_id == CommandId::GENERIC_NACK
                || p.command_id.response_id() == Some(header.command_id)
        })
    }

    fn handle_response(&mut self, header: Header, pdu: OwnedPdu, events: &mut Vec<Event<T>>) {
        let seq = header.sequence_number;
        if !self.response_matches(&header) {
            events.push(Event::UnexpectedResponse { pdu });
            return;
        }
        let Some(p) = self.pending.remove(&seq) else {
            return;
        };
        let status = header.command_status;
        match p.origin {
            Origin::User(token) => {
                self.user_outstanding -= 1;
                events.push(Event::Response { token, pdu });
            }
            Origin::Keepalive => self.keepalive_outstanding = false,
            Origin::Bind(mode) => {
                if status.is_ok() {
                    self.state = State::Bound(mode);
                    let system_id = match pdu.pdu().body {
                        Body::BindReceiverResp(r)
                        | Body::BindTransmitterResp(r)
                        | Body::BindTransceiverResp(r) => r.system_id.to_vec(),
                        _ => Vec::new(),
                    };
                    events.push(Event::Bound { mode, system_id });
                } else {
                    self.state = State::Open;
                    events.push(Event::BindFailed { status });
                }
            }
            Origin::Unbind => {
                events.push(Event::Unbound { by_peer: false });
                self.close(events);
            }
        }
    }

    /// Handles timers due at `now`: response timeouts and keepalives.
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<Event<T>> {
        let mut events = Vec::new();
        let expired: Vec<u32> = self
            .pending
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(&s, _)| s)
            .collect();
        for seq in expired {
            let Some(p) = self.pending.remove(&seq) else {
                continue;
            };
            match p.origin {
                Origin::User(token) => {
                    self.user_outstanding -= 1;
                    events.push(Event::Timeout {
                        token,
                        command_id: p.command_id,
                        sequence_number: seq,
                    });
                }
                Origin::Bind(_) => {
                    self.state = State::Open;
                    events.push(Event::BindTimeout);
                }
                Origin::Keepalive => {
                    self.keepalive_outstanding = false;
                    events.push(Event::LinkTimeout);
                    self.close(&mut events);
                }
                Origin::Unbind => {
                    events.push(Event::Unbound { by_peer: false });
                    self.close(&mut events);
                }
            }
            if self.state == State::Closed {
                break;
            }
        }
        if let Some(due) = self.keepalive_due()
            && due <= now
            && self
                .send_tracked(now, Body::EnquireLink, Origin::Keepalive)
                .is_ok()
        {
            self.keepalive_outstanding = true;
        }
        events
    }

    /// Closes the session: outstanding application requests are aborted.
    pub fn close_now(&mut self) -> Vec<Event<T>> {
        let mut events = Vec::new();
        self.close(&mut events);
        events
    }

    fn close(&mut self, events: &mut Vec<Event<T>>) {
        self.state = State::Closed;
        self.keepalive_outstanding = false;
        self.inbound.clear();
        for (seq, p) in std::mem::take(&mut self.pending) {
            if let Origin::User(token) = p.origin {
                events.push(Event::Aborted {
                    token,
                    command_id: p.command_id,
                    sequence_number: seq,
                });
            }
        }
        self.user_outstanding = 0;
    }

    fn respond_header(&mut self, command_id: CommandId, status: CommandStatus, seq: u32) {
        Header {
            command_length: 16,
            command_id,
            command_status: status,
            sequence_number: seq,
        }
        .encode(&mut self.tx);
    }

    /// Rejects request `id` with a body-less response (or generic_nack when
    /// it has no response type).
    fn reject_header(&mut self, id: CommandId, status: CommandStatus, seq: u32) {
        let resp = id.response_id().unwrap_or(CommandId::GENERIC_NACK);
        self.respond_header(resp, status, seq);
    }
}

/// Whether `role` may ever receive request `id` (direction only).
fn may_receive_direction(role: Role, id: CommandId) -> bool {
    match role {
        Role::Smsc => matches!(
            id,
            CommandId::SUBMIT_SM
                | CommandId::SUBMIT_MULTI
                | CommandId::DATA_SM
                | CommandId::QUERY_SM
                | CommandId::CANCEL_SM
                | CommandId::REPLACE_SM
        ),
        Role::Esme => matches!(
            id,
            CommandId::DELIVER_SM | CommandId::DATA_SM | CommandId::ALERT_NOTIFICATION
        ),
    }
}

/// Whether `role` in `state` may receive request `id` (§2.3, table 2-1).
fn may_receive(role: Role, state: State, id: CommandId) -> bool {
    let State::Bound(mode) = state else {
        return false;
    };
    match role {
        // From the ESME: submissions need a transmitter bind.
        Role::Smsc => mode.can_transmit(),
        // From the SMSC: deliveries need a receiver bind.
        Role::Esme => mode.can_receive() && may_receive_direction(Role::Esme, id),
    }
}

/// Whether `role` in `state` may send request `id`.
fn may_send(role: Role, state: State, id: CommandId) -> bool {
    let peer = match role {
        Role::Esme => Role::Smsc,
        Role::Smsc => Role::Esme,
    };
    may_receive_direction(peer, id) && may_receive(peer, state, id)
}
