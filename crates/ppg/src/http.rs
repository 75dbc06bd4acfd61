//! The HTTP side: PAP requests in, PAP documents out (answered on hyper
//! directly, the gateway's hot path), plus `/metrics` and `/healthz`
//! (axum).
//!
//! | request | answer |
//! | --- | --- |
//! | `POST /pap`, `POST /cgi-bin/wap-push.cgi` with `multipart/related` | `push-response` (HTTP 202 on 1001, 200 otherwise) |
//! | the same with `application/xml` `statusquery-message` / `cancel-message` | `statusquery-response` / `cancel-response` |
//! | anything unparsable | `badmessage-response` 2000 (or 2002, 3006) with the byte offset and field at fault |
//! | no or wrong credentials | HTTP 401 with a `badmessage-response` 2001 |
//! | a client address the initiator may not push from | HTTP 403 with a `badmessage-response` 2001 |

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode as Http, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use ferry_pap::{
    Address, BadMessageResponse, CancelResponse, CancelResult, Document, Message, MessageState, PapVersion,
    PushResponse, Request, StatusCode, StatusQueryResponse, StatusQueryResult, Timestamp,
};

use crate::config::{Config, IpNet};
use crate::gateway::{Content, Gateway, Refusal, now, state_code};
use crate::store::State as PushState;

/// One initiator's credentials and allowed client addresses.
#[derive(Debug, Clone)]
struct Initiator {
    name: Arc<str>,
    username: String,
    password: String,
    allowed: Vec<IpNet>,
    /// `Basic <base64(username:password)>`: the Authorization header an
    /// initiator sends, compared as it is before anything is decoded.
    basic: String,
}

/// Who may push.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    initiators: Vec<Initiator>,
    anonymous: Option<Vec<IpNet>>,
}

impl Auth {
    /// From the configuration.
    pub fn from_config(c: &Config) -> Self {
        Self {
            initiators: c
                .initiators
                .iter()
                .map(|i| Initiator {
                    name: i.name.as_str().into(),
                    username: i.username.clone(),
                    password: i.password.clone(),
                    allowed: i.allowed_addresses.clone(),
                    basic: basic_header(&i.username, &i.password),
                })
                .collect(),
            anonymous: c.anonymous.as_ref().map(|a| a.allowed_addresses.clone()),
        }
    }

    /// Decides who is pushing from the request's Authorization header or
    /// query: an Authorization header written exactly as an initiator's is
    /// matched as it is (the common case: nothing to decode or copy);
    /// anything else goes through [`Auth::check`].
    fn check_request(&self, peer: SocketAddr, headers: &HeaderMap, query: Option<&str>) -> Result<Arc<str>, (Http, String)> {
        if let Some(v) = headers.get(header::AUTHORIZATION)
            && let Some(i) = self.initiators.iter().find(|i| constant_eq(&i.basic, v.as_bytes()))
        {
            return i.admit(peer);
        }
        self.check(peer, credentials(headers, query))
    }

    /// Decides who is pushing: the initiator's name, or the HTTP status and
    /// the reason.
    fn check(&self, peer: SocketAddr, creds: Option<(String, String)>) -> Result<Arc<str>, (Http, String)> {
        let ip = peer.ip();
        match creds {
            None => match &self.anonymous {
                Some(nets) if nets.iter().any(|n| n.contains(ip)) => Ok(Arc::from("anonymous")),
                Some(_) => Err((Http::FORBIDDEN, format!("anonymous pushes are not accepted from {ip}"))),
                None => Err((Http::UNAUTHORIZED, "credentials required (HTTP Basic, or ?username=&password=)".into())),
            },
            Some((user, pass)) => {
                let Some(i) = self.initiators.iter().find(|i| i.username == user && constant_eq(&i.password, &pass)) else {
                    return Err((Http::UNAUTHORIZED, "unknown user name or wrong password".into()));
                };
                i.admit(peer)
            }
        }
    }
}

