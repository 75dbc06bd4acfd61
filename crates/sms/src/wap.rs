//! WAP Push over SMS: the WDP adaptation for GSM SMS (WAP-259 WDP
//! Appendix B / §6.5, WAP-202 WCMP SMS adaptation).
//!
//! A WDP datagram (here a WSP connectionless push PDU) travels as 8-bit
//! user data with a user data header holding 16-bit application port
//! addressing (destination 2948, source 9200) and, when the datagram does
//! not fit in one short message, a concatenation IE. Like Kannel, the port
//! IE comes first:
//!
//! ```text
//! one segment:   06 05 04 0B84 23F0                    | up to 133 octets of datagram
//! 8-bit concat:  0B 05 04 0B84 23F0 00 03 ref tot seq  | up to 128 octets per segment
//! 16-bit concat: 0C 05 04 0B84 23F0 08 04 ref(2) tot seq | up to 127 octets per segment
//! ```
//! Each segment is ready for an SMPP `submit_sm`: `short_message` =
//! [`Segment::short_message`], esm_class with UDHI ([`ESM_CLASS_UDHI`]),
//! data_coding = [`Segment::dcs`].

use std::borrow::Cow;

use crate::address::Address;
use crate::dcs::DataCodingScheme;
use crate::error::EncodeError;
use crate::text::ConcatKind;
use crate::time::Timestamp;
use crate::tpdu::{Deliver, Submit};
use crate::udh::{InformationElement, Ports, UserDataHeader};
use crate::user_data::{Body, MAX_USER_DATA_OCTETS, UserData};

/// SMPP esm_class bit for "UDH indicator" (SMPP 3.4 §5.2.12).
pub const ESM_CLASS_UDHI: u8 = 0x40;

/// How [`wap_push_segments`] builds segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WapPushOptions {
    /// Concatenation IE for multi-segment datagrams (8-bit reference by default).
    pub concat: ConcatKind,
    /// Data coding: [`DataCodingScheme::OCTETS`] (`0x04`, default, as Kannel)
    /// or [`DataCodingScheme::OCTETS_CLASS1`] (`0xF5`).
    pub dcs: DataCodingScheme,
    /// Application ports (default 2948 ← 9200).
    pub ports: Ports,
    /// User data limit per segment, header included (default and maximum 140).
    pub max_user_data: usize,
}

impl Default for WapPushOptions {
    fn default() -> Self {
        Self {
            concat: ConcatKind::Eight,
            dcs: DataCodingScheme::OCTETS,
            ports: Ports::WAP_PUSH,
            max_user_data: MAX_USER_DATA_OCTETS,
        }
    }
}

/// One short message of a segmented datagram.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Segment {
    /// The encoded user data header, UDHL octet first.
    pub udh: Vec<u8>,
    /// This segment's part of the datagram.
    pub data: Vec<u8>,
    /// The TP-DCS / SMPP data_coding to send with it.
    pub dcs: DataCodingScheme,
    /// Sequence number (1-based; 1 for a single segment).
    pub seq: u8,
    /// Number of segments.
    pub total: u8,
}

impl Segment {
    /// UDH followed by the data: an SMPP `short_message` (send with
    /// esm_class [`ESM_CLASS_UDHI`]) or the TP-UD of a TPDU.
    pub fn short_message(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.udh.len() + self.data.len());
        v.extend_from_slice(&self.udh);
        v.extend_from_slice(&self.data);
        v
    }

    /// The segment as TP-User-Data.
    pub fn user_data(&self) -> UserData<'_> {
        let header = UserDataHeader::decode(&self.udh, 0).map(|(h, _)| h).ok();
        UserData { header, body: Body::Octets(Cow::Borrowed(&self.data)) }
    }

    /// An SMS-SUBMIT carrying this segment to `destination` (TP-MR 0).
    pub fn to_submit(&self, destination: Address) -> Submit<'_> {
        Submit::new(destination, self.dcs, self.user_data())
    }

    /// An SMS-DELIVER carrying this segment from `originator`.
    pub fn to_deliver(&self, originator: Address, timestamp: Timestamp) -> Deliver<'_> {
        Deliver {
            more_messages_to_send: false,
            loop_prevention: false,
            status_report_indication: false,
            reply_path: false,
            originator,
            protocol_id: crate::ProtocolId::DEFAULT,
            dcs: self.dcs,
            timestamp,
            user_data: self.user_data(),
        }
    }
}

