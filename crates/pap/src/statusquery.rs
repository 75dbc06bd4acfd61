//! Status query (WAP-247-PAP §9.9–9.10): `statusquery-message` and the PPG's
//! `statusquery-response` with one `statusquery-result` per outcome.
//!
//! ```text
//! <!ELEMENT statusquery-message ( address* ) >
//! <!ATTLIST statusquery-message push-id CDATA #REQUIRED >
//! <!ELEMENT statusquery-response ( statusquery-result+ ) >
//! <!ATTLIST statusquery-response push-id CDATA #REQUIRED >
//! <!ELEMENT statusquery-result ( address*, quality-of-service? ) >
//! <!ATTLIST statusquery-result event-time %Datetime; #IMPLIED
//!     message-state %State; #REQUIRED code CDATA #REQUIRED desc CDATA #IMPLIED >
//! ```

use std::fmt;

use crate::cancel::write_addresses;
use crate::error::{DecodeError, ErrorKind, Result};
use crate::push::{Address, QualityOfService};
use crate::status::StatusCode;
use crate::time::Timestamp;
use crate::xml::{Element, Writer};

/// A `message-state` (§9.6, `%State;`). Unknown states are kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MessageState {
    /// `rejected`: the PPG did not accept the push (PAP 2.0).
    Rejected,
    /// `pending`: being processed.
    Pending,
    /// `undeliverable`: could not be delivered.
    Undeliverable,
    /// `expired`: the deliver-before time passed.
    Expired,
    /// `delivered`.
    Delivered,
    /// `aborted`: the client aborted it.
    Aborted,
    /// `timeout`: the delivery timed out.
    Timeout,
    /// `cancelled`: the initiator cancelled it.
    Cancelled,
    /// `unknown`: the PPG does not know.
    Unknown,
    /// Another state, as written.
    Other(String),
}

impl MessageState {
    const KNOWN: &'static [(MessageState, &'static str)] = &[
        (MessageState::Rejected, "rejected"),
        (MessageState::Pending, "pending"),
        (MessageState::Undeliverable, "undeliverable"),
        (MessageState::Expired, "expired"),
        (MessageState::Delivered, "delivered"),
        (MessageState::Aborted, "aborted"),
        (MessageState::Timeout, "timeout"),
        (MessageState::Cancelled, "cancelled"),
        (MessageState::Unknown, "unknown"),
    ];

    /// The keyword as written.
    pub fn as_str(&self) -> &str {
        match self {
            MessageState::Other(s) => s,
            known => Self::KNOWN
                .iter()
                .find(|(k, _)| k == known)
                .map_or("", |(_, t)| t),
        }
    }

    /// Parses a state keyword (ASCII case-insensitively); anything else
    /// becomes [`MessageState::Other`].
    pub fn parse(s: &str) -> Self {
        let t = s.trim();
        Self::KNOWN
            .iter()
            .find(|(_, k)| k.eq_ignore_ascii_case(t))
            .map_or_else(|| MessageState::Other(s.to_owned()), |(v, _)| v.clone())
    }

    pub(crate) fn from_element(e: &Element) -> Result<Self> {
        e.attr("message-state")
            .map(MessageState::parse)
            .ok_or_else(|| DecodeError::new(e.offset, "message-state", ErrorKind::MissingAttribute))
    }
}

impl fmt::Display for MessageState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `statusquery-message`: ask for the state of a push.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatusQueryMessage {
    /// `push-id` of the push asked about.
    pub push_id: String,
    /// The recipients asked about; empty means all.
    pub addresses: Vec<Address>,
}

impl StatusQueryMessage {
    pub(crate) fn from_element(e: &Element) -> Result<Self> {
        Ok(StatusQueryMessage {
            push_id: e.req_string("push-id")?,
            addresses: Address::all_from(e)?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.open("statusquery-message");
        w.attr("push-id", &self.push_id);
        write_addresses(w, "statusquery-message", &self.addresses);
    }
}

/// A `statusquery-result`: the state for some recipients.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatusQueryResult {
    /// `event-time`: when the state was reached.
    pub event_time: Option<Timestamp>,
    /// `message-state`.
    pub message_state: MessageState,
    /// `code`.
    pub code: StatusCode,
    /// `desc`.
    pub desc: Option<String>,
    /// The recipients this result is for.
    pub addresses: Vec<Address>,
    /// The quality of service the push was delivered with.
    pub quality_of_service: Option<QualityOfService>,
}

impl StatusQueryResult {
    pub(crate) fn from_element(e: &Element) -> Result<Self> {
        Ok(StatusQueryResult {
            event_time: e.opt_time("event-time")?,
            message_state: MessageState::from_element(e)?,
            code: e.code()?,
            desc: e.opt_string("desc"),
            addresses: Address::all_from(e)?,
            quality_of_service: QualityOfService::opt_from(e)?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.open("statusquery-result");
        w.attr_time("event-time", self.event_time);
        w.attr("message-state", self.message_state.as_str());
        w.attr_display("code", self.code.0);
        w.attr_opt("desc", self.desc.as_deref());
        if self.addresses.is_empty() && self.quality_of_service.is_none() {
            w.close_empty();
            return;
        }
        w.close();
        for a in &self.addresses {
            a.write(w);
        }
        if let Some(q) = &self.quality_of_service {
            q.write(w);
        }
        w.end("statusquery-result");
    }
}

/// A `statusquery-response`: the PPG's answer to a statusquery-message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatusQueryResponse {
    /// `push-id`, echoed.
    pub push_id: String,
    /// The results (at least one in a valid document).
    pub results: Vec<StatusQueryResult>,
}

impl StatusQueryResponse {
    pub(crate) fn from_element(e: &Element) -> Result<Self> {
        let results = e
            .children_named("statusquery-result")
            .map(StatusQueryResult::from_element)
            .collect::<Result<Vec<_>>>()?;
        if results.is_empty() {
            return Err(DecodeError::new(
                e.offset,
                "statusquery-result",
                ErrorKind::MissingElement,
            ));
        }
        Ok(StatusQueryResponse {
            push_id: e.req_string("push-id")?,
            results,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.open("statusquery-response");
        w.attr("push-id", &self.push_id);
        w.close();
        for r in &self.results {
            r.write(w);
        }
        w.end("statusquery-response");
    }
}
