//! [`Esme`]: the cloneable handle the application submits through.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use ferry_service::Shutdown;
use ferry_smpp::{Bind, BindMode, Body, CommandId, OwnedPdu, Pdu, SubmitSm};
use ferry_sms::text::ConcatKind;
use tokio::sync::{mpsc, oneshot, watch};

use crate::driver::{Driver, Queued, Reply};
use crate::push::{PushOptions, wap_push_submits};
use crate::{Error, EsmeConfig, EsmeState, Inbound};

/// What a successful submit returns: the SMSC answered `ESME_ROK`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmitOutcome {
    /// The SMSC's message_id from submit_sm_resp (as given; empty when the
    /// SMSC gave none, as Kannel's `drive_smpp` does, and then no receipt
    /// can be matched to it).
    pub message_id: String,
    /// The response as received.
    pub response: OwnedPdu,
}

/// A handle on one SMPP client connection (kept bound in the background).
/// Clone it freely; the client stops when shutdown is triggered or every
/// handle is dropped.
#[derive(Clone, Debug)]
pub struct Esme {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    cmds: mpsc::UnboundedSender<Queued>,
    state: watch::Receiver<EsmeState>,
    mode: BindMode,
    /// Next concatenation reference per destination.
    references: Mutex<HashMap<String, u16>>,
}

/// Destinations remembered for concatenation references before the table
/// is cleared (references then start again at random).
const MAX_REFERENCE_DESTINATIONS: usize = 100_000;

impl Esme {
    /// Checks `config` and starts the client in the background (a tokio
    /// task: call from within a runtime). Returns the handle and the channel
    /// of what the SMSC delivers (keep it drained: while it is full the
    /// client stops reading from the SMSC).
    pub fn start(
        config: EsmeConfig,
        shutdown: Shutdown,
    ) -> Result<(Esme, mpsc::Receiver<Inbound>), Error> {
        check(&config)?;
        let mode = config.bind;
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (in_tx, in_rx) = mpsc::channel(config.inbound_capacity.max(1));
        let (state_tx, state_rx) = watch::channel(EsmeState::Connecting);
        let driver = Driver::new(Arc::new(config), cmd_rx, in_tx, state_tx, shutdown);
        tokio::spawn(driver.run());
        let inner = Inner {
            cmds: cmd_tx,
            state: state_rx,
            mode,
            references: Mutex::new(HashMap::new()),
        };
        Ok((
            Esme {
                inner: Arc::new(inner),
            },
            in_rx,
        ))
    }

    /// The current state.
    pub fn state(&self) -> EsmeState {
        self.inner.state.borrow().clone()
    }

    /// A receiver of state changes.
    pub fn watch_state(&self) -> watch::Receiver<EsmeState> {
        self.inner.state.clone()
    }

    /// Waits until bound. Fails with [`Error::BindRejected`] when the SMSC
    /// rejects the bind, or [`Error::Stopped`].
    pub async fn bound(&self) -> Result<BindMode, Error> {
        let mut rx = self.inner.state.clone();
        let s = rx
            .wait_for(|s| {
                matches!(
                    s,
                    EsmeState::Bound(_) | EsmeState::BindRejected(_) | EsmeState::Stopped
                )
            })
            .await
            .map_err(|_| Error::Stopped)?
            .clone();
        match s {
            EsmeState::Bound(m) => Ok(m),
            EsmeState::BindRejected(status) => Err(Error::BindRejected { status }),
            _ => Err(Error::Stopped),
        }
    }

    /// Submits one short message. `Ok` means the SMSC answered `ESME_ROK`;
    /// see [`Error`] for what each failure means (only a timeout or a lost
    /// connection leaves the outcome unknown).
    pub async fn submit(&self, sm: &SubmitSm<'_>) -> Result<SubmitOutcome, Error> {
        self.submit_inner(sm, None).await
    }

    /// As [`Esme::submit`], remembering `reference` so that the delivery
    /// receipt (if `registered_delivery` asks for one) comes back as an
    /// [`crate::Receipt`] carrying it.
    pub async fn submit_with_reference(
        &self,
        sm: &SubmitSm<'_>,
        reference: impl Into<String>,
    ) -> Result<SubmitOutcome, Error> {
        self.submit_inner(sm, Some(reference.into())).await
    }

