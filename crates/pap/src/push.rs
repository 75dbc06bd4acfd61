//! Push submission (WAP-247-PAP §9.3–9.5): `push-message` with its
//! `address` and `quality-of-service` elements, and the PPG's `push-response`
//! with `progress-note` and `response-result`.
//!
//! ```text
//! <!ELEMENT push-message ( address+, quality-of-service? ) >
//! <!ATTLIST push-message push-id CDATA #REQUIRED
//!     replace-push-id CDATA #IMPLIED  replace-method (pending-only|all) "all"  (2.0 only)
//!     deliver-before-timestamp %Datetime; #IMPLIED
//!     deliver-after-timestamp %Datetime; #IMPLIED
//!     source-reference CDATA #IMPLIED  ppg-notify-requested-to CDATA #IMPLIED
//!     progress-notes-requested (true|false) "false" >
//! <!ELEMENT push-response ( progress-note*, response-result ) >
//! <!ATTLIST push-response push-id CDATA #REQUIRED sender-address CDATA #IMPLIED
//!     sender-name CDATA #IMPLIED reply-time %Datetime; #IMPLIED >
//! ```
//!
//! Attributes the DTD gives a default for are `Option`s here: `None` means
//! "not written" (and so the default applies), which keeps round trips exact.

use std::fmt;

use crate::address::ClientAddress;
use crate::document::PapVersion;
use crate::error::{DecodeError, ErrorKind, Result};
use crate::status::StatusCode;
use crate::time::Timestamp;
use crate::xml::{Element, Writer};

/// An `address` element: one client address, as written. Use
/// [`Address::client_address`] for the typed form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address {
    /// The `address-value` attribute, e.g. `WAPPUSH=+15551234567/TYPE=PLMN@ppg.example.com`.
    pub address_value: String,
}

impl Address {
    /// An address from its text.
    pub fn new(address_value: impl Into<String>) -> Self {
        Address {
            address_value: address_value.into(),
        }
    }

    /// The WAP-249 client address (borrowing from this element).
    pub fn client_address(&self) -> Result<ClientAddress<'_>> {
        ClientAddress::parse(&self.address_value)
    }

    pub(crate) fn from_element(e: &Element) -> Result<Self> {
        Ok(Address {
            address_value: e.req_string("address-value")?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.open("address");
        w.attr("address-value", &self.address_value);
        w.close_empty();
    }

    pub(crate) fn all_from(e: &Element) -> Result<Vec<Self>> {
        e.children_named("address")
            .map(Address::from_element)
            .collect()
    }
}

impl From<&ClientAddress<'_>> for Address {
    fn from(a: &ClientAddress<'_>) -> Self {
        Address::new(a.to_string())
    }
}

impl From<ClientAddress<'_>> for Address {
    fn from(a: ClientAddress<'_>) -> Self {
        Address::new(a.to_string())
    }
}

/// Declares a closed enumeration of attribute keywords.
macro_rules! keywords {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($(#[$vdoc:meta])* $var:ident = $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $var,)+
        }

        impl $name {
            /// Every value, in DTD order.
            pub const ALL: &'static [Self] = &[$(Self::$var,)+];

            /// The keyword as written in the document.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$var => $text,)+ }
            }

            /// Parses the keyword (ASCII case-insensitively, surrounding
            /// whitespace ignored).
            pub fn parse(s: &str) -> Option<Self> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(s))
            }

            pub(crate) fn from_attr(e: &Element, name: &'static str) -> Result<Option<Self>> {
                e.attr(name)
                    .map(|v| Self::parse(v).ok_or_else(|| e.invalid(name, $what)))
                    .transpose()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

keywords! {
    /// `priority` of a quality-of-service (default `medium`).
    Priority, "high, medium or low" {
        /// `high`
        High = "high",
        /// `medium`
        Medium = "medium",
        /// `low`
        Low = "low",
    }
}

keywords! {
    /// `delivery-method` of a quality-of-service (default `notspecified`).
    DeliveryMethod, "confirmed, preferconfirmed, unconfirmed or notspecified" {
        /// `confirmed`: delivery must be confirmed by the client.
        Confirmed = "confirmed",
        /// `preferconfirmed`: confirmed if the client can.
        PreferConfirmed = "preferconfirmed",
        /// `unconfirmed`: no confirmation.
        Unconfirmed = "unconfirmed",
        /// `notspecified`: the PPG chooses.
        NotSpecified = "notspecified",
    }
}

keywords! {
    /// `replace-method` of a push-message (PAP 2.0; default `all`).
    ReplaceMethod, "pending-only or all" {
        /// `pending-only`: replace only if the old push is still pending.
        PendingOnly = "pending-only",
        /// `all`: replace in any case.
        All = "all",
    }
}

/// A `quality-of-service` element (§9.3.2). Every attribute is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct QualityOfService {
    /// `priority`.
    pub priority: Option<Priority>,
    /// `delivery-method`.
    pub delivery_method: Option<DeliveryMethod>,
    /// `network`, e.g. `GSM`.
    pub network: Option<String>,
    /// `network-required`.
    pub network_required: Option<bool>,
    /// `bearer`, e.g. `SMS`.
    pub bearer: Option<String>,
    /// `bearer-required`.
    pub bearer_required: Option<bool>,
}

