//! query_sm (SMPP 3.4 §4.8.1) and query_sm_resp (§4.8.2).

use super::{SOURCE, read_address, write_address};
use crate::codec::{Reader, put_cstr, put_time};
use crate::error::{EncodeError, Error, Field};
use crate::time::SmppTime;
use crate::types::{Address, MessageState};

/// query_sm body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuerySm<'a> {
    /// "Message ID of the message whose state is to be queried" (max 65).
    pub message_id: &'a [u8],
    /// The original source address (max 21 with NUL).
    pub source: Address<'a>,
}

impl<'a> QuerySm<'a> {
    pub(crate) fn decode(r: &mut Reader<'a>) -> Result<Self, Error> {
        let q = QuerySm {
            message_id: r.cstr(Field::MessageId, 65)?,
            source: read_address(r, SOURCE, 21)?,
        };
        r.finish()?;
        Ok(q)
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_cstr(out, self.message_id, Field::MessageId, 65)?;
        write_address(out, &self.source, Field::SourceAddr, 21)
    }
}

/// query_sm_resp body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuerySmResp<'a> {
    /// The queried message id (max 65 with NUL).
    pub message_id: &'a [u8],
    /// "Date and time when the queried message reached its final state";
    /// `None` while not final.
    pub final_date: Option<SmppTime>,
    /// Current state.
    pub message_state: MessageState,
    /// Network error code (GSM), 0 if none.
    pub error_code: u8,
}

impl<'a> QuerySmResp<'a> {
    pub(crate) fn decode(r: &mut Reader<'a>) -> Result<Self, Error> {
        if r.is_empty() {
            return Ok(Self::default());
        }
        let q = QuerySmResp {
            message_id: r.cstr(Field::MessageId, 65)?,
            final_date: r.time(Field::FinalDate)?,
            message_state: MessageState(r.u8(Field::MessageState)?),
            error_code: r.u8(Field::ErrorCode)?,
        };
        r.finish()?;
        Ok(q)
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_cstr(out, self.message_id, Field::MessageId, 65)?;
        put_time(out, &self.final_date);
        out.extend_from_slice(&[self.message_state.0, self.error_code]);
        Ok(())
    }

    pub(crate) fn is_default(&self) -> bool {
        *self == Self::default()
    }
}
