//! Cancellation (WAP-247-PAP §9.7–9.8): `cancel-message` and the PPG's
//! `cancel-response` with one `cancel-result` per outcome.
//!
//! ```text
//! <!ELEMENT cancel-message ( address* ) >
//! <!ATTLIST cancel-message push-id CDATA #REQUIRED >
//! <!ELEMENT cancel-response ( cancel-result+ ) >
//! <!ATTLIST cancel-response push-id CDATA #REQUIRED >
//! <!ELEMENT cancel-result ( address* ) >
//! <!ATTLIST cancel-result code CDATA #REQUIRED desc CDATA #IMPLIED >
//! ```
//!
//! No addresses in a cancel-message means "cancel for every recipient".

use crate::error::{DecodeError, ErrorKind, Result};
use crate::push::Address;
use crate::status::StatusCode;
use crate::xml::{Element, Writer};

/// A `cancel-message`: cancel a push (for some or all of its recipients).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CancelMessage {
    /// `push-id` of the push to cancel.
    pub push_id: String,
    /// The recipients to cancel for; empty means all.
    pub addresses: Vec<Address>,
}

impl CancelMessage {
    pub(crate) fn from_element(e: &Element) -> Result<Self> {
        Ok(CancelMessage {
            push_id: e.req_string("push-id")?,
            addresses: Address::all_from(e)?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.open("cancel-message");
        w.attr("push-id", &self.push_id);
        write_addresses(w, "cancel-message", &self.addresses);
    }
}

/// Closes an element whose content is only addresses: `/>` when there are
/// none.
pub(crate) fn write_addresses(w: &mut Writer, name: &str, addresses: &[Address]) {
    if addresses.is_empty() {
        w.close_empty();
    } else {
        w.close();
        for a in addresses {
            a.write(w);
        }
        w.end(name);
    }
}

/// A `cancel-result`: the outcome for some recipients.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CancelResult {
    /// `code`.
    pub code: StatusCode,
    /// `desc`.
    pub desc: Option<String>,
    /// The recipients this outcome is for; empty means all.
    pub addresses: Vec<Address>,
}

impl CancelResult {
    pub(crate) fn from_element(e: &Element) -> Result<Self> {
        Ok(CancelResult {
            code: e.code()?,
            desc: e.opt_string("desc"),
            addresses: Address::all_from(e)?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.open("cancel-result");
        w.attr_display("code", self.code.0);
        w.attr_opt("desc", self.desc.as_deref());
        write_addresses(w, "cancel-result", &self.addresses);
    }
}

/// A `cancel-response`: the PPG's answer to a cancel-message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CancelResponse {
    /// `push-id`, echoed.
    pub push_id: String,
    /// The `cancel-result` elements (at least one in a valid document).
    pub results: Vec<CancelResult>,
}

impl CancelResponse {
    pub(crate) fn from_element(e: &Element) -> Result<Self> {
        let results = e
            .children_named("cancel-result")
            .map(CancelResult::from_element)
            .collect::<Result<Vec<_>>>()?;
        if results.is_empty() {
            return Err(DecodeError::new(
                e.offset,
                "cancel-result",
                ErrorKind::MissingElement,
            ));
        }
        Ok(CancelResponse {
            push_id: e.req_string("push-id")?,
            results,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.open("cancel-response");
        w.attr("push-id", &self.push_id);
        w.close();
        for r in &self.results {
            r.write(w);
        }
        w.end("cancel-response");
    }
}
