//! `ferry decode` run as a program on corpus files (`FERRY_VECTORS`, default
//! `../shared/vectors`; a missing folder fails): JSON layers and fields, the
//! text form, hex input and standard input, and a non-zero exit with the
//! offset and the expectation on garbage.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn vectors() -> PathBuf {
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

fn ferry(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ferry");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn json(rel: &str) -> Value {
    let path = vectors().join(rel);
    let out = ferry(&["decode", "--json", path.to_str().unwrap()], None);
    assert!(out.status.success(), "{rel}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{rel}: not JSON ({e})"))
}

fn header<'a>(layer: &'a Value, name: &str) -> Option<&'a Value> {
    layer["headers"].as_array().unwrap().iter().find(|h| h["name"] == name).map(|h| &h["value"])
}

#[test]
fn wsp_push_then_mms_notification() {
    let v = json("python-messaging/extracted/test_wap.TestSmsWapPush.data.wsp-push.bin");
    let layers = v["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2);
    let push = &layers[0];
    assert_eq!(push["layer"], "wsp-push");
    assert_eq!(push["pdu"], "push");
    assert_eq!(header(push, "Content-Type").unwrap(), "application/vnd.wap.mms-message");
    assert_eq!(header(push, "X-Wap-Application-Id").unwrap(), "x-wap-application:mms.ua");
    let mms = &layers[1];
    assert_eq!(mms["layer"], "mms");
    assert_eq!(mms["pdu"], "m-notification-ind");
    let names: Vec<&str> = mms["headers"].as_array().unwrap().iter().map(|h| h["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "X-Mms-Message-Type",
            "X-Mms-Transaction-ID",
            "X-Mms-MMS-Version",
            "From",
            "X-Mms-Message-Class",
            "X-Mms-Message-Size",
            "X-Mms-Expiry",
            "X-Mms-Content-Location"
        ]
    );
    assert_eq!(header(mms, "X-Mms-Message-Type").unwrap(), "m-notification-ind");
    assert_eq!(header(mms, "X-Mms-Transaction-ID").unwrap(), "NOK5CiKcoTMYSG4MBSwAAsKv14FUHAAAAAAAA");
    assert_eq!(header(mms, "X-Mms-MMS-Version").unwrap(), "1.0");
    assert_eq!(header(mms, "From").unwrap(), "+447785342749/TYPE=PLMN");
    assert_eq!(header(mms, "X-Mms-Message-Class").unwrap(), "personal");
    assert_eq!(header(mms, "X-Mms-Message-Size").unwrap(), 29696);
    assert_eq!(header(mms, "X-Mms-Expiry").unwrap(), 72000);
    assert_eq!(
        header(mms, "X-Mms-Content-Location").unwrap(),
        "http://promms/servlets/NOK5CiKcoTMYSG4MBSwAAsKv14FUHAAAAAAAA"
    );
    assert_eq!(mms["parts"].as_array().unwrap().len(), 0);
}

#[test]
fn bare_notification_with_unicode_subject_and_absolute_expiry() {
    let v = json("sailfishos-mms-engine/test_retrieve/Success1/m-notification.ind");
    let layers = v["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 1);
    assert_eq!(header(&layers[0], "Subject").unwrap(), "Питер");
    assert_eq!(header(&layers[0], "X-Mms-Delivery-Report").unwrap(), "yes");
    let v = json("sailfishos-mms-engine/test_mms_codec/m-notification_4.ind");
    assert_eq!(header(&v["layers"][0], "X-Mms-Expiry").unwrap(), "2016-11-14T22:02:18Z");
}

#[test]
fn retrieve_conf_parts() {
    let v = json("sailfishos-mms-engine/test_retrieve/Success1/m-retrieve.conf");
    let mms = &v["layers"][0];
    assert_eq!(mms["pdu"], "m-retrieve-conf");
    assert!(header(mms, "Date").unwrap().as_str().unwrap().ends_with('Z'));
    assert!(header(mms, "Content-Type").unwrap().as_str().unwrap().starts_with("application/vnd.wap.multipart.related"));
    let parts = mms["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 5);
    assert_eq!(parts[0]["content_type"], "application/smil");
    assert_eq!(parts[0]["params"]["charset"], "utf-8");
    assert_eq!(parts[0]["content_id"], "<0>");
    assert_eq!(parts[0]["content_location"], "0.smil");
    assert_eq!(parts[2]["content_type"], "image/jpeg");
    assert_eq!(parts[2]["size"], 44022);
    assert_eq!(parts[2]["sha256"], "dc50451a9a989887ecd9f9cc891887757318e00a683f5879df14672a8b8e4938");

    // The base64 part reports its decoded size and digest (= parts/2.txt).
    let v = json("sailfishos-mms-engine/test_retrieve/Base64/m-retrieve.conf");
    let p = &v["layers"][0]["parts"][2];
    assert_eq!(p["transfer_encoding"], "base64");
    assert_eq!(p["size"], 39);
    assert_eq!(p["sha256"], "783d198ee7bfa3f3366f7e564eeaff01009637924930f6f64e11d337bcb8c17c");

    // A single (non-multipart) body is one part.
    let v = json("sailfishos-mms-engine/test_mms_codec/m-retrieve_5.conf");
    let mms = &v["layers"][0];
    assert_eq!(header(mms, "X-Mms-Retrieve-Status").unwrap(), "error-permanent-message-not-found");
    assert_eq!(mms["parts"][0]["content_type"], "text/plain");
}

#[test]
fn text_output_hex_input_and_stdin() {
    let path = vectors().join("sailfishos-mms-engine/test_mms_codec/m-send_1.conf");
    let out = ferry(&["decode", path.to_str().unwrap()], None);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("mms: m-send-conf\n"), "{text}");
    assert!(text.contains("  X-Mms-Response-Status: ok\n"), "{text}");
    assert!(text.contains("  Message-ID: BIR5LJHVQTGK1\n"), "{text}");

    let bytes = std::fs::read(&path).unwrap();
    let hex_text = format!("{}\n", hex::encode(&bytes));
    let out = ferry(&["decode", "--json", "-"], Some(hex_text.as_bytes()));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["layers"][0]["pdu"], "m-send-conf");
    assert_eq!(header(&v["layers"][0], "Message-ID").unwrap(), "BIR5LJHVQTGK1");

    let out = ferry(&["decode", "-"], Some(&bytes));
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), text);
}

