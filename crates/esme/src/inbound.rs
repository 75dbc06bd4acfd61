//! What the SMSC sends the application: messages and delivery receipts,
//! each answered only when the application says so.

use ferry_smpp::{CommandId, CommandStatus, MessageState, NetworkErrorCode, OwnedPdu};
use tokio::sync::mpsc;

/// The application's answer to an inbound request, for the driver.
#[derive(Debug)]
pub(crate) struct AckMsg {
    pub(crate) generation: u64,
    pub(crate) sequence_number: u32,
    pub(crate) command_id: CommandId,
    pub(crate) status: CommandStatus,
}

/// Sends the `*_resp` for one inbound request: explicitly, or on drop with
/// `ESME_RX_T_APPN` (a temporary error: the SMSC should try again).
#[derive(Debug)]
pub(crate) struct Ack {
    pub(crate) tx: mpsc::UnboundedSender<AckMsg>,
    pub(crate) generation: u64,
    pub(crate) sequence_number: u32,
    pub(crate) command_id: CommandId,
    pub(crate) done: bool,
}

impl Ack {
    fn send(&mut self, status: CommandStatus) {
        if !self.done {
            self.done = true;
            let _ = self.tx.send(AckMsg {
                generation: self.generation,
                sequence_number: self.sequence_number,
                command_id: self.command_id,
                status,
            });
        }
    }
}

impl Drop for Ack {
    fn drop(&mut self) {
        self.send(CommandStatus::ESME_RX_T_APPN);
    }
}

/// Something the SMSC delivered: answer it with [`Inbound::accept`] or
/// [`Inbound::reject`]. Dropping it unanswered rejects it with
/// `ESME_RX_T_APPN` (temporary: the SMSC should retry). An answer given
/// after the connection that carried the request has closed is not sent
/// (the SMSC will deliver again on the next connection).
#[derive(Debug)]
#[non_exhaustive]
pub enum Inbound {
    /// A deliver_sm or data_sm that is not a delivery receipt: a
    /// mobile-originated message, or (for a handset) a message to it.
    Message(Delivery),
    /// A delivery receipt (esm_class message type "SMSC delivery receipt").
    Receipt(Receipt),
}

impl Inbound {
    /// The PDU as received.
    pub fn pdu(&self) -> &OwnedPdu {
        match self {
            Inbound::Message(d) => &d.pdu,
            Inbound::Receipt(r) => &r.pdu,
        }
    }

    /// Answers `ESME_ROK`: the application has taken responsibility.
    pub fn accept(self) {
        match self {
            Inbound::Message(d) => d.accept(),
            Inbound::Receipt(r) => r.accept(),
        }
    }

    /// Answers with an error `status` (`ESME_RX_T_APPN`: try later;
    /// `ESME_RX_P_APPN`: never; `ESME_RX_R_APPN`: rejected).
    pub fn reject(self, status: CommandStatus) {
        match self {
            Inbound::Message(d) => d.reject(status),
            Inbound::Receipt(r) => r.reject(status),
        }
    }
}

/// A delivered message (deliver_sm or data_sm).
#[derive(Debug)]
pub struct Delivery {
    /// The PDU as received (`pdu.pdu().body` is `Body::DeliverSm` or
    /// `Body::DataSm`).
    pub pdu: OwnedPdu,
    pub(crate) ack: Ack,
}

impl Delivery {
    /// Answers `ESME_ROK`.
    pub fn accept(mut self) {
        self.ack.send(CommandStatus::ESME_ROK);
    }

    /// Answers with an error status.
    pub fn reject(mut self, status: CommandStatus) {
        self.ack.send(status);
    }

    /// The user data: short_message, or the message_payload TLV when present.
    pub fn payload(&self) -> Vec<u8> {
        match self.pdu.pdu().body {
            ferry_smpp::Body::DeliverSm(sm) => sm.payload().to_vec(),
            ferry_smpp::Body::DataSm(d) => d.tlvs.message_payload().unwrap_or_default().to_vec(),
            _ => Vec::new(),
        }
    }
}

/// A delivery receipt, matched to the request it reports on when possible.
#[derive(Debug)]
pub struct Receipt {
    /// The message_id it names (`receipted_message_id`, else `id:`);
    /// when matched, the id as submit_sm_resp gave it.
    pub message_id: Option<String>,
    /// The reference the application gave with the request
    /// ([`crate::Esme::submit_with_reference`]); `None` when the receipt
    /// matched no request remembered (or the request had none).
    pub reference: Option<String>,
    /// Whether it matched a request sent by this client.
    pub matched: bool,
    /// The state: the `message_state` TLV, else the text's `stat:`.
    pub state: Option<MessageState>,
    /// The text's `err:` field.
    pub error: Option<String>,
    /// The `network_error_code` TLV.
    pub network_error: Option<NetworkErrorCode>,
    /// The PDU as received.
    pub pdu: OwnedPdu,
    pub(crate) ack: Ack,
}

impl Receipt {
    /// Answers `ESME_ROK`.
    pub fn accept(mut self) {
        self.ack.send(CommandStatus::ESME_ROK);
    }

    /// Answers with an error status.
    pub fn reject(mut self, status: CommandStatus) {
        self.ack.send(status);
    }

    /// Whether the state is final (anything but ENROUTE; unknown counts as
    /// final).
    pub fn is_final(&self) -> bool {
        self.state.is_none_or(MessageState::is_final)
    }
}
