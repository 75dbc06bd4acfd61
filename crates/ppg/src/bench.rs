//! The load benchmark: PAP pushes per second accepted, SMS submitted, and
//! PAP response latency (p50/p99), driven the same way against any PAP
//! gateway (Ferry's, Kannel's), into an SMPP sink that counts what reaches it.
//!
//! The load generator is a minimal HTTP/1.1 keep-alive client (like wrk: a
//! fixed number of connections, one request in flight on each). Each
//! request is a PAP 2.0 push of an `M-Notification.ind`-shaped body with a
//! unique push-id. The sink accepts any bind, answers every `submit_sm` at
//! once with a fresh message id, and counts segments and whole pushes (the
//! last segment of each concatenated set).

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use ferry_pap::{Address, PushMessage, PushRequestBuilder};
use ferry_smpp::{BindMode, BindResp, Body, FrameDecoder, Pdu, SubmitSmResp, TlvList};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Counters of an SMPP sink.
#[derive(Debug, Default)]
pub struct SinkCounters {
    /// submit_sm received (segments).
    pub segments: AtomicU64,
    /// Whole pushes (single segments plus last segments of sets).
    pub pushes: AtomicU64,
}

/// A running SMPP sink.
#[derive(Debug, Clone)]
pub struct Sink {
    /// Its address.
    pub addr: std::net::SocketAddr,
    /// What it has received.
    pub counters: Arc<SinkCounters>,
}

impl Sink {
    /// Starts a sink on 127.0.0.1 (any port).
    pub async fn start() -> Result<Sink> {
        let l = TcpListener::bind("127.0.0.1:0").await?;
        let addr = l.local_addr()?;
        let counters = Arc::new(SinkCounters::default());
        let c = counters.clone();
        tokio::spawn(async move {
            while let Ok((s, _)) = l.accept().await {
                let _ = s.set_nodelay(true);
                tokio::spawn(sink_conn(s, c.clone()));
            }
        });
        Ok(Sink { addr, counters })
    }

    /// (segments, pushes) so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.counters.segments.load(Ordering::Relaxed), self.counters.pushes.load(Ordering::Relaxed))
    }
}

/// Whether a short_message with UDH is the last segment of its set (or not
/// concatenated).
fn last_segment(sm: &[u8], udhi: bool) -> bool {
    if !udhi || sm.is_empty() {
        return true;
    }
    let udhl = usize::from(sm[0]);
    let Some(h) = sm.get(1..1 + udhl) else { return true };
    let mut i = 0;
    while i + 1 < h.len() {
        let (iei, len) = (h[i], usize::from(h[i + 1]));
        let Some(v) = h.get(i + 2..i + 2 + len) else { return true };
        match iei {
            0x00 if len == 3 => return v[2] == v[1],
            0x08 if len == 4 => return v[3] == v[2],
            _ => {}
        }
        i += 2 + len;
    }
    true
}

async fn sink_conn(mut s: TcpStream, c: Arc<SinkCounters>) {
    let fd = FrameDecoder::new();
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut out: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut next_id: u64 = 0;
    let mut tmp = vec![0u8; 64 * 1024];
    loop {
        let n = match s.read(&mut tmp).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        buf.extend_from_slice(&tmp[..n]);
        let mut used = 0;
        loop {
            let frame = match fd.next_frame(&buf[used..]) {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(_) => return,
            };
            let len = frame.len();
            if let Ok(pdu) = frame.decode() {
                let seq = pdu.sequence_number;
                let resp = match pdu.body {
                    Body::BindTransmitter(_) => Some(BindMode::Transmitter.resp_body(BindResp { system_id: b"sink", tlvs: TlvList::new() })),
                    Body::BindReceiver(_) => Some(BindMode::Receiver.resp_body(BindResp { system_id: b"sink", tlvs: TlvList::new() })),
                    Body::BindTransceiver(_) => Some(BindMode::Transceiver.resp_body(BindResp { system_id: b"sink", tlvs: TlvList::new() })),
                    Body::EnquireLink => Some(Body::EnquireLinkResp),
                    Body::Unbind => Some(Body::UnbindResp),
                    Body::SubmitSm(sm) => {
                        c.segments.fetch_add(1, Ordering::Relaxed);
                        if last_segment(sm.short_message, sm.esm_class.udhi()) {
                            c.pushes.fetch_add(1, Ordering::Relaxed);
                        }
                        next_id += 1;
                        let id = format!("{next_id:x}");
                        let _ = Pdu::new(seq, Body::SubmitSmResp(SubmitSmResp { message_id: id.as_bytes(), tlvs: TlvList::new() })).encode(&mut out);
                        None
                    }
                    _ => None,
                };
                if let Some(body) = resp {
                    let _ = Pdu::new(seq, body).encode(&mut out);
                }
            }
            used += len;
        }
        buf.drain(..used);
        if !out.is_empty() {
            if s.write_all(&out).await.is_err() {
                return;
            }
            out.clear();
        }
    }
}

