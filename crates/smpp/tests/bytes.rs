//! Value ↔ exact bytes for every PDU type, the error → command_status
//! mapping, and the frame splitter.

use ferry_smpp::*;

fn hex(s: &str) -> Vec<u8> {
    let clean: String = s.split_whitespace().collect();
    ::hex::decode(clean).expect("test hex")
}

#[track_caller]
fn check(pdu: Pdu<'_>, table: &str) {
    let bytes = hex(table);
    assert_eq!(
        ::hex::encode(pdu.to_bytes().unwrap()),
        ::hex::encode(&bytes),
        "encode {pdu:?}"
    );
    assert_eq!(Pdu::decode(&bytes).unwrap(), pdu, "decode");
}

fn st(status: CommandStatus, seq: u32, body: Body<'_>) -> Pdu<'_> {
    Pdu {
        command_status: status,
        sequence_number: seq,
        body,
    }
}

#[test]
fn header_only_pdus() {
    check(
        st(CommandStatus::ESME_RINVCMDID, 7, Body::GenericNack),
        "00000010 80000000 00000003 00000007",
    );
    check(
        Pdu::new(1, Body::EnquireLink),
        "00000010 00000015 00000000 00000001",
    );
    check(
        Pdu::new(1, Body::EnquireLinkResp),
        "00000010 80000015 00000000 00000001",
    );
    check(
        Pdu::new(2, Body::Unbind),
        "00000010 00000006 00000000 00000002",
    );
    check(
        Pdu::new(2, Body::UnbindResp),
        "00000010 80000006 00000000 00000002",
    );
    check(
        Pdu::new(9, Body::CancelSmResp),
        "00000010 80000008 00000000 00000009",
    );
    check(
        Pdu::new(9, Body::ReplaceSmResp),
        "00000010 80000007 00000000 00000009",
    );
}

#[test]
fn binds() {
    let bind = Bind {
        system_id: b"sys",
        password: b"pw",
        system_type: b"VMA",
        interface_version: 0x34,
        addr_ton: Ton::INTERNATIONAL,
        addr_npi: Npi::ISDN,
        address_range: b"^44",
    };
    check(
        Pdu::new(1, Body::BindTransmitter(bind.clone())),
        "00000022 00000002 00000000 00000001 73797300 707700 564d4100 34 01 01 5e343400",
    );
    check(
        Pdu::new(1, Body::BindReceiver(Bind::default())),
        "00000017 00000001 00000000 00000001 00 00 00 34 00 00 00",
    );
    check(
        Pdu::new(
            1,
            Body::BindTransceiverResp(BindResp {
                system_id: b"SMSC",
                tlvs: TlvList::new().with(Tlv::new_sc_interface_version(0x34)),
            }),
        ),
        "0000001a 80000009 00000000 00000001 534d534300 0210 0001 34",
    );
    check(
        Pdu::new(
            1,
            Body::BindTransmitterResp(BindResp {
                system_id: b"SMSC",
                ..Default::default()
            }),
        ),
        "00000015 80000002 00000000 00000001 534d534300",
    );
    // §4.1.2: no body with an error status.
    check(
        st(
            CommandStatus::ESME_RINVPASWD,
            3,
            Body::BindReceiverResp(BindResp::default()),
        ),
        "00000010 80000001 0000000e 00000003",
    );
    check(
        Pdu::new(
            5,
            Body::Outbind(Outbind {
                system_id: b"smsc",
                password: b"pw",
            }),
        ),
        "00000018 0000000b 00000000 00000005 736d736300 707700",
    );
}

#[test]
fn submit_and_deliver() {
    check(
        Pdu::new(
            4,
            Body::SubmitSmResp(SubmitSmResp {
                message_id: b"abc123",
                ..Default::default()
            }),
        ),
        "00000017 80000004 00000000 00000004 61626331323300",
    );
    check(
        st(
            CommandStatus::ESME_RTHROTTLED,
            4,
            Body::SubmitSmResp(SubmitSmResp::default()),
        ),
        "00000010 80000004 00000058 00000004",
    );
    check(
        Pdu::new(6, Body::DeliverSmResp(SubmitSmResp::default())),
        "00000011 80000005 00000000 00000006 00",
    );
    let receipt = DeliverSm {
        source: Address::new(Ton::INTERNATIONAL, Npi::ISDN, b"4477"),
        destination: Address::new(Ton::UNKNOWN, Npi::ISDN, b"123"),
        esm_class: EsmClass(0x04),
        short_message: b"id:1 stat:DELIVRD",
        tlvs: TlvList::new()
            .with(Tlv::new_receipted_message_id(b"1"))
            .with(Tlv::new_message_state(MessageState::DELIVERED)),
        ..Default::default()
    };
    assert!(receipt.esm_class.is_delivery_receipt());
    check(
        Pdu::new(6, Body::DeliverSm(receipt.clone())),
        "00000044 00000005 00000000 00000006
         00 0101 3434373700 0001 31323300 04 00 00 00 00 00 00 00 00
         11 69643a31207374 61743a44454c49565244
         001e 0002 3100 0427 0001 02",
    );
    let r = DeliveryReceipt::from_deliver_sm(&receipt).unwrap();
    assert_eq!(r.id, Some("1"));
    assert_eq!(r.message_state(), Some(MessageState::DELIVERED));
    assert_eq!(receipt.tlvs.receipted_message_id(), Some(&b"1"[..]));
    assert_eq!(receipt.tlvs.message_state(), Some(MessageState::DELIVERED));
}

#[test]
fn submit_multi() {
    let relative = SmppTime::Relative(RelativeTime {
        days: 1,
        ..Default::default()
    });
    check(
        Pdu::new(
            8,
            Body::SubmitMulti(SubmitMulti {
                source: Address::new(Ton(1), Npi(1), b"1"),
                dest_addresses: vec![
                    DestAddress::Sme(Address::new(Ton(1), Npi(1), b"2")),
                    DestAddress::DistributionList(b"list"),
                ],
                priority_flag: 1,
                schedule_delivery_time: Some(relative),
                registered_delivery: RegisteredDelivery(1),
                data_coding: DataCoding::UCS2,
                short_message: &[0x00, 0x41],
                ..Default::default()
            }),
        ),
        "0000003d 00000021 00000000 00000008
         00 0101 3100 02 01 0101 3200 02 6c69737400 00 00 01
         3030303030313030303030303030305200 00 01 00 08 00 02 0041",
    );
    check(
        Pdu::new(
            8,
            Body::SubmitMultiResp(SubmitMultiResp {
                message_id: b"m1",
                unsuccess_smes: vec![UnsuccessSme {
                    address: Address::new(Ton(1), Npi(1), b"2"),
                    error_status_code: CommandStatus::ESME_RINVDSTADR,
                }],
                ..Default::default()
            }),
        ),
        "0000001c 80000021 00000000 00000008 6d3100 01 0101 3200 0000000b",
    );
}

#[test]
fn data_sm() {
    check(
        Pdu::new(
            10,
            Body::DataSm(DataSm {
                service_type: b"WAP",
                source: Address::new(Ton(1), Npi(1), b"1"),
                destination: Address::new(Ton(1), Npi(1), b"2"),
                esm_class: EsmClass(0).with_udhi(true),
                data_coding: DataCoding(4),
                tlvs: TlvList::new()
                    .with(Tlv::new_source_port(9200))
                    .with(Tlv::new_destination_port(2948))
                    .with(Tlv::new_message_payload(&[1, 2])),
                ..Default::default()
            }),
        ),
        "00000031 00000103 00000000 0000000a 57415000 0101 3100 0101 3200 40 00 04
         020a 0002 23f0 020b 0002 0b84 0424 0002 0102",
    );
    check(
        Pdu::new(
            10,
            Body::DataSmResp(DataSmResp {
                message_id: b"x",
                tlvs: TlvList::new().with(Tlv::new_delivery_failure_reason(1)),
            }),
        ),
        "00000017 80000103 00000000 0000000a 7800 0425 0001 01",
    );
}

#[test]
fn query_cancel_replace_alert() {
    check(
        Pdu::new(
            11,
            Body::QuerySm(QuerySm {
                message_id: b"42",
                source: Address::default(),
            }),
        ),
        "00000016 00000003 00000000 0000000b 343200 00 00 00",
    );
    let final_date = SmppTime::parse(b"240102030405000+").unwrap();
    check(
        Pdu::new(
            11,
            Body::QuerySmResp(QuerySmResp {
                message_id: b"42",
                final_date: Some(final_date),
                message_state: MessageState::DELIVERED,
                error_code: 0,
            }),
        ),
        "00000026 80000003 00000000 0000000b 343200 3234303130323033303430353030302b00 02 00",
    );
    check(
        Pdu::new(
            12,
            Body::CancelSm(CancelSm {
                service_type: b"",
                message_id: b"42",
                source: Address::new(Ton(1), Npi(1), b"1"),
                destination: Address::new(Ton(1), Npi(1), b"2"),
            }),
        ),
        "0000001c 00000008 00000000 0000000c 00 343200 0101 3100 0101 3200",
    );
    check(
        Pdu::new(
            13,
            Body::ReplaceSm(ReplaceSm {
                message_id: b"42",
                source: Address::new(Ton(1), Npi(1), b"1"),
                schedule_delivery_time: None,
                validity_period: Some(SmppTime::Relative(RelativeTime {
                    hours: 1,
                    ..Default::default()
                })),
                registered_delivery: RegisteredDelivery(1),
                sm_default_msg_id: 0,
                short_message: b"hi",
            }),
        ),
        "0000002e 00000007 00000000 0000000d 343200 0101 3100 00
         3030303030303031303030303030305200 01 00 02 6869",
    );
    check(
        Pdu::new(
            14,
            Body::AlertNotification(AlertNotification {
                source: Address::new(Ton(1), Npi(1), b"4477"),
                esme: Address::new(Ton(0), Npi(0), b"esme"),
                tlvs: TlvList::new().with(Tlv::new_ms_availability_status(0)),
            }),
        ),
        "00000023 00000102 00000000 0000000e 0101 3434373700 0000 65736d6500 0422 0001 00",
    );
}

#[test]
fn unknown_tlvs_are_kept_in_order() {
    let bytes = hex("0000002e 80000103 00000000 00000001 7800
         1501 0003 616263 0425 0001 01 3fff 0000 1501 0001 7a 001d 0003 6f6b00");
    let pdu = Pdu::decode(&bytes).unwrap();
    let Body::DataSmResp(r) = &pdu.body else {
        panic!()
    };
    let tags: Vec<u16> = r.tlvs.iter().map(|t| t.tag.0).collect();
    assert_eq!(tags, [0x1501, 0x0425, 0x3fff, 0x1501, 0x001d]);
    assert!(r.tlvs.get(TlvTag(0x1501)).unwrap().tag.is_vendor_specific());
    assert_eq!(r.tlvs.additional_status_info_text(), Some(&b"ok"[..]));
    assert_eq!(format!("{:?}", TlvTag(0x1501)), "TlvTag(0x1501)");
    assert_eq!(
        format!("{}", TlvTag::MORE_MESSAGES_TO_SEND),
        "MORE_MESSAGES_TO_SEND"
    );
    assert_eq!(pdu.to_bytes().unwrap(), bytes);
}

#[test]
fn codes_print_names_or_hex() {
    assert_eq!(
        format!("{:?}", CommandStatus(0x0E)),
        "CommandStatus(ESME_RINVPASWD)"
    );
    assert_eq!(CommandStatus::ESME_RTHROTTLED.0, 0x58);
    assert_eq!(CommandStatus::ESME_RINVPASWD.0, 0x0E);
    assert_eq!(format!("{}", CommandStatus(0x401)), "0x00000401");
    assert!(CommandStatus(0x401).is_vendor_specific());
    assert_eq!(format!("{}", CommandId::SUBMIT_SM_RESP), "SUBMIT_SM_RESP");
    assert_eq!(
        CommandId::SUBMIT_SM.response_id(),
        Some(CommandId::SUBMIT_SM_RESP)
    );
    assert_eq!(CommandId::ALERT_NOTIFICATION.response_id(), None);
    assert_eq!(
        CommandId::DATA_SM_RESP.request_id(),
        Some(CommandId::DATA_SM)
    );
}

fn header_of(b: &[u8]) -> Header {
    Header::decode(b).unwrap()
}

#[track_caller]
fn rejected(table: &str) -> (Error, Option<Rejection>) {
    let mut bytes = hex(table);
    // The tables' command_length is patched to the table's length.
    let len = (bytes.len() as u32).to_be_bytes();
    bytes[..4].copy_from_slice(&len);
    let err = Pdu::decode(&bytes).unwrap_err();
    let rej = err.rejection(&header_of(&bytes));
    (err, rej)
}

#[test]
fn errors_map_to_command_status() {
    // Unknown command id → generic_nack ESME_RINVCMDID.
    let (e, r) = rejected("00000010 00000099 00000000 00000005");
    assert_eq!(
        e,
        Error::UnknownCommandId {
            command_id: CommandId(0x99)
        }
    );
    assert_eq!(
        r,
        Some(Rejection {
            command_id: CommandId::GENERIC_NACK,
            command_status: CommandStatus::ESME_RINVCMDID,
            sequence_number: 5
        })
    );

    // source_addr with no NUL within 21 octets → submit_sm_resp ESME_RINVSRCADR.
    let long = "31".repeat(22);
    let (e, r) = rejected(&format!(
        "00000036 00000004 00000000 00000006 00 0101 {long} 00"
    ));
    assert_eq!(
        e,
        Error::FieldTooLong {
            offset: 19,
            field: Field::SourceAddr,
            max: 21
        }
    );
    let r = r.unwrap();
    assert_eq!(
        (r.command_id, r.command_status),
        (CommandId::SUBMIT_SM_RESP, CommandStatus::ESME_RINVSRCADR)
    );
    assert!(!r.is_generic_nack());

    // destination_addr too long → ESME_RINVDSTADR.
    let (e, _) = rejected(&format!(
        "00000038 00000004 00000000 00000006 00 0101 3100 0101 {long}"
    ));
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVDSTADR);

    // system_id too long → ESME_RINVSYSID; password → ESME_RINVPASWD.
    let sysid = "61".repeat(16);
    let (e, r) = rejected(&format!("00000020 00000009 00000000 00000001 {sysid}"));
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVSYSID);
    assert_eq!(r.unwrap().command_id, CommandId::BIND_TRANSCEIVER_RESP);
    let (e, _) = rejected("0000001c 00000009 00000000 00000001 6100 61616161616161616100");
    assert_eq!(
        e,
        Error::FieldTooLong {
            offset: 18,
            field: Field::Password,
            max: 9
        }
    );
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVPASWD);

    // sm_length 255 → ESME_RINVMSGLEN; sm_length beyond the PDU → same.
    let base = "00 0000 3100 0000 3200 00 00 00 00 00 00 00 00 00";
    let (e, _) = rejected(&format!("0000001e 00000004 00000000 00000001 {base} ff"));
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVMSGLEN);
    assert!(matches!(
        e,
        Error::InvalidValue {
            field: Field::SmLength,
            value: 255,
            ..
        }
    ));
    let (e, _) = rejected(&format!("0000001f 00000004 00000000 00000001 {base} 05 41"));
    assert!(matches!(
        e,
        Error::Truncated {
            field: Field::ShortMessage,
            ..
        }
    ));
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVMSGLEN);

    // Bad validity period → ESME_RINVEXPIRY; bad schedule → ESME_RINVSCHED.
    let (e, _) = rejected(
        "0000002e 00000004 00000000 00000001 00 0000 3100 0000 3200 00 00 00 00 3234313330323033303430353030302b00 00 00 00 00 00",
    );
    assert!(matches!(
        e,
        Error::InvalidTime {
            field: Field::ValidityPeriod,
            ..
        }
    ));
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVEXPIRY);
    let (e, _) = rejected(
        "00000021 00000004 00000000 00000001 00 0000 3100 0000 3200 00 00 00 313200 00 00 00 00 00 00",
    );
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVSCHED);

    // A known TLV with a wrong length → ESME_RINVPARLEN.
    let (e, _) = rejected("00000020 80000103 00000000 00000001 7800 020c 0001 01 0000");
    assert_eq!(
        e,
        Error::TlvLength {
            offset: 18,
            tag: TlvTag::SAR_MSG_REF_NUM,
            length: 1
        }
    );
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVPARLEN);
    // A truncated TLV → ESME_RINVOPTPARSTREAM.
    let (e, _) = rejected("00000019 80000103 00000000 00000001 7800 0424 0005 01");
    assert_eq!(e, Error::TlvTruncated { offset: 18 });
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVOPTPARSTREAM);

    // Bytes after a body-less PDU → unbind_resp ESME_RINVCMDLEN.
    let (e, r) = rejected("00000011 00000006 00000000 00000001 00");
    assert_eq!(
        e,
        Error::TrailingBytes {
            offset: 16,
            count: 1
        }
    );
    assert_eq!(r.unwrap().command_id, CommandId::UNBIND_RESP);
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVCMDLEN);

    // Bad dest_flag → ESME_RINVDESTFLAG.
    let (e, _) = rejected("00000019 00000021 00000000 00000001 00 0000 00 01 07 00 00");
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVDESTFLAG);

    // Never answer a generic_nack.
    let (_, r) = rejected("00000011 80000000 00000000 00000001 00");
    assert_eq!(r, None);

    // alert_notification has no response: a bad one gets generic_nack.
    let (_, r) = rejected("00000012 00000102 00000000 00000001 0000");
    assert!(r.unwrap().is_generic_nack());

    let mut out = Vec::new();
    Rejection {
        command_id: CommandId::GENERIC_NACK,
        command_status: CommandStatus::ESME_RINVCMDLEN,
        sequence_number: 9,
    }
    .encode(&mut out);
    assert_eq!(out, hex("00000010 80000000 00000002 00000009"));
}

