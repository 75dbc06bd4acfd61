//! `ferry decode [--json] FILE`: decodes the layers of a PDU from the outside
//! in and prints them as text or as one JSON object.
//!
//! The layer list is open: [`decode_layers`] peels one layer at a time (WSP
//! Push, then MMS); SMS TPDUs in front of them (one, or every segment of a
//! concatenated message) are reassembled first by [`crate::decode_sms`], and
//! their datagram is peeled the same way.

use std::io::Read as _;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use ferry_mms::{Body, Header, Pdu, TimeValue};
use ferry_wsp::push::PDU_CONFIRMED_PUSH;
use ferry_wsp::{ContentType, HeaderValue, Part, Push};
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

/// Arguments of `ferry decode`.
#[derive(Debug, clap::Args)]
pub(crate) struct DecodeArgs {
    /// Print one JSON object `{"layers": [...]}` instead of text.
    #[arg(long)]
    json: bool,
    /// What the input is; by default it is recognised: an MMS PDU, a WSP
    /// Push PDU, or SMS TPDUs (several files: the segments of one message).
    #[arg(long = "as", value_enum, default_value_t = InputKind::Auto)]
    kind: InputKind,
    /// The file(s) to decode (`-` for standard input): binary, or hex text.
    /// Several files are the TPDUs of one concatenated SMS, in any order.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// What `ferry decode` is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum InputKind {
    /// Recognise it.
    Auto,
    /// A bare MMS PDU.
    Mms,
    /// A WSP Push PDU.
    Push,
    /// SMS TPDU(s), with or without the SMSC address in front.
    Sms,
}

