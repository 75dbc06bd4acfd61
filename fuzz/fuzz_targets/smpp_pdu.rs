#![no_main]
//! SMPP 3.4 PDUs: cut a frame, decode it; if it decodes, re-encode, decode
//! again and require the same value and stable bytes. Also feed the bytes
//! to a session (both roles) and require that what it sends decodes.
use ferry_smpp::session::{Config, Role, Session};
use ferry_smpp::{FrameDecoder, Pdu};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = Pdu::decode(data) {
        let bytes = p.to_bytes().expect("a decoded PDU re-encodes");
        let p2 = Pdu::decode(&bytes).expect("a re-encoded PDU decodes");
        assert_eq!(p, p2);
        assert_eq!(p2.to_bytes().expect("re-encodes"), bytes);
    }
    if let Ok(Some(frame)) = FrameDecoder::new().next_frame(data) {
        if let Err(e) = frame.decode() {
            let _ = e.rejection(&frame.header);
        }
    }
    let now = std::time::Instant::now();
    for role in [Role::Esme, Role::Smsc] {
        let mut s: Session<()> = Session::new(role, Config::default(), now);
        let _ = s.handle_input(now, data);
        let mut out = Vec::new();
        s.poll_transmit(&mut out);
        let mut rest = &out[..];
        while let Ok(Some(f)) = FrameDecoder::new().next_frame(rest) {
            f.decode().expect("the session sends well-formed PDUs");
            rest = &rest[f.len()..];
        }
        assert!(rest.is_empty());
    }
});