#[test]
fn frame_lengths() {
    let d = FrameDecoder::new();
    assert_eq!(d.max_command_length(), 65536);
    assert_eq!(d.peek_length(&hex("000000")), Ok(None));
    assert_eq!(d.peek_length(&hex("00000010 00000015")), Ok(None));
    assert_eq!(
        d.peek_length(&hex("00000010 00000015 00000000 00000001 ff")),
        Ok(Some(16))
    );
    let e = d.peek_length(&hex("0000000f")).unwrap_err();
    assert_eq!(
        e,
        Error::InvalidCommandLength {
            length: 15,
            max: 65536
        }
    );
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVCMDLEN);
    assert!(e.is_fatal());
    let e = d.peek_length(&hex("00010001")).unwrap_err();
    assert_eq!(
        e.rejection(&Header {
            command_length: 65537,
            command_id: CommandId::SUBMIT_SM,
            command_status: CommandStatus::ESME_ROK,
            sequence_number: 3,
        })
        .map(|r| (r.command_id, r.command_status)),
        Some((CommandId::GENERIC_NACK, CommandStatus::ESME_RINVCMDLEN))
    );
    let small = FrameDecoder::with_max_command_length(100);
    assert!(small.peek_length(&hex("00000065")).is_err());
    assert_eq!(bytes_needed(&hex("0000"), 100), Ok(14));
    assert_eq!(bytes_needed(&hex("00000020 00000015"), 100), Ok(24));
    // decode wants the exact frame
    let e = Pdu::decode(&hex("00000011 00000015 00000000 00000001")).unwrap_err();
    assert_eq!(
        e,
        Error::LengthMismatch {
            command_length: 17,
            available: 16
        }
    );
}