impl Initiator {
    /// This initiator's name, if it may push from `peer`.
    fn admit(&self, peer: SocketAddr) -> Result<Arc<str>, (Http, String)> {
        let ip = peer.ip();
        if !self.allowed.is_empty() && !self.allowed.iter().any(|n| n.contains(ip)) {
            return Err((Http::FORBIDDEN, format!("initiator {:?} may not push from {ip}", &*self.name)));
        }
        Ok(self.name.clone())
    }
}

fn constant_eq(a: &str, b: impl AsRef<[u8]>) -> bool {
    let b = b.as_ref();
    a.len() == b.len() && a.bytes().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn basic_header(username: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}")))
}

#[derive(Clone)]
struct App {
    gw: Gateway,
    /// `ppg_requests_total{answer="1001"}`.
    accepted: metrics::Counter,
    auth: Arc<Auth>,
    metrics: metrics_handle::Handle,
    /// The body limit (for the refusal's text).
    max_body: usize,
}

mod metrics_handle {
    /// The Prometheus text renderer.
    pub(super) type Handle = std::sync::Arc<dyn Fn() -> String + Send + Sync>;
}

/// The PAP routes, answered on hyper directly (see [`ferry_service::http::Direct`]):
/// the push path is the gateway's hot path, and the router's boxing,
/// extractors and header-map copy cost about as much as parsing the PAP
/// request (docs/PERFORMANCE.md).
struct PapRoutes(App);

impl ferry_service::http::Direct for PapRoutes {
    fn takes(&self, _method: &axum::http::Method, path: &str) -> bool {
        path == "/pap" || path == "/cgi-bin/wap-push.cgi"
    }

    fn call(
        &self,
        req: hyper::Request<ferry_service::http::RequestBody>,
        peer: SocketAddr,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>> {
        if req.method() != axum::http::Method::POST {
            // As a router's POST-only route answers.
            let mut r = Response::new(axum::body::Body::empty());
            *r.status_mut() = Http::METHOD_NOT_ALLOWED;
            r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
            return Box::pin(std::future::ready(r));
        }
        let app = self.0.clone();
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            pap(&app, peer, parts.uri.query(), &parts.headers, body).await
        })
    }
}

/// The gateway's HTTP service: `POST /pap` and `POST /cgi-bin/wap-push.cgi`
/// (PAP), `GET /metrics`, `GET /healthz`.
pub fn router(gw: Gateway, auth: Auth, max_body: usize) -> ferry_service::http::Service {
    let handle = ferry_service::telemetry::metrics();
    let app = App {
        gw,
        accepted: metrics::counter!("ppg_requests_total", "answer" => "1001"),
        auth: Arc::new(auth),
        metrics: Arc::new(move || handle.render()),
        max_body,
    };
    let router = Router::new()
        .route("/metrics", get(render_metrics))
        .route("/healthz", get(healthz))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(app.clone());
    ferry_service::http::Service { router, direct: Some(Arc::new(PapRoutes(app))) }
}

/// Serves `router` on `listener` over plain HTTP with the default `[http]`
/// limits until `shutdown` fires (in-flight requests finish).
pub async fn serve(listener: tokio::net::TcpListener, router: ferry_service::http::Service, shutdown: ferry_service::Shutdown) -> std::io::Result<()> {
    let opts = ferry_service::http::ServeOptions::new("ppg", &ferry_service::http::HttpLimits::default(), 0, None);
    ferry_service::http::serve(listener, router, opts, shutdown).await
}

/// Serves `router` on `listener` with these options (TLS, timeouts,
/// per-address connection limit) until `shutdown` fires.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    router: ferry_service::http::Service,
    opts: ferry_service::http::ServeOptions,
    shutdown: ferry_service::Shutdown,
) -> std::io::Result<()> {
    ferry_service::http::serve(listener, router, opts, shutdown).await
}

async fn render_metrics(State(app): State<App>) -> Response {
    metrics::gauge!("ppg_queue_depth").set(app.gw.queue_depth() as f64);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], (app.metrics)()).into_response()
}

async fn healthz() -> &'static str {
    "ok\n"
}

