//! WAP Push datagrams as submit_sm PDUs (pure functions).
//!
//! Two ways to carry the WDP ports and the concatenation:
//!
//! * [`SegmentMode::Udh`] (the default, as Kannel): a user data header at
//!   the start of `short_message` (`06 05 04 0B84 23F0`, plus `00 03 ref
//!   total seq` when concatenated), esm_class UDHI (0x40) with Kannel's
//!   store-and-forward mode bits (0x43 in all), data_coding 0x04, and
//!   `more_messages_to_send` = 1 on every segment but the last.
//! * [`SegmentMode::Tlv`]: no header in `short_message`; the
//!   `source_port`/`destination_port` TLVs (§5.3.2.20–21) and, when
//!   concatenated, `sar_msg_ref_num`, `sar_total_segments`,
//!   `sar_segment_seqnum` (§5.3.2.22–24), for SMSCs that build the header
//!   themselves.

use ferry_smpp::{
    Address, Body, DataCoding, EsmClass, MessagingMode, Npi, OwnedPdu, Pdu, RegisteredDelivery,
    SmppTime, SubmitSm, Tlv, TlvList, Ton,
};
use ferry_sms::{Segment, WapPushOptions, wap_push_segments};

use crate::Error;

/// How segments carry ports and concatenation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SegmentMode {
    /// A user data header in `short_message` (Kannel's way).
    #[default]
    Udh,
    /// SAR and port TLVs.
    Tlv,
}

/// Options for [`crate::Esme::submit_wap_push`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushOptions {
    /// Originator TON (Kannel: 0).
    pub source_ton: Ton,
    /// Originator NPI (Kannel: 1).
    pub source_npi: Npi,
    /// Originator address (Kannel's `global-sender`).
    pub source_addr: String,
    /// Destination TON for a number without `+` (one with `+` is sent
    /// without it as international, ISDN, as Kannel does).
    pub dest_ton: Ton,
    /// Destination NPI for a number without `+`.
    pub dest_npi: Npi,
    /// UDH or TLVs.
    pub mode: SegmentMode,
    /// Segmentation (ports, 8- or 16-bit reference, data coding).
    pub segments: WapPushOptions,
    /// Receipt request for every segment.
    pub registered_delivery: RegisteredDelivery,
    /// Validity period (`None`: the SMSC's default).
    pub validity_period: Option<SmppTime>,
    /// The application's reference, carried back in the segments'
    /// receipts.
    pub reference: Option<String>,
}

impl Default for PushOptions {
    fn default() -> Self {
        PushOptions {
            source_ton: Ton::UNKNOWN,
            source_npi: Npi::ISDN,
            source_addr: String::new(),
            dest_ton: Ton::INTERNATIONAL,
            dest_npi: Npi::ISDN,
            mode: SegmentMode::Udh,
            segments: WapPushOptions::default(),
            registered_delivery: RegisteredDelivery::NONE,
            validity_period: None,
            reference: None,
        }
    }
}

/// The submit_sm PDUs (sequence number 0: the session numbers them) for
/// `datagram` to `destination`, with concatenation `reference`.
pub fn wap_push_submits(
    destination: &str,
    datagram: &[u8],
    reference: u16,
    opts: &PushOptions,
) -> Result<Vec<OwnedPdu>, Error> {
    let segments = wap_push_segments(datagram, reference, &opts.segments)?;
    let (dest_ton, dest_npi, dest) = match destination.strip_prefix('+') {
        Some(d) => (Ton::INTERNATIONAL, Npi::ISDN, d),
        None => (opts.dest_ton, opts.dest_npi, destination),
    };
    let n = segments.len();
    segments
        .iter()
        .enumerate()
        .map(|(i, seg)| {
            let last = i + 1 == n;
            submit_for(
                seg,
                last,
                reference,
                opts,
                Address::new(dest_ton, dest_npi, dest.as_bytes()),
            )
        })
        .collect()
}