/// How to load a gateway.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// `host:port` of the gateway.
    pub addr: String,
    /// Path and query of the push URL (`/pap`, `/cgi-bin/wap-push.cgi?username=..`).
    pub path: String,
    /// `Authorization` header value, if any.
    pub authorization: Option<String>,
    /// Connections (one request in flight on each).
    pub connections: usize,
    /// How long to push.
    pub duration: Duration,
    /// Size of the pushed notification in octets (100: one SMS with Ferry,
    /// two with Kannel; 200: two SMS with both).
    pub body_len: usize,
    /// Destination number.
    pub msisdn: String,
    /// A prefix making push-ids unique across runs.
    pub run_id: String,
}

/// What a load run measured.
#[derive(Debug, Clone, Default)]
pub struct LoadResult {
    /// Pushes answered 1001.
    pub accepted: u64,
    /// Pushes answered anything else.
    pub refused: u64,
    /// Transport errors (connection lost, unparsable answer).
    pub errors: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// PAP response latency percentiles (p50, p99).
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// The first refusal's answer, for the report.
    pub first_refusal: Option<String>,
}

impl LoadResult {
    /// Accepted pushes per second.
    pub fn rate(&self) -> f64 {
        self.accepted as f64 / self.elapsed.as_secs_f64()
    }
}

const ID_WIDTH: usize = 40;

/// Runs the load.
pub async fn load(o: &LoadOptions) -> Result<LoadResult> {
    // run_id-connection-counter, the counter up to 10 digits.
    let longest = o.run_id.len() + 2 + o.connections.max(1).to_string().len() + 10;
    if longest > ID_WIDTH {
        bail!("run id {:?} too long: push-ids would pass {ID_WIDTH} characters", o.run_id);
    }
    // A request template with a fixed-width push-id placeholder.
    let placeholder = "#".repeat(ID_WIDTH);
    let mut body = vec![0x8C, 0x82, 0x98];
    body.extend(std::iter::repeat_n(b'x', o.body_len.saturating_sub(4)));
    body.push(0);
    let m = PushMessage::new(placeholder.clone(), Address::new(format!("WAPPUSH={}/TYPE=PLMN", o.msisdn)));
    let req = PushRequestBuilder::new(&m, "application/vnd.wap.mms-message", &body)
        .application_id("x-wap-application:mms.ua")
        .build()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut head = format!("POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n", o.path, o.addr, req.content_type, req.body.len());
    if let Some(a) = &o.authorization {
        head.push_str(&format!("Authorization: {a}\r\n"));
    }
    head.push_str("\r\n");
    let mut template = head.into_bytes();
    template.extend_from_slice(&req.body);
    let at = template.windows(ID_WIDTH).position(|w| w == placeholder.as_bytes()).context("placeholder")?;
    let template = Arc::new((template, at));
    let deadline = Instant::now() + o.duration;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for conn in 0..o.connections {
        let template = template.clone();
        let addr = o.addr.clone();
        let run = o.run_id.clone();
        tasks.push(tokio::spawn(async move { one_connection(conn, &addr, &run, &template.0, template.1, deadline).await }));
    }
    let mut r = LoadResult::default();
    let mut lat: Vec<u32> = Vec::new();
    for t in tasks {
        let (a, f, e, l, first) = t.await?;
        r.accepted += a;
        r.refused += f;
        r.errors += e;
        lat.extend(l);
        if r.first_refusal.is_none() {
            r.first_refusal = first;
        }
    }
    r.elapsed = start.elapsed();
    lat.sort_unstable();
    let pct = |p: f64| lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1))).map_or(Duration::ZERO, |us| Duration::from_micros(u64::from(*us)));
    r.p50 = pct(0.50);
    r.p99 = pct(0.99);
    Ok(r)
}

type ConnResult = (u64, u64, u64, Vec<u32>, Option<String>);

