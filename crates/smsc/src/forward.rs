//! Forwarding to other SMSCs by number prefix, through `ferry-esme`.
//!
//! Each configured route gets one ESME client, bound as a transceiver and
//! kept bound (reconnecting with back-off). A submit_sm for a number under
//! the route's prefix is submitted there, and the submitter is answered
//! only with the other SMSC's answer: `ESME_ROK` once it has accepted the
//! message (it is then that SMSC's to keep), its error status otherwise,
//! `ESME_RSYSERR` when the outcome is unknown (no answer, connection lost)
//! or the route is down. When the submitter asked for a receipt, the
//! other SMSC's receipt is relayed as a receipt from this SMSC under the id
//! this SMSC gave. Messages the other SMSC delivers over this link (for
//! numbers served here) are queued like local submissions, and
//! acknowledged after the commit.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use ferry_esme::{Esme, EsmeConfig, Inbound};
use ferry_service::Shutdown;
use ferry_smpp::{Body, CommandStatus, SubmitSm};
use tokio::sync::mpsc;

use crate::core::{Core, Routing, Submitted, ToSession};
use crate::message::{Msg, Target, deliver_from_submit, now_ms};

/// Forwarded messages awaiting a receipt, at most this many.
const MAX_TRACKED: usize = 1_000_000;

/// The clients of the routes, and the forwarded messages awaiting receipts.
#[derive(Debug, Default)]
pub(crate) struct Forwarders {
    clients: Vec<Esme>,
    awaiting_receipt: Mutex<HashMap<u64, Arc<Msg>>>,
}

impl Forwarders {
    /// Starts one client per route (none when there are no routes).
    pub(crate) fn start(core: &Arc<Core>, shutdown: &Shutdown) -> anyhow::Result<Forwarders> {
        let mut clients = Vec::new();
        for r in &core.config.routes {
            let mut c = EsmeConfig::new(
                format!("{}:{}", r.host, r.port),
                r.system_id.clone(),
                r.password.clone(),
            );
            c.name = format!("route-{}", r.prefix);
            c.window = 64;
            c.response_timeout = Duration::from_secs(r.timeout_seconds.max(1));
            c.queue_timeout = Duration::from_secs(r.timeout_seconds.max(1));
            let (esme, inbound) = Esme::start(c, shutdown.clone())
                .map_err(|e| anyhow::anyhow!("route {}: {e}", r.prefix))?;
            tokio::spawn(inbound_loop(Arc::downgrade(core), inbound));
            clients.push(esme);
        }
        Ok(Forwarders {
            clients,
            awaiting_receipt: Mutex::new(HashMap::new()),
        })
    }

    /// Whether route `i` has a client.
    pub(crate) fn has(&self, i: usize) -> bool {
        i < self.clients.len()
    }
}

/// Forwards `sm` over route `i`; the submitter (`reply`) is answered when
/// the other SMSC answers. `msg` is the message as this SMSC would have
/// queued it (for the receipt).
pub(crate) fn forward(
    core: &Arc<Core>,
    i: usize,
    sm: &SubmitSm<'_>,
    msg: Msg,
    reply: (mpsc::UnboundedSender<ToSession>, u32),
) {
    let Some(esme) = core.forwarders().clients.get(i).cloned() else {
        let _ = reply.0.send(ToSession::Committed {
            seq: reply.1,
            result: Err(CommandStatus::ESME_RSYSERR),
        });
        return;
    };
    let pdu = ferry_smpp::Pdu::new(0, Body::SubmitSm(sm.clone())).to_owned_pdu();
    let core = core.clone();
    tokio::spawn(async move {
        let Ok(pdu) = pdu else {
            let _ = reply.0.send(ToSession::Committed {
                seq: reply.1,
                result: Err(CommandStatus::ESME_RSYSERR),
            });
            return;
        };
        let Body::SubmitSm(sm) = pdu.pdu().body else {
            return;
        };
        let id = msg.id;
        let wants = msg.receipt_to.is_some() && sm.registered_delivery.0 & 0x03 != 0;
        let r = esme.submit_with_reference(&sm, id.to_string()).await;
        let result = match r {
            Ok(_) => {
                metrics::counter!(crate::metrics::FORWARDED).increment(1);
                if wants {
                    let mut m = core
                        .forwarders()
                        .awaiting_receipt
                        .lock()
                        .unwrap_or_else(|p| p.into_inner());
                    if m.len() < MAX_TRACKED {
                        m.insert(id, Arc::new(msg));
                    }
                }
                Ok(id)
            }
            Err(ferry_esme::Error::Rejected { status, .. }) => Err(status),
            Err(e) => {
                tracing::warn!("forwarding failed: {e}");
                Err(CommandStatus::ESME_RSYSERR)
            }
        };
        let _ = reply.0.send(ToSession::Committed {
            seq: reply.1,
            result,
        });
    });
}

/// What another SMSC sends over a route's link: receipts for what was
/// forwarded, and messages for numbers served here.
async fn inbound_loop(core: Weak<Core>, mut inbound: mpsc::Receiver<Inbound>) {
    while let Some(item) = inbound.recv().await {
        let Some(core) = core.upgrade() else { return };
        match item {
            Inbound::Receipt(r) => {
                let id = r.reference.as_deref().and_then(|s| s.parse::<u64>().ok());
                let state = r.state.filter(|s| s.is_final());
                if let (Some(id), Some(state)) = (id, state) {
                    let msg = core
                        .forwarders()
                        .awaiting_receipt
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&id);
                    if let Some(msg) = msg {
                        core.relay_receipt(&msg, state);
                    }
                }
                r.accept();
            }
            Inbound::Message(d) => {
                let status = take_inbound(&core, &d.pdu).await;
                if status.is_ok() {
                    d.accept()
                } else {
                    d.reject(status)
                }
            }
            other => other.reject(CommandStatus::ESME_RX_P_APPN),
        }
    }
}

/// Queues a deliver_sm from another SMSC for a local number; `ESME_ROK`
/// once it is committed.
async fn take_inbound(core: &Arc<Core>, pdu: &ferry_smpp::OwnedPdu) -> CommandStatus {
    let p = pdu.pdu();
    let Body::DeliverSm(sm) = &p.body else {
        return CommandStatus::ESME_RX_P_APPN;
    };
    let Some(dest) = crate::address::normalize(sm.destination.addr) else {
        return CommandStatus::ESME_RINVDSTADR;
    };
    if core.route(&dest) != Routing::Local {
        return CommandStatus::ESME_RINVDSTADR;
    }
    let Ok(bytes) = deliver_from_submit(sm, sm.source) else {
        return CommandStatus::ESME_RSYSERR;
    };
    let now = now_ms();
    let msg = Msg {
        id: core.new_id(),
        target: Target::Msisdn(dest),
        receipt_to: None,
        registered_delivery: 0,
        submit_ms: now,
        expires_ms: now + (core.config.delivery.default_validity_seconds as i64) * 1000,
        not_before_ms: now,
        pdu: bytes,
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    match core.submit(msg, Some((tx, 0))) {
        Ok(Submitted::Now(_)) => CommandStatus::ESME_ROK,
        Ok(Submitted::Pending) => match rx.recv().await {
            Some(ToSession::Committed { result: Ok(_), .. }) => CommandStatus::ESME_ROK,
            Some(ToSession::Committed { result: Err(s), .. }) => s,
            _ => CommandStatus::ESME_RSYSERR,
        },
        Err(s) => s,
    }
}