#[test]
fn frames_split_at_every_boundary() {
    let pdus = [
        Pdu::new(1, Body::EnquireLink),
        Pdu::new(
            2,
            Body::SubmitSm(SubmitSm {
                destination: Address::new(Ton(1), Npi(1), b"447700900123"),
                short_message: b"hello",
                tlvs: TlvList::new().with(Tlv::new_more_messages_to_send(1)),
                ..Default::default()
            }),
        ),
        Pdu::new(
            3,
            Body::SubmitSmResp(SubmitSmResp {
                message_id: b"7",
                ..Default::default()
            }),
        ),
        Pdu::new(4, Body::Unbind),
    ];
    let mut stream = Vec::new();
    for p in &pdus {
        p.encode(&mut stream).unwrap();
    }
    let d = FrameDecoder::new();
    for split in 0..=stream.len() {
        let mut buf = Vec::new();
        let mut got = Vec::new();
        for chunk in [&stream[..split], &stream[split..]] {
            buf.extend_from_slice(chunk);
            while let Some(frame) = d.next_frame(&buf).unwrap() {
                let len = frame.len();
                got.push(frame.decode().unwrap().to_owned_pdu().unwrap());
                buf.drain(..len);
            }
        }
        assert!(buf.is_empty());
        let got: Vec<Pdu<'_>> = got.iter().map(OwnedPdu::pdu).collect();
        assert_eq!(got, pdus, "split at {split}");
    }
    // And byte by byte.
    let mut buf = Vec::new();
    let mut n = 0;
    for b in &stream {
        buf.push(*b);
        if let Some(f) = d.next_frame(&buf).unwrap() {
            assert_eq!(f.decode().unwrap(), pdus[n]);
            n += 1;
            let len = f.len();
            buf.drain(..len);
        }
    }
    assert_eq!(n, pdus.len());
}

