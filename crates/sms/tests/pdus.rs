//! Byte tables: known-good PDUs (spec examples and widely published ones)
//! against their decoded values, both directions.

use std::borrow::Cow;

use ferry_sms::{
    Address, Body, DataCodingScheme, DecodeError, Deliver, DeliverReport, EncodeError, FailureCause,
    InformationElement, NumberingPlan, ProtocolId, Status, StatusReport, Submit, SubmitReport, Timestamp, Tpdu,
    TypeOfNumber, UserData, UserDataHeader, ValidityPeriod, decode_hex, encode_hex,
};

fn hex(s: &str) -> Vec<u8> {
    decode_hex(s).unwrap()
}

/// Encodes, compares with the hex, decodes back and compares with the value.
fn both_ways(tpdu: &Tpdu<'_>, smsc: Option<&Address>, expected_hex: &str) {
    let bytes = tpdu.to_bytes_with_smsc(smsc).unwrap();
    assert_eq!(encode_hex(&bytes), expected_hex.replace(' ', ""));
    let (s, t) = Tpdu::decode_with_smsc(&bytes).unwrap();
    assert_eq!(s.as_ref(), smsc);
    assert_eq!(&t, tpdu);
}

#[test]
fn classic_hellohello_submit() {
    // The most published SMS-SUBMIT: no SMSC, TP-MR 0, to +46708251358,
    // relative validity 0xAA (4 days), GSM 7-bit "hellohello".
    let mut s = Submit::new(Address::international("46708251358"), DataCodingScheme::GSM7, UserData::gsm7("hellohello").unwrap());
    s.validity = Some(ValidityPeriod::Relative(0xAA));
    both_ways(&Tpdu::Submit(s), None, "0011000B916407281553F80000AA0AE8329BFD4697D9EC37");
    assert_eq!(ferry_sms::time::relative_duration(0xAA).as_secs(), 4 * 86400);
    let (_, Tpdu::Submit(d)) = Tpdu::from_hex_with_smsc("0011000B916407281553F80000AA0AE8329BFD4697D9EC37").unwrap() else {
        panic!()
    };
    assert_eq!(d.text().as_deref(), Some("hellohello"));
}

#[test]
fn classic_hellohello_deliver() {
    // The widely published SMS-DELIVER from SMSC +27381000015, originator
    // 27838890001 (TON 4 subscriber, NPI 8 national), 1999-03-29 15:16:59 +02:00.
    let hex_pdu = "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37";
    let (smsc, t) = Tpdu::from_hex_with_smsc(hex_pdu).unwrap();
    assert_eq!(smsc, Some(Address::international("27381000015")));
    let Tpdu::Deliver(d) = &t else { panic!() };
    assert_eq!(d.originator, Address { ton: TypeOfNumber::SUBSCRIBER, npi: NumberingPlan::NATIONAL, value: "27838890001".into() });
    assert_eq!(d.timestamp, Timestamp { year: 99, month: 3, day: 29, hour: 15, minute: 16, second: 59, tz_quarter_hours: 8 });
    assert!(!d.more_messages_to_send, "TP-MMS bit set: no more messages");
    assert_eq!(d.text().as_deref(), Some("hellohello"));
    both_ways(&t, smsc.as_ref(), hex_pdu);
}

#[test]
fn gsm7_with_udh_and_fill_bit() {
    // 8-bit concat UDH (6 octets = 48 bits) + 1 fill bit, then "Hi":
    // TP-UDL = 7 header septets + 2 = 9; 'H' << 1 = 0x90, 'i' = 0x69.
    let ud = UserData {
        header: Some(UserDataHeader::new(vec![InformationElement::Concat8 { reference: 0xCC, total: 2, seq: 1 }])),
        body: Body::Septets(ferry_sms::gsm7::encode("Hi").unwrap()),
    };
    let s = Submit::new(Address::international("1234"), DataCodingScheme::GSM7, ud);
    both_ways(&Tpdu::Submit(s), None, "00 41 00 04912143 00 00 09 050003CC0201 9069");
}

#[test]
fn gsm7_with_seven_octet_udh_needs_no_fill() {
    // 16-bit concat UDH: 7 octets = 56 bits = 8 septets exactly; "A" follows at once.
    let ud = UserData {
        header: Some(UserDataHeader::new(vec![InformationElement::Concat16 { reference: 0x0102, total: 3, seq: 2 }])),
        body: Body::Septets(vec![0x41]),
    };
    let s = Submit::new(Address::international("1234"), DataCodingScheme::GSM7, ud);
    both_ways(&Tpdu::Submit(s), None, "00 41 00 04912143 00 00 09 06080401020302 41");
}

