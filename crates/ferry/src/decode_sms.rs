//! The SMS layer of `ferry decode`: one or more 3GPP TS 23.040 TPDUs (with or
//! without the leading SMSC address of the PDU-mode form), their user data
//! headers, and the datagram their user data reassembles to (normally a WSP
//! Push, whose layers `decode` then peels as usual).

use std::time::Instant;

use anyhow::{anyhow, bail};
use ferry_sms::{
    Address, InformationElement, ReassemblyConfig, Reassembler, Timestamp, Tpdu, UserData,
};
use serde_json::{Value, json};

/// The SMS layer: every segment's fields, and the reassembled datagram.
#[derive(Debug)]
pub(crate) struct SmsLayer {
    /// `sms-deliver`, `sms-submit` or `sms-status-report` (of the first segment).
    pub(crate) pdu: &'static str,
    /// Per segment, in the order given: (name, value) in wire order.
    pub(crate) segments: Vec<Vec<(String, Value)>>,
    /// The user data of all segments joined in sequence order, UDH removed.
    pub(crate) payload: Vec<u8>,
    /// True when the UDH carried WAP application ports 2948/9200 (or 49999).
    pub(crate) wap_ports: bool,
}

fn ts(t: &Timestamp) -> String {
    let sign = if t.tz_quarter_hours < 0 { '-' } else { '+' };
    let q = i32::from(t.tz_quarter_hours).unsigned_abs();
    format!(
        "20{:02}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        t.year, t.month, t.day, t.hour, t.minute, t.second, q / 4, (q % 4) * 15
    )
}

fn addr(a: &Address) -> Value {
    json!(a.to_string())
}

fn udh_fields(ud: &UserData<'_>, out: &mut Vec<(String, Value)>) {
    let Some(h) = &ud.header else { return };
    for ie in &h.elements {
        let (name, v) = match ie {
            InformationElement::Concat8 { reference, total, seq } => (
                "UDH 8-bit concatenation",
                json!({"reference": reference, "total": total, "seq": seq}),
            ),
            InformationElement::Concat16 { reference, total, seq } => (
                "UDH 16-bit concatenation",
                json!({"reference": reference, "total": total, "seq": seq}),
            ),
            InformationElement::Ports8 { dest, src } => {
                ("UDH application ports", json!({"destination": dest, "source": src}))
            }
            InformationElement::Ports16 { dest, src } => {
                ("UDH application ports", json!({"destination": dest, "source": src}))
            }
            InformationElement::Other { iei, data } => {
                ("UDH element", json!({"iei": iei, "data": hex::encode(data)}))
            }
        };
        out.push((name.to_owned(), v));
    }
}

fn segment_fields(smsc: Option<&Address>, t: &Tpdu<'_>) -> (&'static str, Vec<(String, Value)>) {
    let mut f: Vec<(String, Value)> = Vec::new();
    if let Some(s) = smsc {
        f.push(("SMSC".into(), addr(s)));
    }
    let name = match t {
        Tpdu::Deliver(d) => {
            f.push(("TP-OA".into(), addr(&d.originator)));
            f.push(("TP-PID".into(), json!(d.protocol_id.0)));
            f.push(("TP-DCS".into(), json!(d.dcs.0)));
            f.push(("TP-SCTS".into(), json!(ts(&d.timestamp))));
            f.push(("TP-UDL".into(), json!(d.user_data.body.len())));
            udh_fields(&d.user_data, &mut f);
            "sms-deliver"
        }
        Tpdu::Submit(s) => {
            f.push(("TP-MR".into(), json!(s.message_reference)));
            f.push(("TP-DA".into(), addr(&s.destination)));
            f.push(("TP-PID".into(), json!(s.protocol_id.0)));
            f.push(("TP-DCS".into(), json!(s.dcs.0)));
            if let Some(vp) = &s.validity {
                f.push(("TP-VP".into(), json!(format!("{vp:?}"))));
            }
            f.push(("TP-UDL".into(), json!(s.user_data.body.len())));
            udh_fields(&s.user_data, &mut f);
            "sms-submit"
        }
        Tpdu::StatusReport(r) => {
            f.push(("TP-MR".into(), json!(r.message_reference)));
            f.push(("TP-RA".into(), addr(&r.recipient)));
            f.push(("TP-SCTS".into(), json!(ts(&r.sc_timestamp))));
            f.push(("TP-DT".into(), json!(ts(&r.discharge_time))));
            f.push(("TP-ST".into(), json!(r.status.to_string())));
            "sms-status-report"
        }
    };
    (name, f)
}