#[test]
fn garbage_fails_with_offset_and_expectation() {
    for rel in [
        "sailfishos-mms-engine/test_retrieve/GarbagePush/garbage",
        "sailfishos-mms-engine/test_retrieve/NotFound/not-found.html",
    ] {
        let path = vectors().join(rel);
        for json in [true, false] {
            let mut args = vec!["decode"];
            if json {
                args.push("--json");
            }
            args.push(path.to_str().unwrap());
            let out = ferry(&args, None);
            assert!(!out.status.success(), "{rel}");
            assert!(out.stdout.is_empty(), "{rel}");
            let err = String::from_utf8(out.stderr).unwrap();
            assert!(err.contains("at byte 0"), "{rel}: {err}");
            assert!(err.contains("expected X-Mms-Message-Type (0x8C)"), "{rel}: {err}");
            assert!(err.contains("Push (0x06)"), "{rel}: {err}");
        }
    }
    // A truncated PDU names the offset and the field inside the PDU.
    let mut bytes = std::fs::read(vectors().join("sailfishos-mms-engine/test_mms_codec/m-notification_1.ind")).unwrap();
    bytes.truncate(10);
    let out = ferry(&["decode", "-"], Some(&bytes));
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("at byte 3 (X-Mms-Transaction-ID): string has no terminating NUL"), "{err}");
    // A missing file is an error too.
    let out = ferry(&["decode", "/nonexistent/file"], None);
    assert!(!out.status.success());
}