#[test]
fn extension_characters_take_two_septets() {
    let s = Submit::new(Address::international("1234"), DataCodingScheme::GSM7, UserData::gsm7("€").unwrap());
    // ESC 0x65 → 1B 65 packed: 0x1B | 0x65 << 7 → 9B 32; UDL 2 septets.
    both_ways(&Tpdu::Submit(s), None, "00 01 00 04912143 00 00 02 9B32");
}

#[test]
fn ucs2_submit() {
    // "你好" = U+4F60 U+597D, DCS 0x08, UDL 4 octets.
    let s = Submit::new(Address::international("8613800138000"), DataCodingScheme::UCS2, UserData::ucs2("你好"));
    both_ways(&Tpdu::Submit(s.clone()), None, "00 01 00 0D91683108108300F0 00 08 04 4F60597D");
    assert_eq!(s.text().as_deref(), Some("你好"));
}

#[test]
fn alphanumeric_originator_deliver() {
    // Alphanumeric sender "Design@Home" (TON 5): 20 semi-octets, D0, packed septets.
    let d = Deliver {
        more_messages_to_send: false,
        loop_prevention: false,
        status_report_indication: false,
        reply_path: false,
        originator: Address::alphanumeric("Design@Home"),
        protocol_id: ProtocolId::DEFAULT,
        dcs: DataCodingScheme::GSM7,
        timestamp: Timestamp { year: 26, month: 11, day: 22, hour: 3, minute: 4, second: 5, tz_quarter_hours: -20 },
        user_data: UserData::gsm7("Hi").unwrap(),
    };
    both_ways(&Tpdu::Deliver(d), None, "00 04 14D0C4F23C7D760390EF7619 00 00 6211223040500A 02C834");
}

#[test]
fn submit_with_absolute_and_enhanced_validity() {
    let ts = Timestamp { year: 26, month: 1, day: 2, hour: 3, minute: 4, second: 5, tz_quarter_hours: 4 };
    let mut s = Submit::new(Address::unknown("123"), DataCodingScheme::OCTETS, UserData::octets(&[0xAB]));
    s.validity = Some(ValidityPeriod::Absolute(ts));
    s.message_reference = 7;
    s.status_report_request = true;
    // first octet: MTI 01 | VPF 11 << 3 | SRR << 5 = 0x39.
    both_ways(&Tpdu::Submit(s.clone()), None, "00 39 07 038121F3 00 04 62102030405040 01AB");
    s.validity = Some(ValidityPeriod::Enhanced(ferry_sms::EnhancedValidity([0x42, 0x3C, 0, 0, 0, 0, 0])));
    both_ways(&Tpdu::Submit(s.clone()), None, "00 29 07 038121F3 00 04 423C0000000000 01AB");
    let ValidityPeriod::Enhanced(e) = s.validity.unwrap() else { panic!() };
    assert_eq!(e.decode(), ferry_sms::EnhancedKind::Seconds(60));
    assert!(e.single_shot());
}

#[test]
fn status_report_without_and_with_tail() {
    let t1 = Timestamp { year: 26, month: 11, day: 22, hour: 10, minute: 0, second: 0, tz_quarter_hours: 0 };
    let t2 = Timestamp { second: 30, ..t1 };
    let mut r = StatusReport {
        more_messages_to_send: false,
        loop_prevention: false,
        qualifier_command: false,
        message_reference: 0x2A,
        recipient: Address::international("4712345678"),
        sc_timestamp: t1,
        discharge_time: t2,
        status: Status::RECEIVED,
        protocol_id: None,
        dcs: None,
        user_data: None,
    };
    both_ways(&Tpdu::StatusReport(r.clone()), None, "00 06 2A 0A917421436587 62112201000000 62112201000300 00");
    r.status = Status::VALIDITY_PERIOD_EXPIRED;
    r.protocol_id = Some(ProtocolId::DEFAULT);
    r.user_data = Some(UserData::gsm7("ok").unwrap());
    both_ways(&Tpdu::StatusReport(r), None, "00 06 2A 0A917421436587 62112201000000 62112201000300 46 05 00 02EF35");
    assert!(Status(0x21).is_pending());
    assert!(Status::RECEIVED.is_completed());
    assert_eq!(format!("{:?}", Status(0x46)), "Status::VALIDITY_PERIOD_EXPIRED");
    assert_eq!(format!("{:?}", Status(0x7A)), "Status(0x7a)");
}