    async fn submit_inner(
        &self,
        sm: &SubmitSm<'_>,
        reference: Option<String>,
    ) -> Result<SubmitOutcome, Error> {
        let pdu = Pdu::new(0, Body::SubmitSm(sm.clone())).to_owned_pdu()?;
        let rx = self.enqueue(pdu, reference)?;
        outcome(rx.await.map_err(|_| Error::Stopped)??)
    }

    /// Sends any other request (data_sm, query_sm, cancel_sm, replace_sm,
    /// submit_multi) and returns its `ESME_ROK` response.
    pub async fn request(&self, body: Body<'_>) -> Result<OwnedPdu, Error> {
        let pdu = Pdu::new(0, body).to_owned_pdu()?;
        let rx = self.enqueue(pdu, None)?;
        rx.await.map_err(|_| Error::Stopped)?
    }

    fn enqueue(
        &self,
        pdu: OwnedPdu,
        reference: Option<String>,
    ) -> Result<oneshot::Receiver<Result<OwnedPdu, Error>>, Error> {
        let (tx, rx) = oneshot::channel();
        self.enqueue_reply(pdu, reference, Reply::Wait(Some(tx)), None)?;
        Ok(rx)
    }

    /// Queues a request; a failure is also answered through `reply`.
    fn enqueue_reply(&self, pdu: OwnedPdu, reference: Option<String>, reply: Reply, wants_receipt: Option<bool>) -> Result<(), Error> {
        let command_id = pdu.command_id();
        let transmit = matches!(
            command_id,
            CommandId::SUBMIT_SM
                | CommandId::SUBMIT_MULTI
                | CommandId::DATA_SM
                | CommandId::QUERY_SM
                | CommandId::CANCEL_SM
                | CommandId::REPLACE_SM
        );
        if transmit && !self.inner.mode.can_transmit() {
            let e = Error::WrongBindMode {
                mode: self.inner.mode,
                command_id,
            };
            reply.send(Err(e.clone()));
            return Err(e);
        }
        match self.inner.cmds.send(Queued {
            pdu,
            reference,
            reply,
            enqueued: Instant::now(),
            wants_receipt,
        }) {
            Ok(()) => Ok(()),
            Err(mpsc::error::SendError(q)) => {
                q.reply.send(Err(Error::Stopped));
                Err(Error::Stopped)
            }
        }
    }

    /// The next concatenation reference for `destination` (per destination,
    /// starting at random, wrapping at 8 or 16 bits).
    pub fn next_reference(&self, destination: &str, concat: ConcatKind) -> u16 {
        let mut refs = self
            .inner
            .references
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if refs.len() >= MAX_REFERENCE_DESTINATIONS && !refs.contains_key(destination) {
            refs.clear();
        }
        let next = refs
            .entry(destination.to_owned())
            .or_insert_with(rand::random::<u16>);
        let r = match concat {
            ConcatKind::Eight => *next & 0xFF,
            _ => *next,
        };
        *next = next.wrapping_add(1);
        r
    }