#[test]
fn encode_errors() {
    let long = [b'1'; 21];
    let p = Pdu::new(
        1,
        Body::SubmitSm(SubmitSm {
            source: Address::new(Ton(0), Npi(0), &long),
            ..Default::default()
        }),
    );
    let mut out = vec![0xAA];
    assert_eq!(
        p.encode(&mut out),
        Err(EncodeError::FieldTooLong {
            field: Field::SourceAddr,
            len: 21,
            max: 20
        })
    );
    assert_eq!(out, [0xAA], "output untouched on error");
    let p = Pdu::new(
        1,
        Body::SubmitSm(SubmitSm {
            short_message: &[0; 255],
            ..Default::default()
        }),
    );
    assert!(p.to_bytes().is_err());
    let p = Pdu::new(
        1,
        Body::Outbind(Outbind {
            system_id: b"a\0b",
            password: b"",
        }),
    );
    assert_eq!(
        p.to_bytes(),
        Err(EncodeError::InteriorNul {
            field: Field::SystemId
        })
    );
    let p = Pdu::new(
        1,
        Body::DataSmResp(DataSmResp {
            message_id: b"",
            tlvs: TlvList::new().with(Tlv::new(TlvTag::SAR_MSG_REF_NUM, &[1u8][..])),
        }),
    );
    assert!(matches!(p.to_bytes(), Err(EncodeError::TlvLength { .. })));
}