#[test]
fn reports() {
    let ack = DeliverReport { failure_cause: None, protocol_id: None, dcs: None, user_data: None };
    let mut v = Vec::new();
    ack.encode(&mut v).unwrap();
    assert_eq!(v, [0x00, 0x00]);
    assert_eq!(DeliverReport::decode(&v, false).unwrap(), ack);
    let err = DeliverReport { failure_cause: Some(FailureCause::MEMORY_CAPACITY_EXCEEDED), ..ack };
    let mut v = Vec::new();
    err.encode(&mut v).unwrap();
    assert_eq!(v, [0x00, 0xD3, 0x00]);
    assert_eq!(DeliverReport::decode(&v, true).unwrap(), err);

    let ts = Timestamp { year: 26, month: 11, day: 22, hour: 10, minute: 0, second: 0, tz_quarter_hours: 0 };
    let sr = SubmitReport {
        failure_cause: None,
        timestamp: ts,
        protocol_id: Some(ProtocolId::DEFAULT),
        dcs: Some(DataCodingScheme::OCTETS),
        user_data: Some(UserData::octets(b"\x01")),
    };
    let mut v = Vec::new();
    sr.encode(&mut v).unwrap();
    assert_eq!(encode_hex(&v), "01076211220100000000040101");
    assert_eq!(SubmitReport::decode(&v, false).unwrap(), sr);
    // A report handed to the wrong decoder.
    assert!(matches!(SubmitReport::decode(&[0x00, 0x00], false), Err(DecodeError::UnsupportedMessageType { .. })));
}

#[test]
fn decode_errors_carry_offset_and_field() {
    assert_eq!(Tpdu::decode(&hex("11000B91")), Err(DecodeError::Truncated { offset: 4, field: "TP-DA" }));
    assert_eq!(Tpdu::decode(&[]), Err(DecodeError::Truncated { offset: 0, field: "first octet" }));
    assert_eq!(Tpdu::decode(&[0x03]), Err(DecodeError::UnsupportedMessageType { offset: 0, mti: 3 }));
    // With the SMSC prefix, offsets count from the SMSC length octet.
    assert_eq!(Tpdu::decode_with_smsc(&[0x00, 0x03]), Err(DecodeError::UnsupportedMessageType { offset: 1, mti: 3 }));
    // UDL claims more than is there.
    assert_eq!(
        Tpdu::decode(&hex("01 00 04912143 00 00 0A E8")),
        Err(DecodeError::Truncated { offset: 9, field: "TP-UD" })
    );
    // Trailing octets.
    assert_eq!(
        Tpdu::decode_with_smsc(&hex("0011000B916407281553F80000AA0AE8329BFD4697D9EC3700")),
        Err(DecodeError::TrailingBytes { offset: 24, count: 1 })
    );
    // Non-BCD timestamp digit.
    let mut bad = hex("07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37");
    bad[20] = 0xA9;
    assert!(matches!(Tpdu::decode_with_smsc(&bad), Err(DecodeError::Invalid { offset: 20, field: "TP-SCTS", .. })));
    // 8-bit TP-UDL above 140.
    assert!(matches!(
        Tpdu::decode(&hex("01 00 04912143 00 04 8D")),
        Err(DecodeError::Invalid { field: "TP-UDL", .. })
    ));
}

#[test]
fn encode_errors() {
    let s = Submit::new(Address::international("12"), DataCodingScheme::OCTETS, UserData::gsm7("x").unwrap());
    assert_eq!(Tpdu::Submit(s).to_bytes(), Err(EncodeError::BodyMismatch { dcs: 0x04, septets_expected: false }));
    let s = Submit::new(Address::international("12+"), DataCodingScheme::GSM7, UserData::gsm7("x").unwrap());
    assert!(matches!(Tpdu::Submit(s).to_bytes(), Err(EncodeError::InvalidCharacter { ch: '+', .. })));
    let big = vec![0u8; 141];
    let s = Submit::new(Address::international("12"), DataCodingScheme::OCTETS, UserData::octets(&big));
    assert!(matches!(Tpdu::Submit(s).to_bytes(), Err(EncodeError::TooLong { .. })));
    assert_eq!(UserData::gsm7("中"), Err(EncodeError::InvalidCharacter { field: "TP-UD", ch: '中' }));
}

#[test]
fn eight_bit_payload_is_borrowed() {
    let bytes = hex("41 00 04912143 00 04 08 06050400000000 FF");
    let Tpdu::Submit(s) = Tpdu::decode(&bytes).unwrap() else { panic!() };
    let Body::Octets(Cow::Borrowed(b)) = s.user_data.body else { panic!("not borrowed") };
    assert!(std::ptr::eq(b.as_ptr(), bytes[bytes.len() - 1..].as_ptr()));
    assert_eq!(s.user_data.header.unwrap().elements, [InformationElement::Ports16 { dest: 0, src: 0 }]);
}
