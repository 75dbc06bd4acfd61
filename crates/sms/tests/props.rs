//! Property tests: encode → decode round trips for every TPDU type,
//! segment → reassemble for random datagrams in shuffled order with
//! duplicates, text splitting, and "never panics" on arbitrary bytes.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use ferry_sms::{
    Address, Body, ConcatKind, DataCodingScheme, Deliver, DeliverReport, EnhancedValidity, FailureCause, Fragment,
    InformationElement, NumberingPlan, ProtocolId, Reassembler, ReassemblyConfig, Status, StatusReport, Submit,
    SubmitReport, Timestamp, Tpdu, TypeOfNumber, UserData, UserDataHeader, ValidityPeriod, gsm7, split_text,
    split_udh, wap_push_segments,
};
use proptest::prelude::*;

fn gsm_char() -> impl Strategy<Value = char> {
    prop_oneof![
        8 => (0u8..0x80).prop_filter("not ESC", |&s| s != gsm7::ESCAPE).prop_map(|s| gsm7::decode(&[s]).chars().next().unwrap()),
        1 => prop::sample::select(vec!['€', '[', ']', '{', '}', '\\', '^', '~', '|', '\u{0C}']),
    ]
}

fn numeric_address() -> impl Strategy<Value = Address> {
    (0u8..8, 0u8..16, "[0-9*#abc]{0,20}").prop_filter_map("numeric", |(ton, npi, value)| {
        (ton != 5).then_some(Address { ton: TypeOfNumber(ton), npi: NumberingPlan(npi), value })
    })
}

fn address() -> impl Strategy<Value = Address> {
    prop_oneof![
        numeric_address(),
        (0u8..16, prop::collection::vec(gsm_char(), 0..11)).prop_map(|(npi, chars)| Address {
            ton: TypeOfNumber::ALPHANUMERIC,
            npi: NumberingPlan(npi),
            value: chars.into_iter().collect(),
        }),
    ]
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    (0u8..100, 0u8..100, 0u8..100, 0u8..100, 0u8..100, 0u8..100, -79i8..=79).prop_map(
        |(year, month, day, hour, minute, second, tz_quarter_hours)| Timestamp {
            year,
            month,
            day,
            hour,
            minute,
            second,
            tz_quarter_hours,
        },
    )
}

fn element() -> impl Strategy<Value = InformationElement<'static>> {
    prop_oneof![
        any::<(u8, u8, u8)>().prop_map(|(reference, total, seq)| InformationElement::Concat8 { reference, total, seq }),
        any::<(u16, u8, u8)>().prop_map(|(reference, total, seq)| InformationElement::Concat16 { reference, total, seq }),
        any::<(u8, u8)>().prop_map(|(dest, src)| InformationElement::Ports8 { dest, src }),
        any::<(u16, u16)>().prop_map(|(dest, src)| InformationElement::Ports16 { dest, src }),
        (any::<u8>().prop_filter("unknown IEI", |i| ![0, 4, 5, 8].contains(i)), prop::collection::vec(any::<u8>(), 0..8))
            .prop_map(|(iei, data)| InformationElement::Other { iei, data: Cow::Owned(data) }),
    ]
}

fn header() -> impl Strategy<Value = Option<UserDataHeader<'static>>> {
    prop::option::of(prop::collection::vec(element(), 0..4).prop_map(UserDataHeader::new))
}

/// User data that fits TP-UD for `dcs`.
fn user_data(dcs: DataCodingScheme) -> impl Strategy<Value = UserData<'static>> {
    header().prop_flat_map(move |header| {
        let hlen = header.as_ref().map_or(0, UserDataHeader::encoded_len);
        let body = if dcs.uses_septets() {
            let room = 160 - if header.is_some() { gsm7::header_septets(hlen) } else { 0 };
            prop::collection::vec(0u8..0x80, 0..=room).prop_map(Body::Septets).boxed()
        } else {
            prop::collection::vec(any::<u8>(), 0..=140 - hlen).prop_map(|v| Body::Octets(Cow::Owned(v))).boxed()
        };
        body.prop_map(move |body| UserData { header: header.clone(), body })
    })
}

fn dcs_and_ud() -> impl Strategy<Value = (DataCodingScheme, UserData<'static>)> {
    any::<u8>().prop_flat_map(|d| {
        let dcs = DataCodingScheme(d);
        user_data(dcs).prop_map(move |ud| (dcs, ud))
    })
}