#[test]
fn esm_class_and_registered_delivery_helpers() {
    let e = EsmClass::DEFAULT
        .with_messaging_mode(MessagingMode::StoreAndForward)
        .with_udhi(true);
    assert_eq!(e, EsmClass(0x43));
    assert_eq!(
        e.with_message_type(MessageType::DeliveryReceipt),
        EsmClass(0x47)
    );
    assert_eq!(EsmClass(0x08).message_type(), MessageType::DeliveryAck);
    assert_eq!(
        EsmClass(0x20).message_type(),
        MessageType::IntermediateNotification
    );
    assert!(EsmClass(0x80).reply_path());
    let r = RegisteredDelivery::NONE.with_smsc_receipt(ReceiptRequest::OnFailure);
    assert_eq!(r, RegisteredDelivery(2));
    assert_eq!(
        RegisteredDelivery(0x11).smsc_receipt(),
        ReceiptRequest::Always
    );
    assert!(RegisteredDelivery(0x11).intermediate_notification());
    assert!(RegisteredDelivery(0x04).sme_delivery_ack());
    assert!(RegisteredDelivery(0x08).sme_user_ack());
}

#[test]
fn typed_tlv_accessors() {
    let list = TlvList::new()
        .with(Tlv::new_sar_msg_ref_num(0x1234))
        .with(Tlv::new_sar_total_segments(3))
        .with(Tlv::new_sar_segment_seqnum(2))
        .with(Tlv::new_user_message_reference(7))
        .with(Tlv::new_payload_type(1))
        .with(Tlv::new_callback_num(b"\x00\x01\x01123"))
        .with(Tlv::new_network_error_code(NetworkErrorCode {
            network_type: 3,
            error_code: 0x0022,
        }))
        .with(Tlv::new_dest_addr_subunit(1))
        .with(Tlv::new_qos_time_to_live(3600))
        .with(Tlv::new_alert_on_message_delivery());
    assert_eq!(list.sar_msg_ref_num(), Some(0x1234));
    assert_eq!(list.sar_total_segments(), Some(3));
    assert_eq!(list.sar_segment_seqnum(), Some(2));
    assert_eq!(list.user_message_reference(), Some(7));
    assert_eq!(list.payload_type(), Some(1));
    assert_eq!(list.callback_num(), Some(&b"\x00\x01\x01123"[..]));
    assert_eq!(
        list.network_error_code(),
        Some(NetworkErrorCode {
            network_type: 3,
            error_code: 0x22
        })
    );
    assert_eq!(list.dest_addr_subunit(), Some(1));
    assert_eq!(list.qos_time_to_live(), Some(3600));
    assert!(list.alert_on_message_delivery());
    assert_eq!(list.source_port(), None);
    let p = Pdu::new(
        1,
        Body::SubmitSm(SubmitSm {
            tlvs: list.clone(),
            ..Default::default()
        }),
    );
    let bytes = p.to_bytes().unwrap();
    assert_eq!(Pdu::decode(&bytes).unwrap(), p);
    let mut l2 = list;
    assert!(l2.remove(TlvTag::SAR_MSG_REF_NUM).is_some());
    assert_eq!(l2.sar_msg_ref_num(), None);
}