    /// Sends a WAP Push datagram (a WSP push PDU) to `destination` as one or
    /// more submit_sm (see [`crate::push`] for the layout), with a fresh
    /// concatenation reference for that destination. All segments are
    /// queued at once, in order, and pipeline through the window. Returns
    /// the message_ids in segment order; fails with the first segment's
    /// error (earlier segments may then have been accepted: the handset
    /// discards an incomplete set).
    pub async fn submit_wap_push(
        &self,
        destination: &str,
        datagram: &[u8],
        opts: &PushOptions,
    ) -> Result<Vec<String>, Error> {
        let reference =
            self.next_reference(destination.trim_start_matches('+'), opts.segments.concat);
        let pdus = wap_push_submits(destination, datagram, reference, opts)?;
        let mut waiting = Vec::with_capacity(pdus.len());
        for pdu in pdus {
            waiting.push(self.enqueue(pdu, opts.reference.clone())?);
        }
        let mut ids = Vec::with_capacity(waiting.len());
        let mut first_err = None;
        for rx in waiting {
            match rx
                .await
                .map_err(|_| Error::Stopped)
                .and_then(|r| r)
                .and_then(outcome)
            {
                Ok(o) => ids.push(o.message_id),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(ids),
        }
    }
}

/// What [`Esme::start_wap_push`] calls with the message ids of a push's
/// segments, in order, or the first segment's error.
pub type PushDone = Box<dyn FnOnce(Result<Vec<String>, Error>) + Send>;

/// The answers of a push's segments, gathered until the last one.
struct Gather {
    ids: Vec<Option<String>>,
    left: usize,
    first_err: Option<(usize, Error)>,
    done: Option<PushDone>,
}

impl Gather {
    fn answer(&mut self, i: usize, r: Result<String, Error>) {
        match r {
            Ok(id) => self.ids[i] = Some(id),
            Err(e) => {
                if self.first_err.as_ref().is_none_or(|(j, _)| i < *j) {
                    self.first_err = Some((i, e));
                }
            }
        }
        self.left -= 1;
        if self.left == 0
            && let Some(done) = self.done.take()
        {
            match self.first_err.take() {
                Some((_, e)) => done(Err(e)),
                None => done(Ok(self.ids.drain(..).map(Option::unwrap_or_default).collect())),
            }
        }
    }
}

impl Esme {
    /// As [`Esme::submit_wap_push`], without a task waiting for it: the
    /// segments are queued at once and `done` is called exactly once, with
    /// the message ids or the first segment's error: on the client's own
    /// task when the last answer comes, or at once, on the caller's task,
    /// if nothing could be queued. It must be quick and must not block.
    pub fn start_wap_push(&self, destination: &str, datagram: &[u8], opts: &PushOptions, done: PushDone) {
        let reference = self.next_reference(destination.trim_start_matches('+'), opts.segments.concat);
        let receipt = opts.registered_delivery.smsc_receipt() != ferry_smpp::ReceiptRequest::None;
        let mut pdus = match wap_push_submits(destination, datagram, reference, opts) {
            Ok(p) => p,
            Err(e) => return done(Err(e)),
        };
        if pdus.len() == 1 {
            let pdu = pdus.pop().expect("one segment");
            let reply = Reply::Call(Some(Box::new(move |r: Result<OwnedPdu, Error>| {
                done(r.and_then(outcome).map(|o| vec![o.message_id]));
            })));
            let _ = self.enqueue_reply(pdu, opts.reference.clone(), reply, Some(receipt));
            return;
        }
        let n = pdus.len();
        let gather = Arc::new(Mutex::new(Gather { ids: vec![None; n], left: n, first_err: None, done: Some(done) }));
        for (i, pdu) in pdus.into_iter().enumerate() {
            let g = gather.clone();
            let reply = Reply::Call(Some(Box::new(move |r: Result<OwnedPdu, Error>| {
                g.lock().unwrap_or_else(|e| e.into_inner()).answer(i, r.and_then(outcome).map(|o| o.message_id));
            })));
            if let Err(e) = self.enqueue_reply(pdu, opts.reference.clone(), reply, Some(receipt)) {
                // Segment i has had its error; the rest are not queued.
                let mut g = gather.lock().unwrap_or_else(|e| e.into_inner());
                for j in i + 1..n {
                    g.answer(j, Err(e.clone()));
                }
                return;
            }
        }
    }
}

fn outcome(pdu: OwnedPdu) -> Result<SubmitOutcome, Error> {
    let message_id = match pdu.pdu().body {
        Body::SubmitSmResp(r) => String::from_utf8_lossy(r.message_id).into_owned(),
        _ => String::new(),
    };
    Ok(SubmitOutcome {
        message_id,
        response: pdu,
    })
}

fn check(c: &EsmeConfig) -> Result<(), Error> {
    if c.window == 0 {
        return Err(Error::Config("window must be at least 1".into()));
    }
    if c.outbind.is_some() && c.tls.is_some() {
        return Err(Error::Config("TLS is not supported with outbind".into()));
    }
    if c.addr.is_empty() && c.outbind.is_none() {
        return Err(Error::Config("addr is empty".into()));
    }
    if let Some(r) = c.rate_limit
        && (!r.per_second.is_finite() || r.per_second <= 0.0)
    {
        return Err(Error::Config(format!(
            "rate limit {} per second is not positive",
            r.per_second
        )));
    }
    let bind = Bind {
        system_id: c.system_id.as_bytes(),
        password: c.password.as_bytes(),
        system_type: c.system_type.as_bytes(),
        interface_version: c.interface_version,
        addr_ton: c.addr_ton,
        addr_npi: c.addr_npi,
        address_range: c.address_range.as_bytes(),
    };
    Pdu::new(1, c.bind.body(bind))
        .to_bytes()
        .map_err(|e| Error::Config(format!("bind: {e}")))?;
    Ok(())
}
