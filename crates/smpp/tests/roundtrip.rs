//! Properties: encode → decode gives the same value (and the same bytes
//! again) for generated values of every PDU type; decoding arbitrary or
//! mutated bytes never panics, and whatever decodes re-encodes stably.

use ferry_smpp::*;
use proptest::collection::vec;
use proptest::prelude::*;

/// Generated values borrow `'static` slices (leaked: a few bytes a case).
fn leak(v: Vec<u8>) -> &'static [u8] {
    Box::leak(v.into_boxed_slice())
}

/// A C-Octet string of at most `max` octets including the NUL.
fn cstr(max: usize) -> impl Strategy<Value = &'static [u8]> {
    vec(1u8..=255, 0..max).prop_map(leak)
}

fn octets(max: usize) -> impl Strategy<Value = &'static [u8]> {
    vec(any::<u8>(), 0..=max).prop_map(leak)
}

fn address(max: usize) -> impl Strategy<Value = Address<'static>> {
    (any::<u8>(), any::<u8>(), cstr(max)).prop_map(|(t, n, a)| Address::new(Ton(t), Npi(n), a))
}

fn time() -> impl Strategy<Value = Option<SmppTime>> {
    let abs = (
        0u8..100,
        1u8..=12,
        1u8..=31,
        0u8..24,
        0u8..60,
        0u8..60,
        0u8..10,
        -48i8..=48,
    )
        .prop_map(|(year, month, day, hour, minute, second, tenths, q)| {
            SmppTime::Absolute(AbsoluteTime {
                year,
                month,
                day,
                hour,
                minute,
                second,
                tenths,
                utc_offset_quarters: q,
            })
        });
    let rel = (0u8..100, 0u8..100, 0u8..100, 0u8..100, 0u8..100, 0u8..100).prop_map(
        |(years, months, days, hours, minutes, seconds)| {
            SmppTime::Relative(RelativeTime {
                years,
                months,
                days,
                hours,
                minutes,
                seconds,
            })
        },
    );
    prop_oneof![Just(None), abs.prop_map(Some), rel.prop_map(Some)]
}

fn tlv() -> impl Strategy<Value = Tlv<'static>> {
    prop_oneof![
        any::<u16>().prop_map(Tlv::new_sar_msg_ref_num),
        any::<u8>().prop_map(Tlv::new_more_messages_to_send),
        any::<u16>().prop_map(Tlv::new_source_port),
        any::<u32>().prop_map(Tlv::new_qos_time_to_live),
        cstr(64).prop_map(Tlv::new_receipted_message_id),
        octets(300).prop_map(Tlv::new_message_payload),
        any::<u8>().prop_map(|v| Tlv::new_message_state(MessageState(v))),
        (any::<u8>(), any::<u16>()).prop_map(|(network_type, error_code)| {
            Tlv::new_network_error_code(NetworkErrorCode {
                network_type,
                error_code,
            })
        }),
        Just(Tlv::new_alert_on_message_delivery()),
        // Unknown and vendor tags, any value.
        (any::<u16>(), octets(20))
            .prop_filter("unknown tag", |(t, _)| TlvTag(*t)
                .allowed_lengths()
                .is_none())
            .prop_map(|(t, v)| Tlv::new(TlvTag(t), v)),
    ]
}

fn tlvs() -> impl Strategy<Value = TlvList<'static>> {
    vec(tlv(), 0..4).prop_map(TlvList::from)
}

fn bind() -> impl Strategy<Value = Bind<'static>> {
    (
        cstr(16),
        cstr(9),
        cstr(13),
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        cstr(41),
    )
        .prop_map(
            |(system_id, password, system_type, interface_version, t, n, address_range)| Bind {
                system_id,
                password,
                system_type,
                interface_version,
                addr_ton: Ton(t),
                addr_npi: Npi(n),
                address_range,
            },
        )
}

fn bind_resp() -> impl Strategy<Value = BindResp<'static>> {
    (cstr(16), tlvs()).prop_map(|(system_id, tlvs)| BindResp { system_id, tlvs })
}

fn sm() -> impl Strategy<Value = SubmitSm<'static>> {
    (
        (
            cstr(6),
            address(21),
            address(21),
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
        ),
        (
            time(),
            time(),
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
        ),
        (octets(254), tlvs()),
    )
        .prop_map(
            |((st, src, dst, esm, pid, prio), (sched, valid, rd, rip, dc, dm), (sm, tlvs))| {
                SubmitSm {
                    service_type: st,
                    source: src,
                    destination: dst,
                    esm_class: EsmClass(esm),
                    protocol_id: pid,
                    priority_flag: prio,
                    schedule_delivery_time: sched,
                    validity_period: valid,
                    registered_delivery: RegisteredDelivery(rd),
                    replace_if_present_flag: rip,
                    data_coding: DataCoding(dc),
                    sm_default_msg_id: dm,
                    short_message: sm,
                    tlvs,
                }
            },
        )
}

