//! Client capabilities query (WAP-247-PAP §9.11–9.12): `ccq-message` and the
//! PPG's `ccq-response`. The capabilities themselves travel as a separate
//! (RDF) entity, which this crate hands over as bytes.
//!
//! ```text
//! <!ELEMENT ccq-message ( address ) >
//! <!ATTLIST ccq-message query-id CDATA #REQUIRED app-id CDATA #IMPLIED >
//! <!ELEMENT ccq-response ( address ) >
//! <!ATTLIST ccq-response query-id CDATA #REQUIRED code CDATA #REQUIRED desc CDATA #IMPLIED >
//! ```

use crate::error::Result;
use crate::push::Address;
use crate::status::StatusCode;
use crate::xml::{Element, Writer};

/// A `ccq-message`: ask for a client's capabilities.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CcqMessage {
    /// `query-id`: the initiator's identifier of this query.
    pub query_id: String,
    /// `app-id`: the application whose capabilities are asked for.
    pub app_id: Option<String>,
    /// The client.
    pub address: Address,
}

impl CcqMessage {
    pub(crate) fn from_element(e: &Element) -> Result<Self> {
        Ok(CcqMessage {
            query_id: e.req_string("query-id")?,
            app_id: e.opt_string("app-id"),
            address: Address::from_element(e.req_child("address")?)?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.open("ccq-message");
        w.attr("query-id", &self.query_id);
        w.attr_opt("app-id", self.app_id.as_deref());
        w.close();
        self.address.write(w);
        w.end("ccq-message");
    }
}

/// A `ccq-response`: the PPG's answer to a ccq-message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CcqResponse {
    /// `query-id`, echoed.
    pub query_id: String,
    /// `code`.
    pub code: StatusCode,
    /// `desc`.
    pub desc: Option<String>,
    /// The client.
    pub address: Address,
}

impl CcqResponse {
    pub(crate) fn from_element(e: &Element) -> Result<Self> {
        Ok(CcqResponse {
            query_id: e.req_string("query-id")?,
            code: e.code()?,
            desc: e.opt_string("desc"),
            address: Address::from_element(e.req_child("address")?)?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.open("ccq-response");
        w.attr("query-id", &self.query_id);
        w.attr_display("code", self.code.0);
        w.attr_opt("desc", self.desc.as_deref());
        w.close();
        self.address.write(w);
        w.end("ccq-response");
    }
}