fn xml(status: Http, body: String) -> Response {
    let mut r = Response::new(axum::body::Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    r
}

fn bad_message(status: Http, code: StatusCode, desc: String, fragment: Option<String>, version: PapVersion) -> Response {
    metrics::counter!("ppg_requests_total", "answer" => code.0.to_string()).increment(1);
    let mut b = BadMessageResponse::new(code);
    b.desc = Some(desc);
    b.bad_message_fragment = fragment;
    let mut r = xml(status, b.to_xml(version));
    if status == Http::UNAUTHORIZED {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"ppg\""));
    }
    r
}

fn credentials(headers: &HeaderMap, query: Option<&str>) -> Option<(String, String)> {
    if let Some(v) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
        && let Some(b64) = v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic "))
        && let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64.trim())
        && let Ok(s) = String::from_utf8(raw)
        && let Some((u, p)) = s.split_once(':')
    {
        return Some((u.to_owned(), p.to_owned()));
    }
    let q = query?;
    let mut user = None;
    let mut pass = None;
    for pair in q.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "username" => user = Some(percent_decode(v)),
            "password" => pass = Some(percent_decode(v)),
            _ => {}
        }
    }
    Some((user?, pass.unwrap_or_default()))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

fn fragment(body: &[u8], offset: usize) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    let start = offset.min(body.len().saturating_sub(1)).saturating_sub(40);
    let end = (start + 120).min(body.len());
    Some(String::from_utf8_lossy(&body[start..end]).into_owned())
}

fn push_response(app: &App, push_id: &str, code: StatusCode, desc: Option<String>, version: PapVersion) -> Response {
    if code == StatusCode::ACCEPTED_FOR_PROCESSING {
        app.accepted.increment(1);
    } else {
        metrics::counter!("ppg_requests_total", "answer" => code.0.to_string()).increment(1);
    }
    let mut r = PushResponse::new(push_id, code);
    r.sender_name = Some(app.gw.sender_name().to_owned());
    r.reply_time = Timestamp::from_unix(now());
    if desc.is_some() {
        r.result.desc = desc;
    }
    let status = if code == StatusCode::ACCEPTED_FOR_PROCESSING { Http::ACCEPTED } else { Http::OK };
    xml(status, r.to_xml(version))
}