impl QualityOfService {
    pub(crate) fn from_element(e: &Element) -> Result<Self> {
        Ok(QualityOfService {
            priority: Priority::from_attr(e, "priority")?,
            delivery_method: DeliveryMethod::from_attr(e, "delivery-method")?,
            network: e.opt_string("network"),
            network_required: e.opt_bool("network-required")?,
            bearer: e.opt_string("bearer"),
            bearer_required: e.opt_bool("bearer-required")?,
        })
    }

    pub(crate) fn opt_from(e: &Element) -> Result<Option<Self>> {
        e.child("quality-of-service")
            .map(QualityOfService::from_element)
            .transpose()
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.open("quality-of-service");
        w.attr_opt("priority", self.priority.map(Priority::as_str));
        w.attr_opt(
            "delivery-method",
            self.delivery_method.map(DeliveryMethod::as_str),
        );
        w.attr_opt("network", self.network.as_deref());
        w.attr_bool("network-required", self.network_required);
        w.attr_opt("bearer", self.bearer.as_deref());
        w.attr_bool("bearer-required", self.bearer_required);
        w.close_empty();
    }
}

/// A `push-message` (§9.3): the control entity of a push submission.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PushMessage {
    /// `push-id`: the initiator's unique identifier of this push.
    pub push_id: String,
    /// `replace-push-id` (PAP 2.0): the push this one replaces.
    pub replace_push_id: Option<String>,
    /// `replace-method` (PAP 2.0).
    pub replace_method: Option<ReplaceMethod>,
    /// `deliver-before-timestamp`: deliver no later than this.
    pub deliver_before_timestamp: Option<Timestamp>,
    /// `deliver-after-timestamp`: deliver no earlier than this.
    pub deliver_after_timestamp: Option<Timestamp>,
    /// `source-reference`: the initiator's name for itself.
    pub source_reference: Option<String>,
    /// `ppg-notify-requested-to`: where to send the result notification (a URL).
    pub ppg_notify_requested_to: Option<String>,
    /// `progress-notes-requested`.
    pub progress_notes_requested: Option<bool>,
    /// The `address` elements (at least one in a valid document).
    pub addresses: Vec<Address>,
    /// The `quality-of-service` element.
    pub quality_of_service: Option<QualityOfService>,
}

impl PushMessage {
    /// A push-message with its id and one address, and nothing else.
    pub fn new(push_id: impl Into<String>, address: impl Into<Address>) -> Self {
        PushMessage {
            push_id: push_id.into(),
            replace_push_id: None,
            replace_method: None,
            deliver_before_timestamp: None,
            deliver_after_timestamp: None,
            source_reference: None,
            ppg_notify_requested_to: None,
            progress_notes_requested: None,
            addresses: vec![address.into()],
            quality_of_service: None,
        }
    }

    pub(crate) fn from_element(e: &Element) -> Result<Self> {
        let addresses = Address::all_from(e)?;
        if addresses.is_empty() {
            return Err(DecodeError::new(
                e.offset,
                "address",
                ErrorKind::MissingElement,
            ));
        }
        Ok(PushMessage {
            push_id: e.req_string("push-id")?,
            replace_push_id: e.opt_string("replace-push-id"),
            replace_method: ReplaceMethod::from_attr(e, "replace-method")?,
            deliver_before_timestamp: e.opt_time("deliver-before-timestamp")?,
            deliver_after_timestamp: e.opt_time("deliver-after-timestamp")?,
            source_reference: e.opt_string("source-reference"),
            ppg_notify_requested_to: e.opt_string("ppg-notify-requested-to"),
            progress_notes_requested: e.opt_bool("progress-notes-requested")?,
            addresses,
            quality_of_service: QualityOfService::opt_from(e)?,
        })
    }

