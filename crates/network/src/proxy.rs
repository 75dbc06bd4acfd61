//! The operator's MMS proxy: every phone reaches the MMSC through it (as
//! real phones reach theirs through the operator's WAP/MMS proxy). It
//! forwards each request to the MMSC unchanged and records what went by —
//! the MMS PDU's type, its size, the answer and how long it took — in the
//! timeline. For tests it can refuse the next GETs (HTTP 503), as a flaky
//! radio link would.
//!
//! A request in proxy form (`GET http://other-mmsc/m/TOKEN`, as a phone
//! sends it through its MMS proxy) is passed on in proxy form, so the MMSC
//! sees which server the phone asked for: its own, or a peer operator's
//! (sender-hosted retrieval, which the MMSC fetches for the phone or
//! refuses).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use ferry_mms::{MessageType, Pdu};
use ferry_service::Shutdown;
use tokio::net::TcpListener;

use crate::trace::{Step, Tracer};

/// Largest request or answer the proxy carries, octets.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Phone names by MSISDN, for readable timelines.
pub type Names = Arc<HashMap<String, String>>;

/// Who `msisdn` is: the phone's name, or the number.
pub fn label(names: &Names, msisdn: &str) -> String {
    names
        .get(msisdn)
        .cloned()
        .unwrap_or_else(|| msisdn.to_owned())
}

#[derive(Debug)]
struct ProxyState {
    operator: Arc<str>,
    upstream: SocketAddr,
    http: reqwest::Client,
    /// Sends requests to the MMSC in proxy form (the MMSC as HTTP proxy).
    via_mmsc: reqwest::Client,
    tracer: Tracer,
    names: Names,
    identity_header: HeaderName,
    fail_gets: AtomicU32,
}

/// A running proxy.
#[derive(Debug, Clone)]
pub struct Proxy {
    addr: SocketAddr,
    state: Arc<ProxyState>,
}

impl Proxy {
    /// Serves on `listener`, forwarding to the MMSC at `upstream`, until
    /// `shutdown`.
    pub fn start(
        operator: Arc<str>,
        listener: TcpListener,
        upstream: SocketAddr,
        tracer: Tracer,
        names: Names,
        shutdown: Shutdown,
    ) -> anyhow::Result<Self> {
        ferry_service::tls::install_ring_provider();
        let addr = listener.local_addr()?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(256)
            .build()
            .map_err(|e| anyhow::anyhow!("building the proxy's HTTP client: {e}"))?;
        let via_mmsc = reqwest::Client::builder()
            .proxy(
                reqwest::Proxy::all(format!("http://{upstream}"))
                    .map_err(|e| anyhow::anyhow!("the MMSC as proxy: {e}"))?,
            )
            .pool_max_idle_per_host(256)
            .build()
            .map_err(|e| anyhow::anyhow!("building the proxy's HTTP client: {e}"))?;
        let state = Arc::new(ProxyState {
            operator,
            upstream,
            http,
            via_mmsc,
            tracer,
            names,
            identity_header: HeaderName::from_static("x-msisdn"),
            fail_gets: AtomicU32::new(0),
        });
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(state.clone());
        tokio::spawn(async move {
            let serve = axum::serve(listener, app)
                .with_graceful_shutdown(async move { shutdown.wait().await });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "MMS proxy failed");
            }
        });
        Ok(Self { addr, state })
    }

    /// Where the phones reach it.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Answers the next `n` GETs with HTTP 503 instead of forwarding them.
    pub fn fail_next_gets(&self, n: u32) {
        self.state.fail_gets.store(n, Ordering::SeqCst);
    }
}

fn pdu_step(t: Option<MessageType>) -> Step {
    match t {
        Some(MessageType::SEND_REQ) => Step::SendReq,
        Some(MessageType::NOTIFYRESP_IND) => Step::NotifyResp,
        Some(MessageType::ACKNOWLEDGE_IND) => Step::Acknowledge,
        Some(MessageType::READ_REC_IND) => Step::ReadRec,
        _ => Step::Mm1,
    }
}

/// A few words on a PDU: transaction id, status.
fn describe(p: &Pdu<'_>) -> String {
    let mut w = Vec::new();
    if let Some(t) = p.message_type()
        && pdu_step(Some(t)) == Step::Mm1
    {
        w.push(t.to_string());
    }
    if let Some(s) = p.status() {
        w.push(format!("status {s}"));
    }
    if let Some(s) = p.response_status() {
        w.push(format!("{s}"));
    }
    if let Some(s) = p.retrieve_status() {
        w.push(format!("{s}"));
    }
    if let Some(m) = p.message_id() {
        w.push(format!("message id {m}"));
    }
    if let Some(t) = p.transaction_id() {
        w.push(format!("tid {t}"));
    }
    w.join(", ")
}