fn submit_for(
    seg: &Segment,
    last: bool,
    reference: u16,
    opts: &PushOptions,
    destination: Address<'_>,
) -> Result<OwnedPdu, Error> {
    let mode_bits = EsmClass::DEFAULT.with_messaging_mode(MessagingMode::StoreAndForward);
    let mut tlvs = TlvList::new();
    let short_message;
    let esm_class;
    match opts.mode {
        SegmentMode::Udh => {
            short_message = seg.short_message();
            esm_class = mode_bits.with_udhi(true);
        }
        SegmentMode::Tlv => {
            short_message = seg.data.clone();
            esm_class = mode_bits;
            tlvs.push(Tlv::new_source_port(opts.segments.ports.src));
            tlvs.push(Tlv::new_destination_port(opts.segments.ports.dest));
            if seg.total > 1 {
                tlvs.push(Tlv::new_sar_msg_ref_num(reference));
                tlvs.push(Tlv::new_sar_total_segments(seg.total));
                tlvs.push(Tlv::new_sar_segment_seqnum(seg.seq));
            }
        }
    }
    if !last {
        tlvs.push(Tlv::new_more_messages_to_send(1));
    }
    let sm = SubmitSm {
        source: Address::new(
            opts.source_ton,
            opts.source_npi,
            opts.source_addr.as_bytes(),
        ),
        destination,
        esm_class,
        validity_period: opts.validity_period,
        registered_delivery: opts.registered_delivery,
        data_coding: DataCoding(seg.dcs.0),
        short_message: &short_message,
        tlvs,
        ..Default::default()
    };
    Ok(Pdu::new(0, Body::SubmitSm(sm)).to_owned_pdu()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_smpp::TlvTag;

    fn sm(p: &OwnedPdu) -> SubmitSm<'_> {
        match p.pdu().body {
            Body::SubmitSm(s) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn udh_like_kannel() {
        let d: Vec<u8> = (0..200u8).collect();
        let opts = PushOptions {
            source_addr: "12345".into(),
            ..Default::default()
        };
        let pdus = wap_push_submits("+358401234567", &d, 0x2A, &opts).unwrap();
        assert_eq!(pdus.len(), 2);
        let a = sm(&pdus[0]);
        assert_eq!(a.esm_class, EsmClass(0x43));
        assert_eq!(a.data_coding, DataCoding(0x04));
        assert_eq!(a.destination, Address::new(Ton(1), Npi(1), b"358401234567"));
        assert_eq!(a.source, Address::new(Ton(0), Npi(1), b"12345"));
        assert_eq!(
            &a.short_message[..12],
            [
                0x0B, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0x03, 0x2A, 0x02, 0x01
            ]
        );
        assert_eq!(a.short_message.len(), 140);
        assert_eq!(a.tlvs.more_messages_to_send(), Some(1));
        let b = sm(&pdus[1]);
        assert_eq!(
            &b.short_message[..12],
            [
                0x0B, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0x03, 0x2A, 0x02, 0x02
            ]
        );
        assert!(b.tlvs.is_empty());
        // The whole first PDU, byte for byte: header (seq 0), empty
        // service_type, addresses, 0x43, pid 0, priority 0, no times,
        // registered_delivery 0, replace 0, dcs 4, default msg 0, sm_length
        // 140, the 140 octets, then TLV 0426 len 1 value 1.
        let bytes = pdus[0].as_bytes();
        let body_start = 16;
        assert_eq!(&bytes[4..16], [0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0]);
        let mut expect = vec![0x00, 0x00, 0x01];
        expect.extend_from_slice(b"12345\0");
        expect.extend_from_slice(&[0x01, 0x01]);
        expect.extend_from_slice(b"358401234567\0");
        expect.extend_from_slice(&[0x43, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 140]);
        assert_eq!(&bytes[body_start..body_start + expect.len()], &expect[..]);
        assert_eq!(&bytes[bytes.len() - 5..], [0x04, 0x26, 0x00, 0x01, 0x01]);
    }

    #[test]
    fn single_segment_has_no_more_messages() {
        let pdus = wap_push_submits("0401234567", &[1, 2, 3], 7, &PushOptions::default()).unwrap();
        assert_eq!(pdus.len(), 1);
        let a = sm(&pdus[0]);
        assert_eq!(
            a.short_message,
            [0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 1, 2, 3]
        );
        assert_eq!(a.destination.addr, b"0401234567");
        assert!(a.tlvs.is_empty());
    }

    #[test]
    fn sar_tlvs() {
        let d = vec![9u8; 300];
        let opts = PushOptions {
            mode: SegmentMode::Tlv,
            ..Default::default()
        };
        let pdus = wap_push_submits("+1555", &d, 0x1234, &opts).unwrap();
        assert_eq!(pdus.len(), 3);
        for (i, p) in pdus.iter().enumerate() {
            let s = sm(p);
            assert!(!s.esm_class.udhi());
            assert_eq!(s.tlvs.source_port(), Some(9200));
            assert_eq!(s.tlvs.destination_port(), Some(2948));
            assert_eq!(s.tlvs.sar_msg_ref_num(), Some(0x1234));
            assert_eq!(s.tlvs.sar_total_segments(), Some(3));
            assert_eq!(s.tlvs.sar_segment_seqnum(), Some(i as u8 + 1));
            assert_eq!(s.tlvs.get(TlvTag::MORE_MESSAGES_TO_SEND).is_some(), i < 2);
            assert_eq!(s.short_message, &d[i * 128..((i + 1) * 128).min(300)]);
        }
        // One segment: ports only.
        let pdus = wap_push_submits("+1555", &[1], 1, &opts).unwrap();
        let s = sm(&pdus[0]);
        assert_eq!(s.tlvs.len(), 2);
        assert_eq!(s.short_message, [1]);
    }

    #[test]
    fn too_big_is_an_error() {
        let e =
            wap_push_submits("+1", &vec![0; 128 * 256], 1, &PushOptions::default()).unwrap_err();
        assert!(matches!(e, Error::Segmentation(_)), "{e:?}");
    }
}