fn sm_resp() -> impl Strategy<Value = SubmitSmResp<'static>> {
    (cstr(65), tlvs()).prop_map(|(message_id, tlvs)| SubmitSmResp { message_id, tlvs })
}

fn dest() -> impl Strategy<Value = DestAddress<'static>> {
    prop_oneof![
        address(21).prop_map(DestAddress::Sme),
        cstr(21).prop_map(DestAddress::DistributionList)
    ]
}

fn submit_multi() -> impl Strategy<Value = SubmitMulti<'static>> {
    (sm(), vec(dest(), 0..6)).prop_map(|(s, dest_addresses)| SubmitMulti {
        service_type: s.service_type,
        source: s.source,
        dest_addresses,
        esm_class: s.esm_class,
        protocol_id: s.protocol_id,
        priority_flag: s.priority_flag,
        schedule_delivery_time: s.schedule_delivery_time,
        validity_period: s.validity_period,
        registered_delivery: s.registered_delivery,
        replace_if_present_flag: s.replace_if_present_flag,
        data_coding: s.data_coding,
        sm_default_msg_id: s.sm_default_msg_id,
        short_message: s.short_message,
        tlvs: s.tlvs,
    })
}

fn submit_multi_resp() -> impl Strategy<Value = SubmitMultiResp<'static>> {
    let u = (address(21), any::<u32>()).prop_map(|(address, s)| UnsuccessSme {
        address,
        error_status_code: CommandStatus(s),
    });
    (cstr(65), vec(u, 0..5), tlvs()).prop_map(|(message_id, unsuccess_smes, tlvs)| {
        SubmitMultiResp {
            message_id,
            unsuccess_smes,
            tlvs,
        }
    })
}

fn data_sm() -> impl Strategy<Value = DataSm<'static>> {
    (
        cstr(6),
        address(65),
        address(65),
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        tlvs(),
    )
        .prop_map(
            |(service_type, source, destination, e, r, d, tlvs)| DataSm {
                service_type,
                source,
                destination,
                esm_class: EsmClass(e),
                registered_delivery: RegisteredDelivery(r),
                data_coding: DataCoding(d),
                tlvs,
            },
        )
}

fn body() -> impl Strategy<Value = Body<'static>> {
    prop_oneof![
        bind().prop_map(Body::BindReceiver),
        bind().prop_map(Body::BindTransmitter),
        bind().prop_map(Body::BindTransceiver),
        bind_resp().prop_map(Body::BindReceiverResp),
        bind_resp().prop_map(Body::BindTransmitterResp),
        bind_resp().prop_map(Body::BindTransceiverResp),
        (cstr(16), cstr(9)).prop_map(|(system_id, password)| Body::Outbind(Outbind {
            system_id,
            password
        })),
        Just(Body::Unbind),
        Just(Body::UnbindResp),
        Just(Body::GenericNack),
        Just(Body::EnquireLink),
        Just(Body::EnquireLinkResp),
        Just(Body::CancelSmResp),
        Just(Body::ReplaceSmResp),
        sm().prop_map(Body::SubmitSm),
        sm().prop_map(Body::DeliverSm),
        sm_resp().prop_map(Body::SubmitSmResp),
        sm_resp().prop_map(Body::DeliverSmResp),
        submit_multi().prop_map(Body::SubmitMulti),
        submit_multi_resp().prop_map(Body::SubmitMultiResp),
        data_sm().prop_map(Body::DataSm),
        (cstr(65), tlvs())
            .prop_map(|(message_id, tlvs)| Body::DataSmResp(DataSmResp { message_id, tlvs })),
        (cstr(65), address(21))
            .prop_map(|(message_id, source)| Body::QuerySm(QuerySm { message_id, source })),
        (cstr(65), time(), any::<u8>(), any::<u8>()).prop_map(|(message_id, final_date, s, e)| {
            Body::QuerySmResp(QuerySmResp {
                message_id,
                final_date,
                message_state: MessageState(s),
                error_code: e,
            })
        }),
        (cstr(6), cstr(65), address(21), address(21)).prop_map(
            |(service_type, message_id, source, destination)| {
                Body::CancelSm(CancelSm {
                    service_type,
                    message_id,
                    source,
                    destination,
                })
            }
        ),
        (
            cstr(65),
            address(21),
            time(),
            time(),
            any::<u8>(),
            any::<u8>(),
            octets(254)
        )
            .prop_map(
                |(message_id, source, sched, valid, rd, dm, short_message)| {
                    Body::ReplaceSm(ReplaceSm {
                        message_id,
                        source,
                        schedule_delivery_time: sched,
                        validity_period: valid,
                        registered_delivery: RegisteredDelivery(rd),
                        sm_default_msg_id: dm,
                        short_message,
                    })
                }
            ),
        (address(65), address(65), tlvs()).prop_map(
            |(source, esme, tlvs)| Body::AlertNotification(AlertNotification {
                source,
                esme,
                tlvs
            })
        ),
    ]
}

