//! Public SMS-DELIVER vectors carrying WAP Push (python-messaging's
//! `tests/test_wap.py`, transcribed under `python-messaging/extracted/`),
//! checked against what `SOURCES.md` §3 says about them.
//!
//! The vectors are GPL test data and are not in this repository: they are
//! read from `$FERRY_VECTORS` (default `../shared/vectors` next to the
//! checkout). If the folder is missing the test fails.

use std::path::PathBuf;
use std::time::Instant;

use ferry_sms::{
    Address, Concat, Deliver, InformationElement, NumberingPlan, Ports, Reassembler, Timestamp, Tpdu, TypeOfNumber,
};

fn vectors_dir() -> PathBuf {
    let dir = std::env::var_os("FERRY_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/vectors")));
    assert!(
        dir.join("SOURCES.md").is_file(),
        "test vectors not found at {} (set FERRY_VECTORS to the shared vectors folder)",
        dir.display()
    );
    dir
}

fn read(name: &str) -> Vec<u8> {
    let path = vectors_dir().join("python-messaging/extracted").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

struct Expect {
    set: &'static str,
    smsc: &'static str,
    originator: &'static str,
    ton: TypeOfNumber,
    npi: NumberingPlan,
    reference: u16,
    wide: bool,
    /// Whether the port IE comes before the concatenation IE.
    ports_first: bool,
}

const SETS: [Expect; 3] = [
    Expect {
        set: "test_decoding_m_notification_ind.set1",
        smsc: "447785016005",
        originator: "88850100000018",
        ton: TypeOfNumber::UNKNOWN,
        npi: NumberingPlan::UNKNOWN,
        reference: 40846,
        wide: true,
        ports_first: false,
    },
    Expect {
        set: "test_decoding_m_notification_ind.set2",
        smsc: "447785016005",
        originator: "88850100000008",
        ton: TypeOfNumber::UNKNOWN,
        npi: NumberingPlan::UNKNOWN,
        reference: 57299,
        wide: true,
        ports_first: false,
    },
    Expect {
        set: "test_decoding_generic_wap_push.set1",
        smsc: "491722270541",
        originator: "004917222911",
        ton: TypeOfNumber::UNKNOWN,
        npi: NumberingPlan::SC_SPECIFIC_1,
        reference: 150,
        wide: false,
        ports_first: true,
    },
];

/// Decodes both parts of a set, checks every asserted field, re-encodes
/// byte for byte, and returns the reassembled datagram.
fn check_set(e: &Expect) -> Vec<u8> {
    let parts: Vec<Vec<u8>> = (1..=2).map(|i| read(&format!("test_wap.{}.part{i}.sms-deliver.bin", e.set))).collect();
    let mut r = Reassembler::<Address>::default();
    let now = Instant::now();
    let mut out = None;
    // Feed in reverse order: the reassembler must not care.
    for (i, bytes) in parts.iter().enumerate().rev() {
        let seq = i as u8 + 1;
        let (smsc, tpdu) = Tpdu::decode_with_smsc(bytes).unwrap_or_else(|err| panic!("{} part {seq}: {err}", e.set));
        let smsc = smsc.expect("SMSC address present");
        assert_eq!(smsc, Address::international(e.smsc), "{} part {seq} SMSC", e.set);
        assert_eq!(smsc.to_string(), format!("+{}", e.smsc));
        let Tpdu::Deliver(d) = &tpdu else { panic!("{} part {seq} is not an SMS-DELIVER", e.set) };
        assert_eq!(d.originator.value, e.originator, "{} part {seq} originator", e.set);
        assert_eq!((d.originator.ton, d.originator.npi), (e.ton, e.npi));
        assert!(d.dcs.alphabet() == ferry_sms::Alphabet::Octets, "8-bit data");
        let h = d.user_data.header.as_ref().expect("UDH present");
        assert_eq!(h.concat(), Some(Concat { reference: e.reference, wide: e.wide, total: 2, seq }));
        assert_eq!(h.ports(), Some(Ports { dest: 2948, src: 9200 }));
        let kinds: Vec<u8> = h.elements.iter().map(InformationElement::iei).collect();
        let concat_iei = if e.wide { 0x08 } else { 0x00 };
        assert_eq!(kinds, if e.ports_first { [0x05, concat_iei] } else { [concat_iei, 0x05] });
        // Canonical re-encoding reproduces the vector exactly.
        assert_eq!(&tpdu.to_bytes_with_smsc(Some(&smsc)).unwrap(), bytes, "{} part {seq} re-encoding", e.set);
        // The payload is borrowed from the input.
        let ferry_sms::Body::Octets(std::borrow::Cow::Borrowed(_)) = d.user_data.body else {
            panic!("8-bit payload should borrow the input")
        };
        assert!(Deliver::decode(&bytes[1 + usize::from(bytes[0])..]).is_ok());
        let got = r.handle_tpdu(now, &tpdu).unwrap();
        if seq == 2 {
            assert!(got.is_none(), "one part is not the whole message");
        } else {
            out = got;
        }
    }
    let m = out.expect("set complete after both parts");
    assert_eq!(m.key.value, e.originator);
    assert_eq!(m.ports, Some(Ports::WAP_PUSH));
    assert_eq!(r.pending_sets(), 0);
    assert_eq!(m.payload[1], 0x06, "{}: reassembled data is a WSP Push (PDU type 0x06)", e.set);
    m.payload
}

#[test]
fn m_notification_set1_reassembles_to_the_published_push() {
    let push = check_set(&SETS[0]);
    // SOURCES.md: `test_wap.TestSmsWapPush.data.wsp-push.bin` (182 B) is the
    // push these two segments carry (TID NOK5CiKc…, From +447785342749).
    assert_eq!(push, read("test_wap.TestSmsWapPush.data.wsp-push.bin"));
    assert_eq!(push.len(), 182);
    let bytes = read("test_wap.test_decoding_m_notification_ind.set1.part1.sms-deliver.bin");
    let p1 = Tpdu::decode_with_smsc(&bytes).unwrap().1;
    let Tpdu::Deliver(d) = p1 else { unreachable!() };
    assert_eq!(
        d.timestamp,
        Timestamp { year: 10, month: 6, day: 28, hour: 14, minute: 45, second: 46, tz_quarter_hours: 4 }
    );
    assert!(d.more_messages_to_send, "TP-MMS bit is 0 in part 1");
}

#[test]
fn m_notification_set2() {
    let push = check_set(&SETS[1]);
    let needle = b"NOK5A1ZdFTMYSG4O3VQAAsJv94GoNAAAAAAAA";
    assert!(push.windows(needle.len()).any(|w| w == needle), "transaction id in the push");
    assert!(push.windows(14).any(|w| w == b"+447717275049/"));
}

#[test]
fn generic_wap_push_set1() {
    let push = check_set(&SETS[2]);
    // A Service Indication (WBXML), not an MMS notification: 128 + 48 octets,
    // starting TID 01, PDU type 06, headers length 0B, then
    // `application/vnd.wap.sic` (0x2E | 0x80 = 0xAE after the 03 length).
    assert_eq!(push.len(), 176);
    assert_eq!(push[..7], [0x01, 0x06, 0x0B, 0x03, 0xAE, 0x81, 0xEA]);
    assert!(push.ends_with(b" Team\x00\x01\x01"));
    assert!(push.windows(18).any(|w| w == b"wap.meincallya.de/"));
    // It is NOT the M-Notification push of the other file.
    assert_ne!(push, read("test_wap.TestSmsWapPush.data.wsp-push.bin"));
}

#[test]
fn push_segments_round_trip_through_tpdus() {
    // Re-segment the published push with Ferry's own segmenter, wrap each
    // segment in an SMS-DELIVER, encode, decode and reassemble.
    let push = read("test_wap.TestSmsWapPush.data.wsp-push.bin");
    for opts in [
        ferry_sms::WapPushOptions::default(),
        ferry_sms::WapPushOptions { concat: ferry_sms::ConcatKind::Sixteen, ..Default::default() },
    ] {
        let segs = ferry_sms::wap_push_segments(&push, 0x1234, &opts).unwrap();
        assert_eq!(segs.len(), 2);
        let ts = Timestamp { year: 26, month: 1, day: 2, hour: 3, minute: 4, second: 5, tz_quarter_hours: -8 };
        let mut r = Reassembler::<Address>::default();
        let now = Instant::now();
        let mut done = None;
        for s in segs.iter().rev() {
            let bytes = Tpdu::Deliver(s.to_deliver(Address::international("4712345678"), ts)).to_bytes().unwrap();
            let t = Tpdu::decode(&bytes).unwrap();
            if let Some(m) = r.handle_tpdu(now, &t).unwrap() {
                done = Some(m);
            }
        }
        assert_eq!(done.unwrap().payload, push);
    }
}
