//! Properties: arbitrary input never panics the phone's decoders; any
//! composed message decodes and its SMIL references resolve.

use std::time::Instant;

use ferry_handset::compose::{compose, resolve, smil_sources};
use ferry_handset::config::RetrievalConfig;
use ferry_handset::retrieval::Retriever;
use ferry_handset::sms::{InboundSms, SmsInbox};
use ferry_handset::{Attachment, Draft, sniff};
use ferry_mms::Pdu;
use proptest::prelude::*;

proptest! {
    #[test]
    fn pushes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut r = Retriever::new(RetrievalConfig::default(), true);
        r.handle_push(&data);
        r.handle_mms_push(&data);
        while r.poll_action().is_some() {}
        r.handle_fetched(Instant::now(), "x", Ok(data.clone()));
        let _ = sniff::media_type(&data, "f.bin");
    }

    #[test]
    fn short_messages_never_panic(data in proptest::collection::vec(any::<u8>(), 0..160), esm in any::<u8>(), dcs in any::<u8>()) {
        let mut inbox = SmsInbox::new();
        let _ = inbox.handle_sms(Instant::now(), &InboundSms { source: "1".into(), esm_class: esm, data_coding: dcs, payload: data });
    }

    #[test]
    fn composed_messages_round_trip(
        files in proptest::collection::vec(("[a-zA-Z0-9 ._-]{0,12}", prop_oneof![
            Just(vec![0xFFu8, 0xD8, 0xFF, 0xE0]), Just(b"#!AMR\n".to_vec()), Just(b"GIF89a".to_vec()),
            Just(b"\0\0\0\x14ftyp3gp4".to_vec()), Just(b"BEGIN:VCARD\r\n".to_vec()), proptest::collection::vec(any::<u8>(), 0..20)
        ]), 0..6),
        text in proptest::option::of("[ -~]{0,40}"),
    ) {
        let draft = Draft {
            to: vec!["+15550002".into()],
            subject: Some("s".into()),
            text,
            attachments: files.into_iter().map(|(n, d)| Attachment::new(n, d)).collect(),
            ..Draft::default()
        };
        let bytes = compose(&draft, "T").unwrap().to_bytes();
        let pdu = Pdu::decode(&bytes).unwrap();
        let parts = pdu.parts();
        let smil = std::str::from_utf8(&parts[0].body).unwrap();
        for src in smil_sources(smil) {
            prop_assert!(resolve(parts, src).is_some(), "{} unresolved in {}", src, smil);
        }
        let ids: std::collections::HashSet<_> = parts.iter().map(|p| p.content_id().unwrap().to_owned()).collect();
        prop_assert_eq!(ids.len(), parts.len(), "Content-IDs are unique");
    }
}