fn validity() -> impl Strategy<Value = Option<ValidityPeriod>> {
    prop::option::of(prop_oneof![
        any::<u8>().prop_map(ValidityPeriod::Relative),
        timestamp().prop_map(ValidityPeriod::Absolute),
        any::<[u8; 7]>().prop_map(|b| ValidityPeriod::Enhanced(EnhancedValidity(b))),
    ])
}

fn deliver() -> impl Strategy<Value = Deliver<'static>> {
    (any::<[bool; 4]>(), address(), any::<u8>(), timestamp(), dcs_and_ud()).prop_map(|(f, originator, pid, timestamp, (dcs, user_data))| {
        Deliver {
            more_messages_to_send: f[0],
            loop_prevention: f[1],
            status_report_indication: f[2],
            reply_path: f[3],
            originator,
            protocol_id: ProtocolId(pid),
            dcs,
            timestamp,
            user_data,
        }
    })
}

fn submit() -> impl Strategy<Value = Submit<'static>> {
    (any::<[bool; 3]>(), any::<u8>(), address(), any::<u8>(), validity(), dcs_and_ud()).prop_map(
        |(f, mr, destination, pid, validity, (dcs, user_data))| Submit {
            reject_duplicates: f[0],
            status_report_request: f[1],
            reply_path: f[2],
            message_reference: mr,
            destination,
            protocol_id: ProtocolId(pid),
            dcs,
            validity,
            user_data,
        },
    )
}

type Tail = (Option<ProtocolId>, Option<DataCodingScheme>, Option<UserData<'static>>);

fn tail() -> impl Strategy<Value = Tail> {
    (prop::option::of(any::<u8>().prop_map(ProtocolId)), prop::option::of(any::<u8>()), any::<bool>()).prop_flat_map(
        |(pid, dcs, with_ud)| {
            let effective = DataCodingScheme(dcs.unwrap_or(0));
            let ud = if with_ud { user_data(effective).prop_map(Some).boxed() } else { Just(None).boxed() };
            ud.prop_map(move |ud| (pid, dcs.map(DataCodingScheme), ud))
        },
    )
}

fn status_report() -> impl Strategy<Value = StatusReport<'static>> {
    (any::<[bool; 3]>(), any::<u8>(), address(), timestamp(), timestamp(), any::<u8>(), tail()).prop_map(
        |(f, mr, recipient, sc_timestamp, discharge_time, st, (protocol_id, dcs, user_data))| StatusReport {
            more_messages_to_send: f[0],
            loop_prevention: f[1],
            qualifier_command: f[2],
            message_reference: mr,
            recipient,
            sc_timestamp,
            discharge_time,
            status: Status(st),
            protocol_id,
            dcs,
            user_data,
        },
    )
}

fn round_trip(t: &Tpdu<'_>, smsc: Option<&Address>) {
    let bytes = t.to_bytes_with_smsc(smsc).expect("encodes");
    let (s, back) = Tpdu::decode_with_smsc(&bytes).expect("decodes");
    assert_eq!(s.as_ref(), smsc);
    assert_eq!(&back, t);
    let bare = t.to_bytes().unwrap();
    assert_eq!(&Tpdu::decode(&bare).unwrap(), t);
    assert_eq!(&bytes[bytes.len() - bare.len()..], &bare[..]);
}

/// Decoding then re-encoding arbitrary input must give a value that
/// decodes to itself.
fn check_reencode(bytes: &[u8]) {
    if let Ok(t) = Tpdu::decode(bytes) {
        let again = t.to_bytes().expect("a decoded TPDU re-encodes");
        assert_eq!(Tpdu::decode(&again).unwrap(), t);
    }
    if let Ok((smsc, t)) = Tpdu::decode_with_smsc(bytes) {
        let again = t.to_bytes_with_smsc(smsc.as_ref()).expect("re-encodes");
        assert_eq!(Tpdu::decode_with_smsc(&again).unwrap(), (smsc, t));
    }
    for is_error in [false, true] {
        if let Ok(r) = DeliverReport::decode(bytes, is_error) {
            let mut v = Vec::new();
            r.encode(&mut v).unwrap();
            assert_eq!(DeliverReport::decode(&v, is_error).unwrap(), r);
        }
        if let Ok(r) = SubmitReport::decode(bytes, is_error) {
            let mut v = Vec::new();
            r.encode(&mut v).unwrap();
            assert_eq!(SubmitReport::decode(&v, is_error).unwrap(), r);
        }
    }
    if let Ok((h, _)) = split_udh(bytes) {
        let v = h.to_bytes().unwrap();
        assert_eq!(UserDataHeader::decode(&v, 0).unwrap().0, h);
    }
    let _ = gsm7::decode(bytes);
    let _ = Fragment::from_short_message(bytes, true);
}

