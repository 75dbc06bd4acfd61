//! Bad message response (WAP-247-PAP §9.14): what a PPG answers to a request
//! it cannot even recognise (code `2000`) or whose version it does not
//! support (`3002`). Kannel sends it, with HTTP 202, for a non-international
//! client address too.
//!
//! ```text
//! <!ELEMENT badmessage-response EMPTY >
//! <!ATTLIST badmessage-response code CDATA #REQUIRED desc CDATA #IMPLIED
//!     bad-message-fragment CDATA #IMPLIED >
//! ```

use crate::error::Result;
use crate::status::StatusCode;
use crate::xml::{Element, Writer};

/// A `badmessage-response`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BadMessageResponse {
    /// `code`.
    pub code: StatusCode,
    /// `desc`.
    pub desc: Option<String>,
    /// `bad-message-fragment`: the part of the request that was not understood.
    pub bad_message_fragment: Option<String>,
}

impl BadMessageResponse {
    /// A response with the code's spec phrase as description.
    pub fn new(code: StatusCode) -> Self {
        BadMessageResponse {
            code,
            desc: code.description().map(str::to_owned),
            bad_message_fragment: None,
        }
    }

    pub(crate) fn from_element(e: &Element) -> Result<Self> {
        Ok(BadMessageResponse {
            code: e.code()?,
            desc: e.opt_string("desc"),
            bad_message_fragment: e.opt_string("bad-message-fragment"),
        })
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.open("badmessage-response");
        w.attr_display("code", self.code.0);
        w.attr_opt("desc", self.desc.as_deref());
        w.attr_opt("bad-message-fragment", self.bad_message_fragment.as_deref());
        w.close_empty();
    }
}
