//! The SMPP link: a [`Bearer`] on top of ferry-esme.
//!
//! Each configured link is one bound [`ferry_esme::Esme`] (transceiver).
//! A push is submitted with [`ferry_esme::Esme::submit_wap_push`] (UDH
//! ports 2948 ← 9200, 8-bit concatenation, esm_class 0x43, data_coding
//! 0x04, like Kannel), asking for receipts when the link is configured to,
//! with the push's deliver-before as validity period. Receipts coming back
//! on the link are posted to the gateway by SMSC message id.

use std::sync::Arc;

use ferry_esme::{Esme, EsmeConfig, EsmeState, Inbound, PushOptions};
use ferry_service::Shutdown;
use ferry_smpp::{AbsoluteTime, CommandStatus, MessageState, Npi, RegisteredDelivery, SmppTime, Ton};

use crate::bearer::{Bearer, BearerError, BoxFuture, MessageId, Receipt, ReceiptSender, ReceiptState, SendDone, SendOptions};
use crate::config::LinkConfig;

/// One SMPP link.
#[derive(Debug, Clone)]
pub struct EsmeBearer {
    name: Arc<str>,
    esme: Esme,
    options: PushOptions,
    receipts: bool,
}

impl EsmeBearer {
    /// Starts the link (it binds in the background) and a task that posts
    /// its receipts to `receipts`.
    pub fn start(link: &LinkConfig, receipts: ReceiptSender, shutdown: Shutdown) -> Result<Self, ferry_esme::Error> {
        let mut c = EsmeConfig::new(link.address.clone(), link.system_id.clone(), link.password.clone());
        c.name = link.name.clone();
        c.system_type = link.system_type.clone();
        c.window = link.window.max(1);
        c.inbound_capacity = 4096;
        let (esme, inbound) = Esme::start(c, shutdown)?;
        let options = PushOptions {
            source_ton: Ton::UNKNOWN,
            source_npi: Npi::ISDN,
            source_addr: link.source_addr.clone(),
            registered_delivery: if link.receipts { RegisteredDelivery::RECEIPT_ALWAYS } else { RegisteredDelivery::NONE },
            ..PushOptions::default()
        };
        let name: Arc<str> = link.name.as_str().into();
        tokio::spawn(receipt_loop(name.clone(), inbound, receipts));
        Ok(Self { name, esme, options, receipts: link.receipts })
    }

    /// The link's push options for one submission: the push's
    /// deliver-before as validity period, when it has one.
    fn options_for(&self, opts: SendOptions) -> std::borrow::Cow<'_, PushOptions> {
        match opts.deliver_before {
            Some(t) => {
                let mut o = self.options.clone();
                o.validity_period = Some(SmppTime::Absolute(AbsoluteTime::from_unix_timestamp(t)));
                std::borrow::Cow::Owned(o)
            }
            None => std::borrow::Cow::Borrowed(&self.options),
        }
    }

    /// The ESME handle (state, waiting for the bind).
    pub fn esme(&self) -> &Esme {
        &self.esme
    }
}

async fn receipt_loop(link: Arc<str>, mut inbound: tokio::sync::mpsc::Receiver<Inbound>, tx: ReceiptSender) {
    while let Some(msg) = inbound.recv().await {
        match msg {
            Inbound::Receipt(r) => {
                let state = match r.state {
                    Some(MessageState::DELIVERED) => Some(ReceiptState::Delivered),
                    Some(MessageState::EXPIRED) => Some(ReceiptState::Expired),
                    Some(MessageState::ENROUTE | MessageState::ACCEPTED) => None,
                    _ => Some(ReceiptState::Undeliverable),
                };
                if let (Some(state), Some(id)) = (state, r.message_id.clone()) {
                    let _ = tx.send(Receipt { link: link.to_string(), message_id: id, state });
                }
                r.accept();
            }
            // A push gateway takes no mobile-originated traffic: acknowledge and drop.
            other => other.accept(),
        }
    }
}

fn map_error(link: &str, e: ferry_esme::Error) -> BearerError {
    use ferry_esme::Error as E;
    let transient = match &e {
        E::Rejected { status, .. } => {
            matches!(*status, CommandStatus::ESME_RTHROTTLED | CommandStatus::ESME_RMSGQFUL | CommandStatus::ESME_RSYSERR)
        }
        // Timeout / ConnectionLost: the SMSC may have it; retrying may
        // duplicate the push (at-least-once), which a handset tolerates
        // better than a lost notification.
        E::Timeout { .. } | E::ConnectionLost { .. } => true,
        E::NotBound { .. } | E::QueueTimeout { .. } | E::BindRejected { .. } | E::Stopped => true,
        _ => false,
    };
    if transient {
        BearerError::Unavailable { link: link.to_owned(), reason: e.to_string() }
    } else {
        BearerError::Rejected { link: link.to_owned(), reason: e.to_string() }
    }
}

impl Bearer for EsmeBearer {
    fn name(&self) -> &str {
        &self.name
    }

    fn is_available(&self) -> bool {
        matches!(self.esme.state(), EsmeState::Bound(_))
    }

    fn wants_receipts(&self) -> bool {
        self.receipts
    }

    fn send_push<'a>(
        &'a self,
        dest: &'a str,
        datagram: &'a [u8],
        opts: SendOptions,
    ) -> BoxFuture<'a, Result<Vec<MessageId>, BearerError>> {
        Box::pin(async move {
            let options = self.options_for(opts);
            self.esme.submit_wap_push(dest, datagram, &options).await.map_err(|e| map_error(&self.name, e))
        })
    }

    fn start_push(self: Arc<Self>, dest: Arc<str>, datagram: bytes::Bytes, opts: SendOptions, done: SendDone) {
        let options = self.options_for(opts);
        let name = self.name.clone();
        self.esme.start_wap_push(&dest, &datagram, &options, Box::new(move |r| done(r.map_err(|e| map_error(&name, e)))));
    }
}