/// Decodes one TPDU: the PDU-mode form with a leading SMSC address first,
/// then a bare TPDU; the error of the form that got further is reported.
fn decode_tpdu(bytes: &[u8]) -> anyhow::Result<(Option<Address>, Tpdu<'_>)> {
    match Tpdu::decode_with_smsc(bytes) {
        Ok(x) => Ok(x),
        Err(with_smsc) => match Tpdu::decode(bytes) {
            Ok(t) => Ok((None, t)),
            Err(bare) => Err(anyhow!(
                "not an SMS TPDU: as PDU-mode with an SMSC address: {with_smsc}; as a bare TPDU: {bare}"
            )),
        },
    }
}

/// Decodes the inputs as the TPDUs of one (possibly concatenated) message.
pub(crate) fn decode_sms(inputs: &[Vec<u8>]) -> anyhow::Result<SmsLayer> {
    let mut segments = Vec::new();
    let mut pdu = "sms-deliver";
    let mut reassembler: Reassembler<()> = Reassembler::new(ReassemblyConfig::default());
    let now = Instant::now();
    let mut done = None;
    let mut wap_ports = false;
    for (i, input) in inputs.iter().enumerate() {
        let (smsc, t) = decode_tpdu(input).map_err(|e| anyhow!("input {}: {e}", i + 1))?;
        let (name, fields) = segment_fields(smsc.as_ref(), &t);
        if i == 0 {
            pdu = name;
        }
        segments.push(fields);
        let Some(ud) = t.user_data() else { bail!("input {}: this TPDU carries no user data", i + 1) };
        if let Some(p) = ud.header.as_ref().and_then(|h| h.ports()) {
            wap_ports |= p.dest == 2948 || p.dest == 49999;
        }
        match reassembler.handle_user_data(now, (), ud) {
            Ok(Some(r)) => {
                if done.is_some() {
                    bail!("input {}: a second message: give the segments of one message only", i + 1);
                }
                done = Some(r.payload);
            }
            Ok(None) => {}
            Err(e) => bail!("input {}: {e}", i + 1),
        }
    }
    let payload = done.ok_or_else(|| {
        anyhow!("the message is incomplete: segments are missing (give every TPDU of the concatenated message)")
    })?;
    Ok(SmsLayer { pdu, segments, payload, wap_ports })
}

/// JSON of the SMS layer.
pub(crate) fn sms_json(l: &SmsLayer) -> Value {
    let segs: Vec<Value> = l
        .segments
        .iter()
        .map(|f| Value::Array(f.iter().map(|(n, v)| json!({"name": n, "value": v})).collect()))
        .collect();
    json!({
        "layer": "sms",
        "pdu": l.pdu,
        "headers": segs.first().cloned().unwrap_or(Value::Array(vec![])),
        "segments": segs,
        "parts": [],
        "payload_size": l.payload.len(),
    })
}

/// Text of the SMS layer.
pub(crate) fn sms_text(l: &SmsLayer) -> String {
    use std::fmt::Write as _;
    let mut s = format!("sms: {} ({} segment(s), {} octet(s) reassembled)\n", l.pdu, l.segments.len(), l.payload.len());
    for (i, f) in l.segments.iter().enumerate() {
        let _ = writeln!(s, "  segment {}:", i + 1);
        for (n, v) in f {
            let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            let _ = writeln!(s, "    {n}: {v}");
        }
    }
    s
}