/// One decoded layer, outermost first.
#[derive(Debug)]
pub(crate) enum Layer<'a> {
    /// A connectionless WSP Push PDU.
    WspPush(Push<'a>),
    /// An MMS PDU.
    Mms(Pdu<'a>),
}

/// Runs the subcommand.
pub(crate) fn run(args: &DecodeArgs) -> anyhow::Result<()> {
    let mut inputs = Vec::with_capacity(args.files.len());
    for file in &args.files {
        let raw = if file.as_os_str() == "-" {
            let mut v = Vec::new();
            std::io::stdin().read_to_end(&mut v).context("reading standard input")?;
            v
        } else {
            std::fs::read(file).with_context(|| format!("reading {}", file.display()))?
        };
        inputs.push(unhex(&raw).unwrap_or(raw));
    }
    let sms = match args.kind {
        InputKind::Sms => true,
        InputKind::Auto if inputs.len() > 1 => true,
        InputKind::Auto => match decode_layers(&inputs[0]) {
            Ok(layers) => return print_layers(args.json, None, &layers),
            // Not an MMS or push PDU: an SMS TPDU, if it decodes as one.
            Err(e) => match crate::decode_sms::decode_sms(&inputs) {
                Ok(l) => return print_sms(args.json, &l),
                Err(sms_err) => return Err(e.context(format!("nor an SMS TPDU ({sms_err:#})"))),
            },
        },
        _ if inputs.len() > 1 => bail!("several inputs are only meaningful as the SMS segments of one message (--as sms)"),
        _ => false,
    };
    if sms {
        let l = crate::decode_sms::decode_sms(&inputs)?;
        return print_sms(args.json, &l);
    }
    let bytes = &inputs[0];
    let layers = match (args.kind, bytes.first()) {
        (InputKind::Mms, Some(&b)) if b != 0x8C => bail!("at byte 0: found octet 0x{b:02X}, expected X-Mms-Message-Type (0x8C)"),
        (InputKind::Push, _) => {
            let push = Push::decode(bytes).map_err(|e| anyhow::anyhow!("not a valid WSP Push PDU: {e}"))?;
            let _ = push;
            decode_push_layers(bytes)?
        }
        _ => decode_layers(bytes)?,
    };
    print_layers(args.json, None, &layers)
}

fn print_sms(json: bool, l: &crate::decode_sms::SmsLayer) -> anyhow::Result<()> {
    // A WAP datagram (ports 2948/9200, or anything that decodes as a push)
    // is peeled further; other SMS (text) end at the SMS layer.
    let inner = match decode_push_layers(&l.payload) {
        Ok(layers) => layers,
        Err(e) if l.wap_ports => {
            return Err(e.context("the reassembled WAP datagram does not decode"));
        }
        Err(_) => Vec::new(),
    };
    print_layers(json, Some(l), &inner)
}

fn print_layers(json: bool, sms: Option<&crate::decode_sms::SmsLayer>, layers: &[Layer<'_>]) -> anyhow::Result<()> {
    if json {
        let mut v = layers_json(layers);
        if let (Some(l), Some(arr)) = (sms, v["layers"].as_array_mut()) {
            arr.insert(0, crate::decode_sms::sms_json(l));
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        if let Some(l) = sms {
            print!("{}", crate::decode_sms::sms_text(l));
        }
        print!("{}", layers_text(layers));
    }
    Ok(())
}

/// Decodes a WSP Push PDU and the MMS PDU inside it.
fn decode_push_layers(bytes: &[u8]) -> anyhow::Result<Vec<Layer<'_>>> {
    let mut layers = Vec::new();
    let push = Push::decode(bytes).map_err(|e| anyhow::anyhow!("not a valid WSP Push PDU: {e}"))?;
    let inner = push.is_mms().then_some(push.body);
    layers.push(Layer::WspPush(push));
    if let Some(body) = inner {
        let base = body.as_ptr() as usize - bytes.as_ptr() as usize;
        let pdu = Pdu::decode(body).map_err(|e| {
            anyhow::anyhow!("the MMS PDU inside the push (from byte {base}) is not valid: {}", e.shifted(base))
        })?;
        layers.push(Layer::Mms(pdu));
    }
    Ok(layers)
}

/// Hex text (white space allowed, an optional `0x` prefix) to bytes; `None`
/// when the input is not hex text.
fn unhex(raw: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(raw).ok()?;
    let text = text.trim();
    let text = text.strip_prefix("0x").unwrap_or(text);
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.is_empty() || !digits.len().is_multiple_of(2) || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    hex::decode(digits).ok()
}

/// Decodes `bytes` into its layers, outermost first. An MMS PDU starts with
/// X-Mms-Message-Type (0x8C); a WSP Push has its PDU type (0x06 or 0x07) in
/// its second octet and, when it is for the MMS user agent, an MMS PDU inside.
pub(crate) fn decode_layers(bytes: &[u8]) -> anyhow::Result<Vec<Layer<'_>>> {
    let mut layers = Vec::new();
    match bytes {
        [0x8C, ..] => {
            let pdu = Pdu::decode(bytes).map_err(|e| anyhow::anyhow!("not a valid MMS PDU: {e}"))?;
            layers.push(Layer::Mms(pdu));
        }
        [_, 0x06 | 0x07, ..] => return decode_push_layers(bytes),
        [] => bail!("at byte 0: the input is empty (expected an MMS PDU or a WSP Push PDU)"),
        [first, rest @ ..] => bail!(
            "not an MMS PDU or a WSP Push PDU: at byte 0 found octet 0x{first:02X}, expected \
             X-Mms-Message-Type (0x8C){}",
            match rest.first() {
                Some(b) => format!("; at byte 1 found octet 0x{b:02X}, expected WSP PDU type Push (0x06) or Confirmed Push (0x07)"),
                None => String::new(),
            }
        ),
    }
    Ok(layers)
}

fn push_pdu_name(p: &Push<'_>) -> &'static str {
    if p.pdu_type == PDU_CONFIRMED_PUSH { "confirmed-push" } else { "push" }
}

fn wsp_value_json(v: &HeaderValue<'_>) -> Value {
    match v {
        HeaderValue::Integer(n) => json!(n),
        other => json!(other.to_text()),
    }
}

/// Push headers: Content-Type first, then the others in wire order. The
/// application id shows as its URI form, Encoding-Version as `1.3`.
fn push_headers(p: &Push<'_>) -> Vec<(String, Value)> {
    let mut out = vec![("Content-Type".to_owned(), json!(p.content_type.to_string()))];
    for h in &p.headers {
        let name = h.name.as_str().into_owned();
        let value = if h.name.is_application_id() {
            p.application_id().map_or_else(|| wsp_value_json(&h.value), |a| json!(a.as_str()))
        } else if h.name.is("Encoding-Version") {
            p.encoding_version().map_or_else(|| wsp_value_json(&h.value), |v| json!(v))
        } else {
            wsp_value_json(&h.value)
        };
        out.push((name, value));
    }
    out
}

/// An MMS header value as JSON: text as Unicode strings, addresses as their
/// full text, numbers as numbers, tokens by their lower-case names, dates in
/// RFC 3339 UTC, relative times as a number of seconds.
fn mms_value_json(h: &Header<'_>) -> Value {
    match h {
        Header::Date(_) => json!(h.value_text()),
        Header::Expiry(t) | Header::DeliveryTime(t) | Header::ReplyChargingDeadline(t) => match t {
            TimeValue::Absolute(_) => json!(t.to_string()),
            TimeValue::Relative(s) => json!(s),
        },
        Header::MessageSize(n)
        | Header::ReplyChargingSize(n)
        | Header::MessageCount(n)
        | Header::Start(n)
        | Header::Limit(n) => json!(n),
        _ => json!(h.value_text()),
    }
}

struct PartInfo {
    content_type: String,
    params: Map<String, Value>,
    content_id: Option<String>,
    content_location: Option<String>,
    transfer_encoding: Option<String>,
    size: usize,
    sha256: String,
}

fn ct_info(ct: &ContentType<'_>) -> (String, Map<String, Value>) {
    let params = ct.params.iter().map(|p| (p.name.to_string(), json!(p.value.to_text()))).collect();
    (ct.media.as_str().into_owned(), params)
}

fn part_info(p: &Part<'_>) -> PartInfo {
    let (content_type, params) = ct_info(&p.content_type);
    let body = p.decoded_body();
    PartInfo {
        content_type,
        params,
        content_id: p.content_id().map(str::to_owned),
        content_location: p.content_location().map(str::to_owned),
        transfer_encoding: p.transfer_encoding().map(str::to_owned),
        size: body.len(),
        sha256: hex::encode(Sha256::digest(&body)),
    }
}

/// The parts of an MMS body: one entry per multipart part (bodies with any
/// transfer encoding undone), or one entry for a single body.
fn mms_parts(pdu: &Pdu<'_>) -> Vec<PartInfo> {
    match &pdu.body {
        Some(Body::Multipart(parts)) => parts.iter().map(part_info).collect(),
        Some(Body::Single(b)) => {
            let (content_type, params) = pdu.content_type().map(ct_info).unwrap_or_default();
            vec![PartInfo {
                content_type,
                params,
                content_id: None,
                content_location: None,
                transfer_encoding: None,
                size: b.len(),
                sha256: hex::encode(Sha256::digest(b)),
            }]
        }
        None => Vec::new(),
    }
}

fn headers_json(h: Vec<(String, Value)>) -> Value {
    Value::Array(h.into_iter().map(|(name, value)| json!({"name": name, "value": value})).collect())
}

fn parts_json(parts: &[PartInfo]) -> Value {
    Value::Array(
        parts
            .iter()
            .map(|p| {
                let mut o = json!({
                    "content_type": p.content_type,
                    "params": p.params,
                    "content_id": p.content_id,
                    "content_location": p.content_location,
                    "size": p.size,
                    "sha256": p.sha256,
                });
                if let Some(te) = &p.transfer_encoding {
                    o["transfer_encoding"] = json!(te);
                }
                o
            })
            .collect(),
    )
}

/// The JSON rendering: `{"layers": [...]}`.
pub(crate) fn layers_json(layers: &[Layer<'_>]) -> Value {
    let arr = layers
        .iter()
        .map(|l| match l {
            Layer::WspPush(p) => json!({
                "layer": "wsp-push",
                "pdu": push_pdu_name(p),
                "tid": p.tid,
                "headers": headers_json(push_headers(p)),
                "parts": [],
                "body_size": p.body.len(),
            }),
            Layer::Mms(pdu) => json!({
                "layer": "mms",
                "pdu": pdu.message_type().map(|t| t.to_string()),
                "headers": headers_json(pdu.headers.iter().map(|h| (h.name().into_owned(), mms_value_json(h))).collect()),
                "parts": parts_json(&mms_parts(pdu)),
            }),
        })
        .collect();
    json!({ "layers": Value::Array(arr) })
}

/// The text rendering: one block per layer, headers in wire order, then parts.
pub(crate) fn layers_text(layers: &[Layer<'_>]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    for l in layers {
        match l {
            Layer::WspPush(p) => {
                let _ = writeln!(s, "wsp-push: {} (TID {}, {} octet(s) of data)", push_pdu_name(p), p.tid, p.body.len());
                for (name, value) in push_headers(p) {
                    let v = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
                    let _ = writeln!(s, "  {name}: {v}");
                }
            }
            Layer::Mms(pdu) => {
                let name = pdu.message_type().map_or_else(|| "?".to_owned(), |t| t.to_string());
                let _ = writeln!(s, "mms: {name}");
                for h in &pdu.headers {
                    let _ = writeln!(s, "  {}: {}", h.name(), h.value_text());
                }
                for (i, p) in mms_parts(pdu).iter().enumerate() {
                    let mut ct = p.content_type.clone();
                    for (k, v) in &p.params {
                        let _ = write!(ct, "; {k}={}", v.as_str().unwrap_or_default());
                    }
                    let _ = writeln!(s, "  part {i}: {ct}");
                    if let Some(id) = &p.content_id {
                        let _ = writeln!(s, "    Content-ID: {id}");
                    }
                    if let Some(loc) = &p.content_location {
                        let _ = writeln!(s, "    Content-Location: {loc}");
                    }
                    if let Some(te) = &p.transfer_encoding {
                        let _ = writeln!(s, "    Content-Transfer-Encoding: {te} (undone below)");
                    }
                    let _ = writeln!(s, "    {} octet(s), sha256 {}", p.size, p.sha256);
                }
            }
        }
    }
    s
}
