//! Byte tables of what real peers send, decoded to the expected values.
//!
//! Kannel 1.4.5 values are those of /work/shared/PEERS.md (bind_transceiver
//! with interface_version 0x34; submit_sm with esm_class 0x43, data_coding
//! 0x04, absolute validity `YYMMDDhhmmss000+`, TLV 0x0426 on all but the last
//! segment, UDH inside short_message). Names, numbers and the sequence
//! numbers are this test's choice.
//!
//! smpplib 2.2.4 tables follow its `command.py`: every mandatory integer it
//! was not given is written as 0, every string as a lone NUL, the bind's
//! interface_version forced to 0x34, and its sequence generator starts at 1
//! and increments before use (first PDU = 2). They equal what
//! `smpplib.smpp.make_pdu(...).generate()` printed for the same arguments.

use ferry_smpp::*;

fn hex(s: &str) -> Vec<u8> {
    let clean: String = s.split_whitespace().collect();
    ::hex::decode(clean).expect("test hex")
}

#[test]
fn kannel_bind_transceiver() {
    // system_id "ferry", password "secret", system-type "", interface 0x34,
    // bind address ton/npi 0/0, address_range "".
    // 16 + 6 + 7 + 1 + 3 + 1 = 34 = 0x22 octets.
    let bytes = hex("00000022 00000009 00000000 00000001
                     6665727279 00  736563726574 00  00  34 00 00 00");
    let pdu = Pdu::decode(&bytes).unwrap();
    assert_eq!(pdu.sequence_number, 1);
    let Body::BindTransceiver(b) = &pdu.body else {
        panic!("{pdu:?}")
    };
    assert_eq!(b.system_id, b"ferry");
    assert_eq!(b.password, b"secret");
    assert_eq!(b.system_type, b"");
    assert_eq!(b.interface_version, 0x34);
    assert_eq!((b.addr_ton, b.addr_npi), (Ton::UNKNOWN, Npi::UNKNOWN));
    assert_eq!(pdu.to_bytes().unwrap(), bytes);
}

/// Segment `seq` of 2 of a concatenated WAP push as Kannel submits it.
fn kannel_segment(seq: u8) -> Vec<u8> {
    let mut b = Vec::new();
    // service_type ""
    b.push(0);
    // source: global-sender "12345", ton 0 npi 1
    b.extend_from_slice(&hex("00 01 3132333435 00"));
    // destination "447700900123" (no '+'), ton 1 npi 1
    b.extend_from_slice(&hex("01 01 343437373030393030313233 00"));
    // esm_class 0x43, protocol_id 0, priority_flag 0
    b.extend_from_slice(&hex("43 00 00"));
    // schedule_delivery_time ""
    b.push(0);
    // validity_period "240102030405000+" (absolute, UTC)
    b.extend_from_slice(b"240102030405000+\0");
    // registered_delivery 0, replace_if_present 0, data_coding 4, default id 0
    b.extend_from_slice(&hex("00 00 04 00"));
    // short_message: UDH 0B 05 04 0B84 23F0 00 03 ref=2a total=02 seq, then data
    let mut sm = hex("0b 05 04 0b84 23f0 00 03 2a 02");
    sm.push(seq);
    sm.extend_from_slice(if seq == 1 {
        &[0x06, 0x26, 0xAA, 0xBB][..]
    } else {
        &[0xCC][..]
    });
    b.push(sm.len() as u8);
    b.extend_from_slice(&sm);
    if seq == 1 {
        // more_messages_to_send = 1
        b.extend_from_slice(&hex("0426 0001 01"));
    }
    let mut pdu = Vec::new();
    pdu.extend_from_slice(&((16 + b.len()) as u32).to_be_bytes());
    pdu.extend_from_slice(&hex("00000004 00000000"));
    pdu.extend_from_slice(&(1 + u32::from(seq)).to_be_bytes());
    pdu.extend_from_slice(&b);
    pdu
}

#[test]
fn kannel_submit_sm_segments() {
    for seq in 1..=2u8 {
        let bytes = kannel_segment(seq);
        let pdu = Pdu::decode(&bytes).unwrap();
        let Body::SubmitSm(s) = &pdu.body else {
            panic!("{pdu:?}")
        };
        assert_eq!(s.service_type, b"");
        assert_eq!(s.source, Address::new(Ton(0), Npi::ISDN, b"12345"));
        assert_eq!(
            s.destination,
            Address::new(Ton::INTERNATIONAL, Npi::ISDN, b"447700900123")
        );
        assert_eq!(s.esm_class, EsmClass(0x43));
        assert!(s.esm_class.udhi());
        assert_eq!(s.esm_class.messaging_mode(), MessagingMode::StoreAndForward);
        assert_eq!(s.esm_class.message_type(), MessageType::Default);
        assert_eq!(s.data_coding, DataCoding::OCTET_UNSPECIFIED);
        assert!(s.data_coding.is_binary());
        assert_eq!(s.schedule_delivery_time, None);
        let Some(SmppTime::Absolute(v)) = s.validity_period else {
            panic!()
        };
        assert_eq!(
            (v.year, v.month, v.day, v.hour, v.minute, v.second),
            (24, 1, 2, 3, 4, 5)
        );
        assert_eq!((v.tenths, v.utc_offset_quarters), (0, 0));
        assert_eq!(s.registered_delivery, RegisteredDelivery::NONE);
        assert_eq!(
            &s.short_message[..11],
            &hex("0b 05 04 0b84 23f0 00 03 2a 02")[..]
        );
        assert_eq!(s.short_message[11], seq);
        if seq == 1 {
            assert_eq!(s.tlvs.more_messages_to_send(), Some(1));
            assert_eq!(s.tlvs.len(), 1);
        } else {
            assert_eq!(s.tlvs.more_messages_to_send(), None);
            assert!(s.tlvs.is_empty());
        }
        // Canonical re-encoding gives the same bytes.
        assert_eq!(pdu.to_bytes().unwrap(), bytes);
    }
}

#[test]
fn smpplib_bind_transceiver() {
    // client.bind_transceiver(system_id='ferry', password='secret')
    let bytes = hex("00000022 00000009 00000000 00000002
                     6665727279 00 736563726574 00 00 34 00 00 00");
    let pdu = Pdu::decode(&bytes).unwrap();
    assert_eq!(pdu.sequence_number, 2);
    assert_eq!(
        pdu.body,
        Body::BindTransceiver(Bind {
            system_id: b"ferry",
            password: b"secret",
            system_type: b"",
            interface_version: 0x34,
            addr_ton: Ton(0),
            addr_npi: Npi(0),
            address_range: b"",
        })
    );
    assert_eq!(pdu.to_bytes().unwrap(), bytes);
}

#[test]
fn smpplib_submit_sm() {
    // client.send_message(source_addr_ton=1, source_addr_npi=1,
    //   source_addr='12345', dest_addr_ton=1, dest_addr_npi=1,
    //   destination_addr='447700900123', short_message=b'Hello',
    //   data_coding=0, esm_class=0, registered_delivery=True)
    let bytes = hex("00000037 00000004 00000000 00000003
                     00 01 01 3132333435 00 01 01 343437373030393030313233 00
                     00 00 00 00 00 01 00 00 00 05 48656c6c6f");
    let pdu = Pdu::decode(&bytes).unwrap();
    assert_eq!(pdu.sequence_number, 3);
    let expected = SubmitSm {
        source: Address::new(Ton::INTERNATIONAL, Npi::ISDN, b"12345"),
        destination: Address::new(Ton::INTERNATIONAL, Npi::ISDN, b"447700900123"),
        registered_delivery: RegisteredDelivery::RECEIPT_ALWAYS,
        short_message: b"Hello",
        ..Default::default()
    };
    assert_eq!(pdu.body, Body::SubmitSm(expected));
    assert_eq!(pdu.to_bytes().unwrap(), bytes);
}

#[test]
fn smpplib_enquire_link() {
    let bytes = hex("00000010 00000015 00000000 00000004");
    let pdu = Pdu::decode(&bytes).unwrap();
    assert_eq!(pdu, Pdu::new(4, Body::EnquireLink));
}