/// Splits a WDP datagram (a WSP push PDU) into short messages with port
/// addressing and, if needed, concatenation.
///
/// `reference` is the concatenation reference (truncated to 8 bits with the
/// default [`ConcatKind::Eight`]); it is not used for a single segment.
/// Fails if more than 255 segments would be needed or `max_user_data`
/// leaves no room for data.
pub fn wap_push_segments(datagram: &[u8], reference: u16, opts: &WapPushOptions) -> Result<Vec<Segment>, EncodeError> {
    let max = opts.max_user_data.min(MAX_USER_DATA_OCTETS);
    let ports = InformationElement::Ports16 { dest: opts.ports.dest, src: opts.ports.src };
    let single = UserDataHeader::new(vec![ports.clone()]);
    let single_room = max.saturating_sub(single.encoded_len());
    if datagram.len() <= single_room {
        return Ok(vec![Segment { udh: single.to_bytes()?, data: datagram.to_vec(), dcs: opts.dcs, seq: 1, total: 1 }]);
    }
    let room = max.saturating_sub(single.encoded_len() + opts.concat.header_len() - 1);
    if room == 0 {
        return Err(EncodeError::OutOfRange { field: "max_user_data" });
    }
    let n = datagram.len().div_ceil(room);
    if n > 255 {
        return Err(EncodeError::TooLong { field: "datagram", len: datagram.len(), max: 255 * room });
    }
    datagram
        .chunks(room)
        .enumerate()
        .map(|(i, chunk)| {
            let h = UserDataHeader::new(vec![ports.clone(), opts.concat.element(reference, n as u8, i as u8 + 1)]);
            Ok(Segment { udh: h.to_bytes()?, data: chunk.to_vec(), dcs: opts.dcs, seq: i as u8 + 1, total: n as u8 })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_segment_has_only_ports() {
        let s = wap_push_segments(&[0x01, 0x06, 0x00], 9, &WapPushOptions::default()).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].short_message(), [0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x01, 0x06, 0x00]);
        assert_eq!(s[0].dcs, DataCodingScheme(0x04));
        // 133 octets still fit; 134 do not.
        assert_eq!(wap_push_segments(&[0; 133], 9, &WapPushOptions::default()).unwrap().len(), 1);
        assert_eq!(wap_push_segments(&[0; 134], 9, &WapPushOptions::default()).unwrap().len(), 2);
    }

    #[test]
    fn kannel_layout_for_two_segments() {
        let d: Vec<u8> = (0..200u8).collect();
        let s = wap_push_segments(&d, 0x2A, &WapPushOptions::default()).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].udh, [0x0B, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0x03, 0x2A, 0x02, 0x01]);
        assert_eq!(s[1].udh, [0x0B, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0x03, 0x2A, 0x02, 0x02]);
        assert_eq!(s[0].data.len(), 128);
        assert_eq!(s[0].short_message().len(), 140);
        assert_eq!([s[0].data.clone(), s[1].data.clone()].concat(), d);
    }

    #[test]
    fn sixteen_bit_reference() {
        let opts = WapPushOptions { concat: ConcatKind::Sixteen, dcs: DataCodingScheme::OCTETS_CLASS1, ..Default::default() };
        let s = wap_push_segments(&[7; 300], 0xBEEF, &opts).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[2].udh, [0x0C, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x08, 0x04, 0xBE, 0xEF, 0x03, 0x03]);
        assert_eq!(s[0].data.len(), 127);
        assert_eq!(s[0].dcs.0, 0xF5);
    }

    #[test]
    fn too_large() {
        assert!(wap_push_segments(&vec![0; 128 * 255], 1, &WapPushOptions::default()).is_ok());
        assert!(wap_push_segments(&vec![0; 128 * 255 + 1], 1, &WapPushOptions::default()).is_err());
    }
}