proptest! {
    // 512 cases by default; PROPTEST_CASES raises it for a longer run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    })]

    #[test]
    fn deliver_round_trips(d in deliver(), smsc in prop::option::of(numeric_address())) {
        round_trip(&Tpdu::Deliver(d), smsc.as_ref());
    }

    #[test]
    fn submit_round_trips(s in submit(), smsc in prop::option::of(numeric_address())) {
        round_trip(&Tpdu::Submit(s), smsc.as_ref());
    }

    #[test]
    fn status_report_round_trips(s in status_report()) {
        round_trip(&Tpdu::StatusReport(s), None);
    }

    #[test]
    fn deliver_report_round_trips(fcs in prop::option::of(any::<u8>()), (protocol_id, dcs, user_data) in tail()) {
        let r = DeliverReport { failure_cause: fcs.map(FailureCause), protocol_id, dcs, user_data };
        let mut v = Vec::new();
        r.encode(&mut v).unwrap();
        prop_assert_eq!(DeliverReport::decode(&v, fcs.is_some()).unwrap(), r);
    }

    #[test]
    fn submit_report_round_trips(fcs in prop::option::of(any::<u8>()), ts in timestamp(), (protocol_id, dcs, user_data) in tail()) {
        let r = SubmitReport { failure_cause: fcs.map(FailureCause), timestamp: ts, protocol_id, dcs, user_data };
        let mut v = Vec::new();
        r.encode(&mut v).unwrap();
        prop_assert_eq!(SubmitReport::decode(&v, fcs.is_some()).unwrap(), r);
    }

    #[test]
    fn septet_packing_round_trips(septets in prop::collection::vec(0u8..0x80, 0..200), fill in 0usize..7) {
        let packed = gsm7::pack(&septets, fill);
        prop_assert_eq!(packed.len(), (fill + 7 * septets.len()).div_ceil(8));
        prop_assert_eq!(gsm7::unpack(&packed, fill, septets.len()).unwrap(), septets);
    }

    #[test]
    fn gsm_text_round_trips(chars in prop::collection::vec(gsm_char(), 0..100)) {
        let text: String = chars.into_iter().collect();
        let septets = gsm7::encode(&text).unwrap();
        prop_assert_eq!(Some(septets.len()), gsm7::septet_len(&text));
        prop_assert_eq!(gsm7::decode(&septets), text);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        check_reencode(&bytes);
    }

    #[test]
    fn mutated_valid_pdus_never_panic(d in deliver(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4), cut in any::<prop::sample::Index>()) {
        let mut bytes = Tpdu::Deliver(d).to_bytes_with_smsc(None).unwrap();
        for (i, v) in flips {
            let i = i.index(bytes.len());
            bytes[i] = v;
        }
        check_reencode(&bytes);
        let n = cut.index(bytes.len() + 1);
        check_reencode(&bytes[..n]);
        check_reencode(&bytes[1..]);
    }

    #[test]
    fn wap_push_segments_reassemble_shuffled_with_duplicates(
        datagram in prop::collection::vec(any::<u8>(), 0..3000),
        reference in any::<u16>(),
        wide in any::<bool>(),
        class1 in any::<bool>(),
        order in any::<prop::sample::Index>(),
        dups in prop::collection::vec(any::<prop::sample::Index>(), 0..5),
        concat_first in any::<bool>(),
    ) {
        let opts = ferry_sms::WapPushOptions {
            concat: if wide { ConcatKind::Sixteen } else { ConcatKind::Eight },
            dcs: if class1 { DataCodingScheme::OCTETS_CLASS1 } else { DataCodingScheme::OCTETS },
            ..Default::default()
        };
        let segs = wap_push_segments(&datagram, reference, &opts).unwrap();
        let mut bodies: Vec<Vec<u8>> = segs.iter().map(|s| {
            prop_assert!(s.short_message().len() <= 140);
            let mut udh = split_udh(&s.udh).unwrap().0;
            if concat_first {
                // Real phones also send concat before ports: both orders must work.
                udh.elements.reverse();
            }
            let mut b = udh.to_bytes().unwrap();
            b.extend_from_slice(&s.data);
            Ok(b)
        }).collect::<Result<_, TestCaseError>>()?;
        for d in &dups {
            let b = bodies[d.index(bodies.len())].clone();
            bodies.push(b);
        }
        // A deterministic shuffle driven by the generated index.
        let mut seed = order.index(usize::MAX / 2) as u64 | 1;
        for i in (1..bodies.len()).rev() {
            seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
            bodies.swap(i, (seed % (i as u64 + 1)) as usize);
        }
        let mut r = Reassembler::<&str>::new(ReassemblyConfig::default());
        let now = Instant::now();
        let mut done = Vec::new();
        for b in &bodies {
            if let Some(m) = r.handle_short_message(now, "+4712345678", b, true).unwrap() {
                done.push(m);
            }
        }
        if segs.len() == 1 {
            // Unsegmented: every copy is a message of its own.
            prop_assert_eq!(done.len(), bodies.len());
        } else {
            prop_assert_eq!(done.len(), 1);
        }
        prop_assert_eq!(&done[0].payload, &datagram);
        prop_assert_eq!(done[0].ports, Some(ferry_sms::Ports::WAP_PUSH));
        prop_assert_eq!(r.pending_sets(), 0);
        prop_assert_eq!(r.pending_bytes(), 0);
        prop_assert!(r.handle_timeout(now + Duration::from_secs(3600)).is_empty());
    }

    #[test]
    fn text_splits_and_joins(chars in prop::collection::vec(prop_oneof![
        6 => gsm_char(),
        1 => prop::sample::select(vec!['中', 'я', '😀', '🇳', 'ŝ']),
    ], 0..700), wide in any::<bool>()) {
        let text: String = chars.into_iter().collect();
        let concat = if wide { ConcatKind::Sixteen } else { ConcatKind::Eight };
        let segs = split_text(&text, 0x4242, concat).unwrap();
        let mut joined = String::new();
        for (i, s) in segs.iter().enumerate() {
            // Every segment fits one SMS-SUBMIT.
            let sub = Submit::new(Address::international("1"), s.dcs, s.user_data.clone());
            let bytes = Tpdu::Submit(sub).to_bytes().unwrap();
            let Tpdu::Submit(back) = Tpdu::decode(&bytes).unwrap() else { unreachable!() };
            let piece = back.text().unwrap();
            prop_assert!(!piece.contains('\u{FFFD}'), "no surrogate split");
            if let Some(next) = segs.get(i + 1) {
                // Greedy: the next segment's first character would not have fitted.
                let first = next.user_data.text(next.dcs).unwrap().chars().next().unwrap();
                let mut longer = s.user_data.clone();
                match &mut longer.body {
                    Body::Septets(v) => v.extend(gsm7::encode(&first.to_string()).unwrap()),
                    Body::Octets(o) => o.to_mut().extend(ferry_sms::text::utf16be(&first.to_string())),
                }
                let sub = Submit::new(Address::international("1"), s.dcs, longer);
                prop_assert!(Tpdu::Submit(sub).to_bytes().is_err());
            }
            joined.push_str(&piece);
        }
        prop_assert_eq!(joined, text);
    }

    #[test]
    fn reassembler_limits_hold_under_arbitrary_input(
        msgs in prop::collection::vec((0u8..4, prop::collection::vec(any::<u8>(), 0..40), 0u64..100), 0..200),
    ) {
        let cfg = ReassemblyConfig { timeout: Duration::from_millis(500), max_pending_sets: 8, max_pending_bytes: 256 };
        let mut r = Reassembler::<u8>::new(cfg);
        let t0 = Instant::now();
        let mut now = t0;
        for (key, body, advance) in msgs {
            now += Duration::from_millis(advance);
            let _ = r.handle_short_message(now, key, &body, true);
            prop_assert!(r.pending_sets() <= 8);
            if let Some(t) = r.poll_timeout() && t <= now {
                r.handle_timeout(now);
            }
            prop_assert!(r.pending_bytes() <= 256);
        }
        r.handle_timeout(now + Duration::from_secs(1));
        prop_assert_eq!((r.pending_sets(), r.pending_bytes()), (0, 0));
    }
}