fn json_many(rels: &[&str]) -> Value {
    let paths: Vec<String> = rels.iter().map(|r| vectors().join(r).to_str().unwrap().to_owned()).collect();
    let mut args = vec!["decode", "--json"];
    args.extend(paths.iter().map(String::as_str));
    let out = ferry(&args, None);
    assert!(out.status.success(), "{rels:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

const EXTRACTED: &str = "python-messaging/extracted/";

/// SOURCES.md §3: two SMS-DELIVER TPDUs (PDU-mode, SMSC first) with 16-bit
/// concatenation ref 40846 and ports 2948 → 9200, reassembling into a WSP push
/// of an M-Notification.ind. Given in reverse order to show reassembly.
#[test]
fn sms_deliver_pair_decodes_to_the_notification() {
    for (set, reference, originator, tid, from, expiry) in [
        ("set1", 40846, "88850100000018", "NOK5CiKcoTMYSG4MBSwAAsKv14FUHAAAAAAAA", "+447785342749/TYPE=PLMN", 72000),
        ("set2", 57299, "88850100000008", "NOK5A1ZdFTMYSG4O3VQAAsJv94GoNAAAAAAAA", "+447717275049/TYPE=PLMN", 259199),
    ] {
        let p1 = format!("{EXTRACTED}test_wap.test_decoding_m_notification_ind.{set}.part1.sms-deliver.bin");
        let p2 = format!("{EXTRACTED}test_wap.test_decoding_m_notification_ind.{set}.part2.sms-deliver.bin");
        let v = json_many(&[&p2, &p1]);
        let layers = v["layers"].as_array().unwrap();
        assert_eq!(layers.len(), 3, "{set}: sms, wsp-push, mms");
        let sms = &layers[0];
        assert_eq!(sms["layer"], "sms");
        assert_eq!(sms["pdu"], "sms-deliver");
        let segs = sms["segments"].as_array().unwrap();
        assert_eq!(segs.len(), 2);
        for (seg, seq) in segs.iter().zip([2, 1]) {
            let f = |n: &str| seg.as_array().unwrap().iter().find(|h| h["name"] == n).map(|h| h["value"].clone());
            if set == "set1" {
                assert_eq!(f("SMSC").unwrap(), "+447785016005");
            }
            assert_eq!(f("TP-OA").unwrap().as_str().unwrap().trim_start_matches('+'), originator);
            let c = f("UDH 16-bit concatenation").expect("16-bit concat IE");
            assert_eq!(c["reference"], reference);
            assert_eq!(c["total"], 2);
            assert_eq!(c["seq"], seq);
            let p = f("UDH application ports").unwrap();
            assert_eq!((p["destination"].as_u64(), p["source"].as_u64()), (Some(2948), Some(9200)));
        }
        assert_eq!(layers[1]["layer"], "wsp-push");
        let mms = &layers[2];
        assert_eq!(mms["pdu"], "m-notification-ind");
        assert_eq!(header(mms, "X-Mms-Transaction-ID").unwrap(), tid);
        assert_eq!(header(mms, "From").unwrap(), from);
        assert_eq!(header(mms, "X-Mms-Message-Class").unwrap(), "personal");
        assert_eq!(header(mms, "X-Mms-Message-Size").unwrap(), 29696);
        assert_eq!(header(mms, "X-Mms-Expiry").unwrap(), expiry);
        assert_eq!(
            header(mms, "X-Mms-Content-Location").unwrap().as_str().unwrap(),
            format!("http://promms/servlets/{tid}")
        );
    }
}

/// The generic (non-MMS) push: ports then 8-bit concatenation ref 150; the
/// push is a Service Indication, so decoding stops at the WSP layer.
#[test]
fn sms_generic_push_is_not_mms() {
    let v = json_many(&[
        &format!("{EXTRACTED}test_wap.test_decoding_generic_wap_push.set1.part1.sms-deliver.bin"),
        &format!("{EXTRACTED}test_wap.test_decoding_generic_wap_push.set1.part2.sms-deliver.bin"),
    ]);
    let layers = v["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2, "sms and wsp-push only");
    let seg = layers[0]["segments"][0].as_array().unwrap();
    let f = |n: &str| seg.iter().find(|h| h["name"] == n).map(|h| h["value"].clone());
    assert_eq!(f("SMSC").unwrap(), "+491722270541");
    let c = f("UDH 8-bit concatenation").unwrap();
    assert_eq!((c["reference"].as_u64(), c["total"].as_u64()), (Some(150), Some(2)));
    assert_eq!(layers[1]["layer"], "wsp-push");
    assert_ne!(header(&layers[1], "Content-Type").unwrap(), "application/vnd.wap.mms-message");
}

/// A single segment of a two-part message is incomplete: a clear error.
#[test]
fn sms_missing_segment_is_an_error() {
    let p = vectors().join(format!("{EXTRACTED}test_wap.test_decoding_m_notification_ind.set1.part1.sms-deliver.bin"));
    let out = ferry(&["decode", "--as", "sms", p.to_str().unwrap()], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("incomplete"), "{err}");
    // Auto-detection of a lone TPDU reaches the same answer.
    let out = ferry(&["decode", p.to_str().unwrap()], None);
    assert!(!out.status.success());
}