async fn one_connection(conn: usize, addr: &str, run: &str, template: &[u8], at: usize, deadline: Instant) -> ConnResult {
    let (mut acc, mut refused, mut errors) = (0u64, 0u64, 0u64);
    let mut lat = Vec::with_capacity(1 << 16);
    let mut first = None;
    let mut req = template.to_vec();
    let mut n: u64 = 0;
    let mut stream: Option<TcpStream> = None;
    let mut buf = Vec::with_capacity(8192);
    let mut tmp = vec![0u8; 8192];
    let mut id = String::with_capacity(ID_WIDTH);
    while Instant::now() < deadline {
        let s = match &mut stream {
            Some(s) => s,
            None => match TcpStream::connect(addr).await {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    stream.insert(s)
                }
                Err(_) => {
                    errors += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        n += 1;
        id.clear();
        let _ = write!(id, "{run}-{conn}-{n}");
        // Wider than the placeholder would cut the counter off and repeat
        // push-ids: refuse instead (the run_id is too long).
        if id.len() > ID_WIDTH {
            errors += 1;
            first.get_or_insert_with(|| format!("push-id {id:?} is longer than {ID_WIDTH} characters"));
            break;
        }
        let pad = ID_WIDTH - id.len();
        req[at..at + pad].fill(b' ');
        req[at + pad..at + ID_WIDTH].copy_from_slice(id.as_bytes());
        let t0 = Instant::now();
        if s.write_all(&req).await.is_err() {
            errors += 1;
            stream = None;
            continue;
        }
        buf.clear();
        let answer = loop {
            match s.read(&mut tmp).await {
                Ok(0) | Err(_) => break None,
                Ok(k) => buf.extend_from_slice(&tmp[..k]),
            }
            if let Some(end) = find(&buf, b"\r\n\r\n") {
                let head = &buf[..end];
                let cl = header(head, b"content-length").and_then(|v| std::str::from_utf8(v).ok()?.trim().parse::<usize>().ok()).unwrap_or(0);
                if buf.len() >= end + 4 + cl {
                    let close = header(head, b"connection").is_some_and(|v| v.trim_ascii().eq_ignore_ascii_case(b"close"))
                        || head.starts_with(b"HTTP/1.0");
                    break Some((end + 4..end + 4 + cl, close));
                }
            }
        };
        let Some((body, close)) = answer else {
            errors += 1;
            stream = None;
            continue;
        };
        lat.push(t0.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
        let body = &buf[body];
        if find(body, b"\"1001\"").is_some() {
            acc += 1;
        } else {
            refused += 1;
            if first.is_none() {
                first = Some(String::from_utf8_lossy(body).into_owned());
            }
        }
        if close {
            stream = None;
        }
    }
    (acc, refused, errors, lat, first)
}

/// The value of header `name` (lower case) in a response head.
fn header<'a>(head: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    head.split(|&b| b == b'\n').skip(1).find_map(|line| {
        let (k, v) = line.split_at(line.iter().position(|&b| b == b':')?);
        k.eq_ignore_ascii_case(name).then(|| v[1..].trim_ascii())
    })
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

/// Waits until the sink has `want` pushes or nothing arrives for `idle`.
pub async fn drain(sink: &Sink, want: u64, idle: Duration) -> (u64, u64) {
    let mut last = sink.counts();
    let mut since = Instant::now();
    loop {
        let c = sink.counts();
        if c.1 >= want {
            return c;
        }
        if c != last {
            last = c;
            since = Instant::now();
        } else if since.elapsed() > idle {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One target's figures.
#[derive(Debug, Clone)]
pub struct TargetReport {
    /// Name (`ferry`, `kannel`).
    pub name: String,
    /// The load run.
    pub load: LoadResult,
    /// Segments the sink received.
    pub segments: u64,
    /// Pushes the sink received.
    pub pushes_at_sink: u64,
}

impl TargetReport {
    /// A Markdown table row.
    pub fn row(&self, body_len: usize) -> String {
        format!(
            "| {} | {} | {} | {:.0} | {:.0} | {:.1} | {:.1} | {} | {} |",
            self.name,
            body_len,
            self.load.accepted,
            self.load.rate(),
            self.segments as f64 / self.load.elapsed.as_secs_f64(),
            self.load.p50.as_secs_f64() * 1000.0,
            self.load.p99.as_secs_f64() * 1000.0,
            self.pushes_at_sink,
            self.load.accepted.saturating_sub(self.pushes_at_sink),
        )
    }
}

/// Header of the Markdown table [`TargetReport::row`] writes.
pub const TABLE_HEADER: &str = "| gateway | body octets | accepted | pushes/s | SMS/s | PAP p50 ms | PAP p99 ms | pushes at SMSC | lost |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |";

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

/// A Markdown table row (as [`TargetReport::row`]) over several rounds of
/// one target and body size: the median of each rate and latency, the sums
/// of the counts.
pub fn median_row(rounds: &[TargetReport], body_len: usize) -> String {
    let Some(first) = rounds.first() else { return String::new() };
    let m = |f: &dyn Fn(&TargetReport) -> f64| median(rounds.iter().map(f).collect());
    let accepted: u64 = rounds.iter().map(|r| r.load.accepted).sum();
    let at_sink: u64 = rounds.iter().map(|r| r.pushes_at_sink).sum();
    format!(
        "| {} (median of {}) | {} | {} | {:.0} | {:.0} | {:.1} | {:.1} | {} | {} |",
        first.name,
        rounds.len(),
        body_len,
        accepted,
        m(&|r| r.load.rate()),
        m(&|r| r.segments as f64 / r.load.elapsed.as_secs_f64()),
        m(&|r| r.load.p50.as_secs_f64() * 1000.0),
        m(&|r| r.load.p99.as_secs_f64() * 1000.0),
        at_sink,
        accepted.saturating_sub(at_sink),
    )
}

/// Header of the table [`ratio_row`] writes.
pub const RATIO_HEADER: &str = "| body octets | rounds | Ferry ÷ Kannel, pushes/s, per round | lowest | median | rounds at 10× or more |\n| --- | --- | --- | --- | --- | --- |";

/// Ferry's rate over Kannel's, round by round (each pair loaded one right
/// after the other).
pub fn ratio_row(ferry: &[TargetReport], kannel: &[TargetReport], body_len: usize) -> String {
    let ratios: Vec<f64> = ferry.iter().zip(kannel).map(|(f, k)| f.load.rate() / k.load.rate().max(f64::MIN_POSITIVE)).collect();
    let each: Vec<String> = ratios.iter().map(|r| format!("{r:.1}")).collect();
    format!(
        "| {body_len} | {} | {} | {:.1} | {:.1} | {} |",
        ratios.len(),
        each.join(", "),
        ratios.iter().copied().fold(f64::INFINITY, f64::min),
        median(ratios.clone()),
        ratios.iter().filter(|r| **r >= 10.0).count(),
    )
}

/// Loads one target, then waits for its pushes to reach the sink.
pub async fn run_target(name: &str, sink: &Sink, o: &LoadOptions) -> Result<TargetReport> {
    let (s0, p0) = sink.counts();
    let load = load(o).await?;
    if load.accepted == 0 {
        bail!("{name}: no push accepted (refused {}, errors {}); first answer: {:?}", load.refused, load.errors, load.first_refusal);
    }
    let (s1, p1) = drain(sink, p0 + load.accepted, Duration::from_secs(20)).await;
    Ok(TargetReport { name: name.to_owned(), load, segments: s1 - s0, pushes_at_sink: p1 - p0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(name: &str, accepted: u64, at_sink: u64, secs: u64) -> TargetReport {
        TargetReport {
            name: name.into(),
            load: LoadResult { accepted, elapsed: Duration::from_secs(secs), ..LoadResult::default() },
            segments: at_sink,
            pushes_at_sink: at_sink,
        }
    }

    #[test]
    fn medians_and_ratios_over_rounds() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        let ferry = [report("Ferry", 300, 300, 1), report("Ferry", 100, 99, 1), report("Ferry", 200, 200, 1)];
        let kannel = [report("K", 20, 20, 1), report("K", 20, 20, 1), report("K", 10, 10, 1)];
        let row = median_row(&ferry, 60);
        assert_eq!(row, "| Ferry (median of 3) | 60 | 600 | 200 | 200 | 0.0 | 0.0 | 599 | 1 |");
        // Ratios per round: 15, 5, 20.
        assert_eq!(ratio_row(&ferry, &kannel, 60), "| 60 | 3 | 15.0, 5.0, 20.0 | 5.0 | 15.0 | 2 |");
    }

    #[tokio::test]
    async fn a_run_id_too_long_for_the_push_id_is_refused() {
        let o = LoadOptions {
            addr: "127.0.0.1:9".into(),
            path: "/".into(),
            authorization: None,
            connections: 32,
            duration: Duration::from_millis(1),
            body_len: 10,
            msisdn: "+1".into(),
            run_id: "x".repeat(30),
        };
        assert!(load(&o).await.unwrap_err().to_string().contains("too long"));
    }

    #[test]
    fn the_last_segment_of_a_set() {
        assert!(last_segment(b"abc", false));
        // UDH: IEI 0 (8-bit reference), ref 7, 2 parts, part 1 / part 2.
        assert!(!last_segment(&[5, 0, 3, 7, 2, 1, b'x'], true));
        assert!(last_segment(&[5, 0, 3, 7, 2, 2, b'x'], true));
        assert!(last_segment(&[6, 8, 4, 0, 7, 2, 2, b'x'], true));
    }
}