async fn pap(app: &App, peer: SocketAddr, query: Option<&str>, headers: &HeaderMap, body: ferry_service::http::RequestBody) -> Response {
    let initiator = match app.auth.check_request(peer, headers, query) {
        Ok(i) => i,
        Err((status, why)) => {
            tracing::warn!(%peer, why, "PAP request refused");
            let mut r = bad_message(status, StatusCode::FORBIDDEN, why, None, PapVersion::V2_0);
            // The body was not read: do not keep the connection.
            r.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            return r;
        }
    };
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    let body = match declared {
        // Announced too large: refused before any of it is read.
        Some(d) if d > app.max_body as u64 => Err(None),
        // Read while it streams, refused as soon as it passes the limit.
        _ => http_body_util::BodyExt::collect(http_body_util::Limited::new(body, app.max_body)).await.map(|c| c.to_bytes()).map_err(Some),
    };
    let body: Bytes = match body {
        Ok(b) => b,
        Err(e) => {
            let too_large = e.as_ref().is_none_or(|e| {
                let mut src: Option<&(dyn std::error::Error + 'static)> = Some(&**e);
                while let Some(s) = src {
                    if s.is::<http_body_util::LengthLimitError>() {
                        return true;
                    }
                    src = s.source();
                }
                false
            });
            let e = e.map(|e| e.to_string()).unwrap_or_else(|| "Content-Length over the limit".into());
            tracing::info!(%peer, error = %e, "PAP request body refused");
            let (status, desc) = if too_large {
                (Http::PAYLOAD_TOO_LARGE, format!("request larger than {} octets", app.max_body))
            } else {
                (Http::BAD_REQUEST, format!("request body broken off or stalled: {e}"))
            };
            let mut r = bad_message(status, StatusCode::BAD_REQUEST, desc, None, PapVersion::V2_0);
            r.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            return r;
        }
    };
    let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return bad_message(
            Http::OK,
            StatusCode::BAD_REQUEST,
            "no Content-Type: a push is multipart/related, other PAP requests application/xml".into(),
            None,
            PapVersion::V2_0,
        );
    };
    let request = match Request::parse(ct, &body) {
        Ok(r) => r,
        Err(e) => {
            return bad_message(Http::OK, e.status_code(), format!("request not understood: {e}"), fragment(&body, e.offset), PapVersion::V2_0);
        }
    };
    match request {
        Request::Push(p) => {
            let version = p.version.unwrap_or_default();
            let body = match p.content_body() {
                Ok(b) => b,
                Err(e) => {
                    return push_response(app, &p.message.push_id, e.status_code(), Some(format!("content entity: {e}")), version);
                }
            };
            let content = Content {
                content_type: p.content.content_type().unwrap_or(""),
                application_id: p.content.application_id(),
                body: &body,
            };
            match app.gw.submit(&initiator, &p.message, content).await {
                Ok(()) => push_response(app, &p.message.push_id, StatusCode::ACCEPTED_FOR_PROCESSING, None, version),
                Err(Refusal { code, desc }) => push_response(app, &p.message.push_id, code, Some(desc), version),
            }
        }
        Request::Control(parsed) => {
            let version = parsed.version.unwrap_or_default();
            match parsed.document.message {
                Message::StatusQueryMessage(q) => status_query(app, &initiator, q, version).await,
                Message::CancelMessage(c) => cancel(app, &initiator, c, version).await,
                Message::PushMessage(m) => push_response(
                    app,
                    &m.push_id,
                    StatusCode::BAD_REQUEST,
                    Some("a push-message travels in a multipart/related request with the content as its second part".into()),
                    version,
                ),
                Message::CcqMessage(_) => bad_message(
                    Http::OK,
                    StatusCode::NOT_IMPLEMENTED,
                    "client capability queries are not implemented".into(),
                    None,
                    version,
                ),
                other => bad_message(
                    Http::OK,
                    StatusCode::BAD_REQUEST,
                    format!("<{}> is not a request a push initiator sends", other.element_name()),
                    None,
                    version,
                ),
            }
        }
    }
}

async fn status_query(app: &App, initiator: &Arc<str>, q: ferry_pap::StatusQueryMessage, version: PapVersion) -> Response {
    let rows = match app.gw.status(initiator, &q.push_id).await {
        Ok(r) => r,
        Err(r) => return bad_message(Http::OK, r.code, r.desc, None, version),
    };
    let wanted = |a: &str| q.addresses.is_empty() || q.addresses.iter().any(|x| x.address_value.eq_ignore_ascii_case(a));
    let mut results: Vec<StatusQueryResult> = rows
        .into_iter()
        .filter(|r| wanted(&r.address))
        .map(|r| StatusQueryResult {
            event_time: r.event_time.or(r.submitted_at).and_then(Timestamp::from_unix),
            message_state: r.state.message_state(),
            code: state_code(r.state, r.code),
            desc: r.desc.or_else(|| {
                (r.state == PushState::Pending)
                    .then(|| if r.submitted_at.is_some() { "submitted to the SMSC" } else { "queued" }.to_owned())
            }),
            addresses: vec![Address::new(r.address)],
            quality_of_service: None,
        })
        .collect();
    if results.is_empty() {
        results.push(StatusQueryResult {
            event_time: None,
            message_state: MessageState::Unknown,
            code: StatusCode::PUSH_ID_NOT_FOUND,
            desc: Some(format!("no push {:?} from this initiator", q.push_id)),
            addresses: q.addresses.clone(),
            quality_of_service: None,
        });
    }
    metrics::counter!("ppg_requests_total", "answer" => "statusquery").increment(1);
    let doc = Document {
        product_name: None,
        message: Message::StatusQueryResponse(StatusQueryResponse { push_id: q.push_id, results }),
    };
    xml(Http::OK, doc.to_xml(version))
}