fn is_hop_by_hop(n: &HeaderName) -> bool {
    matches!(
        n.as_str(),
        "connection"
            | "proxy-connection"
            | "keep-alive"
            | "transfer-encoding"
            | "te"
            | "trailer"
            | "upgrade"
            | "host"
            | "content-length"
            | "proxy-authorization"
    )
}

async fn forward(State(p): State<Arc<ProxyState>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let started = Instant::now();
    let who = parts
        .headers
        .get(&p.identity_header)
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| "phone".to_owned(), |m| label(&p.names, m));
    // Proxy form: the whole URL the phone asked for.
    let absolute = parts.uri.scheme().is_some() && parts.uri.authority().is_some();
    let path = if absolute {
        parts.uri.to_string()
    } else {
        parts
            .uri
            .path_and_query()
            .map_or("/", |x| x.as_str())
            .to_owned()
    };
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => {
            p.tracer.now(
                &p.operator,
                Step::Failed,
                format!("{who} → proxy"),
                None,
                None,
                format!("request body: {e}"),
            );
            return (StatusCode::BAD_REQUEST, "bad request body").into_response();
        }
    };
    let get = parts.method == Method::GET;
    let req_step = if get {
        p.tracer.now(
            &p.operator,
            Step::Get,
            format!("{who} → MMSC"),
            None,
            None,
            path.clone(),
        );
        Step::Get
    } else {
        let (step, detail) = match Pdu::decode(&body) {
            Ok(pdu) => (pdu_step(pdu.message_type()), describe(&pdu)),
            Err(e) => (
                Step::Mm1,
                format!("{} {path}: not an MMS PDU ({e})", parts.method),
            ),
        };
        p.tracer.now(
            &p.operator,
            step.clone(),
            format!("{who} → MMSC"),
            Some(body.len()),
            None,
            detail,
        );
        step
    };
    if get {
        let left = p.fail_gets.load(Ordering::SeqCst);
        if left > 0
            && p.fail_gets
                .compare_exchange(left, left - 1, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        {
            p.tracer.now(
                &p.operator,
                Step::Failed,
                format!("proxy → {who}"),
                None,
                Some(started.elapsed()),
                "GET refused by the proxy (injected fault): HTTP 503",
            );
            return (StatusCode::SERVICE_UNAVAILABLE, "injected fault").into_response();
        }
    }
    let mut out = if absolute {
        p.via_mmsc.request(parts.method.clone(), &path).body(body)
    } else {
        let url = format!("http://{}{path}", p.upstream);
        p.http.request(parts.method.clone(), &url).body(body)
    };
    for (n, v) in &parts.headers {
        if !is_hop_by_hop(n) {
            out = out.header(n, v);
        }
    }
    let resp = match out.send().await {
        Ok(r) => r,
        Err(e) => {
            p.tracer.now(
                &p.operator,
                Step::Failed,
                format!("MMSC → {who}"),
                None,
                Some(started.elapsed()),
                format!("MMSC unreachable: {e}"),
            );
            return (StatusCode::BAD_GATEWAY, "MMSC unreachable").into_response();
        }
    };
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = match resp.bytes().await {
        Ok(b) => b,
        Err(e) => {
            p.tracer.now(
                &p.operator,
                Step::Failed,
                format!("MMSC → {who}"),
                None,
                Some(started.elapsed()),
                format!("reading the answer: {e}"),
            );
            return (StatusCode::BAD_GATEWAY, "MMSC answer broken").into_response();
        }
    };
    let took = Some(started.elapsed());
    let (ans_step, detail) = match Pdu::decode(&bytes) {
        Ok(pdu) if !bytes.is_empty() => {
            let step = match (req_step, pdu.message_type()) {
                (_, Some(MessageType::SEND_CONF)) => Step::SendConf,
                (_, Some(MessageType::RETRIEVE_CONF)) => Step::RetrieveConf,
                (Step::Get, _) => Step::RetrieveConf,
                _ => Step::Mm1,
            };
            (
                step,
                format!("HTTP {}, {}", status.as_u16(), describe(&pdu)),
            )
        }
        _ => {
            let step = if req_step == Step::Get {
                Step::RetrieveConf
            } else {
                Step::Mm1
            };
            (step, format!("HTTP {}", status.as_u16()))
        }
    };
    let ans_step = if status.is_server_error() {
        Step::Failed
    } else {
        ans_step
    };
    p.tracer.now(
        &p.operator,
        ans_step,
        format!("MMSC → {who}"),
        Some(bytes.len()),
        took,
        detail,
    );
    let mut r = Response::new(Body::from(bytes));
    *r.status_mut() = status;
    for (n, v) in &headers {
        if !is_hop_by_hop(n) {
            r.headers_mut().insert(
                n.clone(),
                HeaderValue::from_bytes(v.as_bytes())
                    .unwrap_or_else(|_| HeaderValue::from_static("")),
            );
        }
    }
    r
}