    /// Writes the element. PAP 1.0 output leaves out the 2.0-only
    /// `replace-push-id` and `replace-method`.
    pub(crate) fn write(&self, w: &mut Writer, version: PapVersion) {
        w.open("push-message");
        w.attr("push-id", &self.push_id);
        if version == PapVersion::V2_0 {
            w.attr_opt("replace-push-id", self.replace_push_id.as_deref());
            w.attr_opt(
                "replace-method",
                self.replace_method.map(ReplaceMethod::as_str),
            );
        }
        w.attr_time("deliver-before-timestamp", self.deliver_before_timestamp);
        w.attr_time("deliver-after-timestamp", self.deliver_after_timestamp);
        w.attr_opt("source-reference", self.source_reference.as_deref());
        w.attr_opt(
            "ppg-notify-requested-to",
            self.ppg_notify_requested_to.as_deref(),
        );
        w.attr_bool("progress-notes-requested", self.progress_notes_requested);
        w.close();
        for a in &self.addresses {
            a.write(w);
        }
        if let Some(q) = &self.quality_of_service {
            q.write(w);
        }
        w.end("push-message");
    }
}

/// A `response-result` (and the `code`/`desc` pair of other results).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResponseResult {
    /// `code`.
    pub code: StatusCode,
    /// `desc`: human-readable text.
    pub desc: Option<String>,
}

impl ResponseResult {
    /// A result with the code's spec phrase as its description.
    pub fn new(code: StatusCode) -> Self {
        ResponseResult {
            code,
            desc: code.description().map(str::to_owned),
        }
    }

    pub(crate) fn from_element(e: &Element) -> Result<Self> {
        Ok(ResponseResult {
            code: e.code()?,
            desc: e.opt_string("desc"),
        })
    }
}

/// A `progress-note` (§9.4.1): how far a push has got.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProgressNote {
    /// `stage`: the stage reached.
    pub stage: String,
    /// `note`: free text.
    pub note: Option<String>,
    /// `time`: when the stage was reached.
    pub time: Option<Timestamp>,
}

impl ProgressNote {
    pub(crate) fn from_element(e: &Element) -> Result<Self> {
        Ok(ProgressNote {
            stage: e.req_string("stage")?,
            note: e.opt_string("note"),
            time: e.opt_time("time")?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.open("progress-note");
        w.attr("stage", &self.stage);
        w.attr_opt("note", self.note.as_deref());
        w.attr_time("time", self.time);
        w.close_empty();
    }
}

/// A `push-response` (§9.4): the PPG's answer to a push submission.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PushResponse {
    /// `push-id`, echoed from the push-message.
    pub push_id: String,
    /// `sender-address`: the PPG's address (a URL).
    pub sender_address: Option<String>,
    /// `sender-name`: the PPG's name.
    pub sender_name: Option<String>,
    /// `reply-time`.
    pub reply_time: Option<Timestamp>,
    /// `progress-note` elements.
    pub progress_notes: Vec<ProgressNote>,
    /// The `response-result`.
    pub result: ResponseResult,
}

impl PushResponse {
    /// A response with only the push-id and a result code (with the spec
    /// phrase as description).
    pub fn new(push_id: impl Into<String>, code: StatusCode) -> Self {
        PushResponse {
            push_id: push_id.into(),
            sender_address: None,
            sender_name: None,
            reply_time: None,
            progress_notes: Vec::new(),
            result: ResponseResult::new(code),
        }
    }

    pub(crate) fn from_element(e: &Element) -> Result<Self> {
        Ok(PushResponse {
            push_id: e.req_string("push-id")?,
            sender_address: e.opt_string("sender-address"),
            sender_name: e.opt_string("sender-name"),
            reply_time: e.opt_time("reply-time")?,
            progress_notes: e
                .children_named("progress-note")
                .map(ProgressNote::from_element)
                .collect::<Result<_>>()?,
            result: ResponseResult::from_element(e.req_child("response-result")?)?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.open("push-response");
        w.attr("push-id", &self.push_id);
        w.attr_opt("sender-address", self.sender_address.as_deref());
        w.attr_opt("sender-name", self.sender_name.as_deref());
        w.attr_time("reply-time", self.reply_time);
        w.close();
        for n in &self.progress_notes {
            n.write(w);
        }
        w.open("response-result");
        w.attr_display("code", self.result.code.0);
        w.attr_opt("desc", self.result.desc.as_deref());
        w.close_empty();
        w.end("push-response");
    }
}
