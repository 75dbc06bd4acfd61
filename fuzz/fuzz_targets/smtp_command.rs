#![no_main]
//! Feeds arbitrary bytes to the SMTP listener's state machine: as command
//! lines, and as DATA once a transaction is open. It must never panic, and
//! what DATA reports as consumed must lie within the input.
use ferry_interconnect::smtp::{Action, DataProgress, Policy, Session, parse_command};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let policy = Policy {
        hostname: "mms.a.example".into(),
        max_message_size: 256,
        max_recipients: 4,
        local_domains: vec!["mms.a.example".into()],
        sender_domains: Some(vec!["mms.b.example".into()]),
        starttls: true,
        tls_active: false,
    };
    let mut s = Session::new(policy);
    for line in data.split(|&b| b == b'\n') {
        let _ = parse_command(line);
        if s.in_data() {
            if let DataProgress::Done(n) = s.data(line) {
                assert!(n <= line.len());
                let _ = s.finish_data();
            }
        } else if matches!(s.command(line), Action::Close(_)) {
            return;
        }
    }
    // And the whole input as one DATA stream.
    let mut s = Session::new(Policy {
        max_message_size: 256,
        local_domains: vec!["a".into()],
        max_recipients: 1,
        ..Policy::default()
    });
    s.command(b"HELO x");
    s.command(b"MAIL FROM:<x@y>");
    s.command(b"RCPT TO:<z@a>");
    s.command(b"DATA");
    if let DataProgress::Done(n) = s.data(data) {
        assert!(n <= data.len());
        let _ = s.finish_data();
    }
});
