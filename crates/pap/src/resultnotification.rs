//! Result notification (WAP-247-PAP §9.5–9.6): the PPG tells the initiator
//! the final outcome of a push (`resultnotification-message`), and the
//! initiator acknowledges it (`resultnotification-response`).
//!
//! ```text
//! <!ELEMENT resultnotification-message ( address, quality-of-service? ) >
//! <!ATTLIST resultnotification-message push-id CDATA #REQUIRED
//!     sender-address CDATA #IMPLIED sender-name CDATA #IMPLIED
//!     received-time %Datetime; #IMPLIED event-time %Datetime; #REQUIRED
//!     message-state %State; #REQUIRED code CDATA #REQUIRED desc CDATA #IMPLIED >
//! <!ELEMENT resultnotification-response ( address ) >
//! <!ATTLIST resultnotification-response push-id CDATA #REQUIRED
//!     code CDATA #REQUIRED desc CDATA #IMPLIED >
//! ```
//!
//! `event-time` is read as optional (some PPGs leave it out).

use crate::error::Result;
use crate::push::{Address, QualityOfService};
use crate::status::StatusCode;
use crate::statusquery::MessageState;
use crate::time::Timestamp;
use crate::xml::{Element, Writer};

/// A `resultnotification-message`: the outcome of a push for one recipient.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResultNotificationMessage {
    /// `push-id` of the push.
    pub push_id: String,
    /// `sender-address`: the PPG's address.
    pub sender_address: Option<String>,
    /// `sender-name`: the PPG's name.
    pub sender_name: Option<String>,
    /// `received-time`: when the PPG received the push.
    pub received_time: Option<Timestamp>,
    /// `event-time`: when the final state was reached.
    pub event_time: Option<Timestamp>,
    /// `message-state`.
    pub message_state: MessageState,
    /// `code`.
    pub code: StatusCode,
    /// `desc`.
    pub desc: Option<String>,
    /// The recipient.
    pub address: Address,
    /// The quality of service used.
    pub quality_of_service: Option<QualityOfService>,
}

impl ResultNotificationMessage {
    pub(crate) fn from_element(e: &Element) -> Result<Self> {
        Ok(ResultNotificationMessage {
            push_id: e.req_string("push-id")?,
            sender_address: e.opt_string("sender-address"),
            sender_name: e.opt_string("sender-name"),
            received_time: e.opt_time("received-time")?,
            event_time: e.opt_time("event-time")?,
            message_state: MessageState::from_element(e)?,
            code: e.code()?,
            desc: e.opt_string("desc"),
            address: Address::from_element(e.req_child("address")?)?,
            quality_of_service: QualityOfService::opt_from(e)?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.open("resultnotification-message");
        w.attr("push-id", &self.push_id);
        w.attr_opt("sender-address", self.sender_address.as_deref());
        w.attr_opt("sender-name", self.sender_name.as_deref());
        w.attr_time("received-time", self.received_time);
        w.attr_time("event-time", self.event_time);
        w.attr("message-state", self.message_state.as_str());
        w.attr_display("code", self.code.0);
        w.attr_opt("desc", self.desc.as_deref());
        w.close();
        self.address.write(w);
        if let Some(q) = &self.quality_of_service {
            q.write(w);
        }
        w.end("resultnotification-message");
    }
}

/// A `resultnotification-response`: the initiator's acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResultNotificationResponse {
    /// `push-id`, echoed.
    pub push_id: String,
    /// `code`.
    pub code: StatusCode,
    /// `desc`.
    pub desc: Option<String>,
    /// The recipient, echoed.
    pub address: Address,
}

impl ResultNotificationResponse {
    pub(crate) fn from_element(e: &Element) -> Result<Self> {
        Ok(ResultNotificationResponse {
            push_id: e.req_string("push-id")?,
            code: e.code()?,
            desc: e.opt_string("desc"),
            address: Address::from_element(e.req_child("address")?)?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.open("resultnotification-response");
        w.attr("push-id", &self.push_id);
        w.attr_display("code", self.code.0);
        w.attr_opt("desc", self.desc.as_deref());
        w.close();
        self.address.write(w);
        w.end("resultnotification-response");
    }
}