async fn cancel(app: &App, initiator: &Arc<str>, c: ferry_pap::CancelMessage, version: PapVersion) -> Response {
    let addrs = (!c.addresses.is_empty()).then(|| c.addresses.iter().map(|a| a.address_value.clone()).collect());
    let out = match app.gw.cancel(initiator, &c.push_id, addrs).await {
        Ok(o) => o,
        Err(r) => return bad_message(Http::OK, r.code, r.desc, None, version),
    };
    let mut results: Vec<CancelResult> = out
        .into_iter()
        .map(|o| {
            let (code, desc) = if o.cancelled {
                (StatusCode::OK, "cancelled".to_owned())
            } else if o.state == PushState::Pending {
                (StatusCode::CANCELLATION_NOT_POSSIBLE, "already submitted to the SMSC".to_owned())
            } else {
                (StatusCode::CANCELLATION_NOT_POSSIBLE, format!("already {}", o.state.as_str()))
            };
            CancelResult { code, desc: Some(desc), addresses: vec![Address::new(o.address)] }
        })
        .collect();
    if results.is_empty() {
        results.push(CancelResult {
            code: StatusCode::PUSH_ID_NOT_FOUND,
            desc: Some(format!("no push {:?} from this initiator", c.push_id)),
            addresses: c.addresses.clone(),
        });
    }
    metrics::counter!("ppg_requests_total", "answer" => "cancel").increment(1);
    let doc = Document { product_name: None, message: Message::CancelResponse(CancelResponse { push_id: c.push_id, results }) };
    xml(Http::OK, doc.to_xml(version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_credentials_and_decoding() {
        let h = HeaderMap::new();
        assert_eq!(credentials(&h, Some("username=a%20b&password=p%3Dq")), Some(("a b".into(), "p=q".into())));
        assert_eq!(credentials(&h, Some("x=1")), None);
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic dTpwOng="));
        assert_eq!(credentials(&h, None), Some(("u".into(), "p:x".into())));
    }

    #[test]
    fn auth_rules() {
        let auth = Auth {
            initiators: vec![Initiator {
                name: "mmsc".into(),
                username: "u".into(),
                password: "p".into(),
                allowed: vec!["127.0.0.1".parse().unwrap()],
                basic: basic_header("u", "p"),
            }],
            anonymous: None,
        };
        let local: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let other: SocketAddr = "10.0.0.1:1".parse().unwrap();
        assert_eq!(&*auth.check(local, Some(("u".into(), "p".into()))).unwrap(), "mmsc");
        assert_eq!(auth.check(other, Some(("u".into(), "p".into()))).unwrap_err().0, Http::FORBIDDEN);
        assert_eq!(auth.check(local, Some(("u".into(), "x".into()))).unwrap_err().0, Http::UNAUTHORIZED);
        assert_eq!(auth.check(local, None).unwrap_err().0, Http::UNAUTHORIZED);
        // The Authorization header as the initiator writes it, and others.
        let header_of = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, HeaderValue::from_static(v));
            h
        };
        assert_eq!(&*auth.check_request(local, &header_of("Basic dTpw"), None).unwrap(), "mmsc");
        assert_eq!(auth.check_request(other, &header_of("Basic dTpw"), None).unwrap_err().0, Http::FORBIDDEN);
        assert_eq!(&*auth.check_request(local, &header_of("basic  dTpw "), None).unwrap(), "mmsc");
        assert_eq!(auth.check_request(local, &header_of("Basic dTp4"), None).unwrap_err().0, Http::UNAUTHORIZED);
        assert_eq!(&*auth.check_request(local, &HeaderMap::new(), Some("username=u&password=p")).unwrap(), "mmsc");
        let anon = Auth { initiators: vec![], anonymous: Some(vec!["127.0.0.1".parse().unwrap()]) };
        assert!(anon.check(local, None).is_ok());
        assert_eq!(anon.check(other, None).unwrap_err().0, Http::FORBIDDEN);
    }
}