fn pdu() -> impl Strategy<Value = Pdu<'static>> {
    (prop_oneof![Just(0u32), any::<u32>()], any::<u32>(), body()).prop_map(
        |(command_status, sequence_number, body)| Pdu {
            command_status: CommandStatus(command_status),
            sequence_number,
            body,
        },
    )
}

/// Decode; if it decodes, re-encoding must decode to the same value and be
/// stable from then on.
fn decode_stable(bytes: &[u8]) {
    if let Ok(p) = Pdu::decode(bytes) {
        let again = p.to_bytes().expect("a decoded PDU re-encodes");
        let p2 = Pdu::decode(&again).expect("re-encoded PDU decodes");
        assert_eq!(p, p2);
        assert_eq!(p2.to_bytes().unwrap(), again);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn every_pdu_round_trips(p in pdu()) {
        let bytes = p.to_bytes().unwrap();
        prop_assert_eq!(bytes.len() as u32, u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]));
        let d = Pdu::decode(&bytes).unwrap();
        prop_assert_eq!(&d, &p);
        prop_assert_eq!(d.to_bytes().unwrap(), bytes.clone());
        let owned = p.to_owned_pdu().unwrap();
        prop_assert_eq!(owned.pdu(), p);
        prop_assert_eq!(owned.as_bytes(), &bytes[..]);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..400)) {
        decode_stable(&bytes);
        let _ = FrameDecoder::new().next_frame(&bytes);
        let _ = DeliveryReceipt::parse(&bytes);
        let _ = SmppTime::parse(&bytes);
    }

    #[test]
    fn arbitrary_bodies_never_panic(id in prop_oneof![0u32..0x22, Just(0x102u32), Just(0x103u32)],
                                    resp in any::<bool>(),
                                    body in vec(any::<u8>(), 0..200)) {
        // A valid header around random bytes reaches every body decoder.
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&((16 + body.len()) as u32).to_be_bytes());
        bytes.extend_from_slice(&(id | if resp { 0x8000_0000 } else { 0 }).to_be_bytes());
        bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
        bytes.extend_from_slice(&body);
        decode_stable(&bytes);
    }

    #[test]
    fn mutated_pdus_never_panic(p in pdu(), at in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<prop::sample::Index>()) {
        let mut bytes = p.to_bytes().unwrap();
        if bytes.len() > 16 {
            let i = 16 + at.index(bytes.len() - 16);
            bytes[i] = byte;
            let keep = 16 + cut.index(bytes.len() - 15);
            bytes.truncate(keep);
            let len = (bytes.len() as u32).to_be_bytes();
            bytes[..4].copy_from_slice(&len);
        }
        decode_stable(&bytes);
        if let Err(e) = Pdu::decode(&bytes) {
            let h = Header::decode(&bytes).unwrap();
            let _ = e.rejection(&h);
            let _ = e.to_string();
        }
    }

    #[test]
    fn receipts_round_trip(id in "[0-9A-Fa-f]{1,20}", sub in 0u32..1000, dlvrd in 0u32..1000,
                           stat in "(DELIVRD|UNDELIV|EXPIRED|REJECTD|ENROUTE)", err in "[0-9]{3}",
                           text in vec(any::<u8>(), 0..20)) {
        let r = DeliveryReceipt {
            id: Some(&id), sub: Some(sub), dlvrd: Some(dlvrd),
            submit_date: Some(ReceiptDate { year: 24, month: 1, day: 2, hour: 3, minute: 4, second: None }),
            done_date: Some(ReceiptDate { year: 24, month: 1, day: 2, hour: 3, minute: 5, second: Some(6) }),
            stat: Some(&stat), err: Some(&err), text: Some(&text),
        };
        let bytes = r.to_text();
        prop_assert_eq!(DeliveryReceipt::parse(&bytes).unwrap(), r);
    }
}
