//! MM1 over HTTP: the handlers.
//!
//! - `POST` (any path but `/m/…`) of an MMS PDU: M-Send.req, M-NotifyResp.ind,
//!   M-Acknowledge.ind, M-Read-Rec.ind, M-Forward.req.
//! - `GET /m/{token}`: M-Retrieve.conf.
//! - `GET /healthz`, `GET /metrics`.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use ferry_mms::{
    Address, FromValue, Header, MessageType, Pdu, ReadStatus, ResponseStatus, RetrieveStatus,
    SenderVisibility, Status, TimeValue, Version, YesNo,
};
use ferry_store::{
    NewMessage, NewReport, RecipientKey, RecipientState, RecipientUpdate, ReportKind,
    ReportStatus, StoreError, new_message_id,
};
use futures_util::StreamExt;

use crate::cdr::Cdr;
use crate::identity::{Identity, IdentityError, Via, normalize_msisdn};
use crate::request::{recipients, version_ok};
use crate::pdu::{self, MMS_CONTENT_TYPE};
use crate::{Inner, unix_now};

type Shared = State<Arc<Inner>>;

fn mms_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(MMS_CONTENT_TYPE));
    r
}

fn empty(status: StatusCode) -> Response {
    status.into_response()
}

fn challenge(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"ferry-mmsc\""),
    );
    r
}

fn count_send(status: ResponseStatus) {
    metrics::counter!("mmsc_send_conf_total", "status" => status.to_string()).increment(1);
}

fn store_timer(op: &'static str, start: Instant) {
    metrics::histogram!("mmsc_store_seconds", "op" => op).record(start.elapsed().as_secs_f64());
}

/// The answer to a POST that failed before its type was known or for an
/// M-Send.req: an M-Send.conf.
fn send_error(tid: &str, status: ResponseStatus, text: &str) -> Response {
    count_send(status);
    tracing::info!(transaction_id = tid, %status, text, "M-Send.conf error");
    mms_response(StatusCode::OK, pdu::send_conf(tid, status, Some(text), None))
}

/// The body as read: all of it, or the first octets of one too large.
enum ReadBody {
    Whole(Vec<u8>),
    TooLarge { prefix: Vec<u8>, seen: u64, drained: bool },
    Broken(Vec<u8>),
}

/// Reads a request body, keeping at most `limit` octets; beyond that reads
/// and discards up to `drain` octets (so the client can read the answer).
async fn read_body(body: Body, headers: &HeaderMap, limit: u64, drain: u64) -> ReadBody {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(d) = declared
        && d > limit
        && d > drain
    {
        // Too large to drain: answer now, before reading any of it (the
        // connection is closed after the answer).
        return ReadBody::TooLarge {
            prefix: Vec::new(),
            seen: d,
            drained: false,
        };
    }
    let mut buf = Vec::with_capacity(declared.unwrap_or(4096).min(limit) as usize);
    let mut seen: u64 = 0;
    let mut too_large = declared.is_some_and(|d| d > limit);
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return ReadBody::Broken(buf);
        };
        seen += chunk.len() as u64;
        if !too_large && seen > limit {
            too_large = true;
        }
        if !too_large {
            buf.extend_from_slice(&chunk);
        } else {
            if buf.len() < 512 {
                let n = (512 - buf.len()).min(chunk.len());
                buf.extend_from_slice(&chunk[..n]);
            }
            if seen > drain {
                return ReadBody::TooLarge {
                    prefix: buf,
                    seen,
                    drained: false,
                };
            }
        }
    }
    if too_large {
        ReadBody::TooLarge {
            prefix: buf,
            seen,
            drained: true,
        }
    } else {
        ReadBody::Whole(buf)
    }
}

/// Runs in front of every MM1 handler: refuses a source that is over its
/// rate or blocked after failures ([`crate::guard`]), and counts the
/// failures of the answers.
pub(crate) async fn guard(
    State(m): Shared,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path();
    if path == "/healthz" || path == "/metrics" {
        return next.run(req).await;
    }
    let source = m.ident.source(peer.ip(), req.headers());
    let retrieval = path.starts_with("/m/");
    let is_post = req.method() == axum::http::Method::POST;
    if let Err(refusal) = m.guard.admit(&source, Instant::now()) {
        let (reason, secs) = match refusal {
            crate::guard::Refusal::Rate(d) => ("rate", d.as_secs_f64().ceil().max(1.0) as u64),
            crate::guard::Refusal::Blocked(d) => {
                ("blocked", d.as_secs_f64().ceil().max(1.0) as u64)
            }
        };
        metrics::counter!("mmsc_throttled_total", "reason" => reason).increment(1);
        tracing::debug!(%peer, source, reason, retry_after = secs, "request throttled");
        let text = match refusal {
            crate::guard::Refusal::Rate(_) => format!("too many requests; retry after {secs} s"),
            crate::guard::Refusal::Blocked(_) => {
                format!("too many failed requests from this source; retry after {secs} s")
            }
        };
        let (parts, body) = req.into_parts();
        let mut r = if is_post {
            // Read (a little of) the body so that the client sees the answer.
            let b = tokio::time::timeout(
                std::time::Duration::from_secs(2),
                read_body(body, &parts.headers, 512, 64 * 1024),
            )
            .await;
            let tid = match &b {
                Ok(ReadBody::Whole(v) | ReadBody::Broken(v)) => pdu::sniff_transaction_id(v),
                Ok(ReadBody::TooLarge { prefix, .. }) => pdu::sniff_transaction_id(prefix),
                Err(_) => None,
            }
            .unwrap_or_default();
            count_send(ResponseStatus::TRANSIENT_FAILURE);
            mms_response(
                StatusCode::TOO_MANY_REQUESTS,
                pdu::send_conf(&tid, ResponseStatus::TRANSIENT_FAILURE, Some(&text), None),
            )
        } else if retrieval {
            mms_response(
                StatusCode::TOO_MANY_REQUESTS,
                pdu::retrieve_error(RetrieveStatus::TRANSIENT_FAILURE, &text, unix_now()),
            )
        } else {
            empty(StatusCode::TOO_MANY_REQUESTS)
        };
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        r.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return r;
    }
    let had_credentials = req.headers().contains_key(header::AUTHORIZATION);
    let r = next.run(req).await;
    let s = r.status();
    if s == StatusCode::NOT_FOUND
        || s == StatusCode::FORBIDDEN
        || (s == StatusCode::UNAUTHORIZED && had_credentials)
    {
        metrics::counter!("mmsc_request_failures_total", "status" => s.as_u16().to_string())
            .increment(1);
        if let Some(d) = m.guard.failed(&source, Instant::now()) {
            metrics::counter!("mmsc_sources_blocked_total").increment(1);
            tracing::warn!(%peer, source, status = s.as_u16(), blocked_secs = d.as_secs(), "repeated failures: source blocked");
        }
    }
    r
}

/// `POST` of an MMS PDU.
pub(crate) async fn post(State(m): Shared, ConnectInfo(peer): ConnectInfo<SocketAddr>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let c = &m.config;
    if m.peers.is_foreign(&parts.uri) {
        let _ = read_body(body, &parts.headers, 512, c.limits.drain_limit).await;
        tracing::warn!(%peer, uri = %parts.uri, "POST in proxy form for another server refused");
        return mms_response(
            StatusCode::FORBIDDEN,
            pdu::send_conf(
                "",
                ResponseStatus::PERMANENT_SERVICE_DENIED,
                Some("this MMSC is not a proxy: POST to it, not through it"),
                None,
            ),
        );
    }
    if crate::peer::is_peer_request(&parts.headers) {
        return peer_post(&m, parts, body).await;
    }
    let ident = m.ident.identify(&m.store, peer.ip(), &parts.headers).await;
    let ident = match ident {
        Ok(i) => i,
        Err(IdentityError::Unauthenticated(why)) => {
            let b = read_body(body, &parts.headers, 512, c.limits.drain_limit).await;
            let prefix = match &b {
                ReadBody::Whole(v) | ReadBody::Broken(v) => v,
                ReadBody::TooLarge { prefix, .. } => prefix,
            };
            let tid = pdu::sniff_transaction_id(prefix).unwrap_or_default();
            metrics::counter!("mmsc_unauthenticated_total").increment(1);
            count_send(ResponseStatus::PERMANENT_SERVICE_DENIED);
            tracing::info!(%peer, why, "request refused: subscriber not identified");
            let r = mms_response(
                StatusCode::UNAUTHORIZED,
                pdu::send_conf(&tid, ResponseStatus::PERMANENT_SERVICE_DENIED, Some(why), None),
            );
            return challenge(r);
        }
        Err(IdentityError::Store(e)) => {
            tracing::error!(error = %e, "store failed while identifying");
            let _ = read_body(body, &parts.headers, 512, c.limits.drain_limit).await;
            return send_error(
                "",
                ResponseStatus::TRANSIENT_FAILURE,
                "temporary failure, try again later",
            );
        }
    };
    let limit = match ident.subscriber.as_ref().and_then(|s| s.max_message_size) {
        Some(s) => s.min(c.limits.max_message_size),
        None => c.limits.max_message_size,
    };
    let bytes = match read_body(body, &parts.headers, limit, c.limits.drain_limit).await {
        ReadBody::Whole(b) => b,
        ReadBody::Broken(prefix) => {
            tracing::info!(%peer, "request body broken off or stalled");
            let tid = pdu::sniff_transaction_id(&prefix).unwrap_or_default();
            let mut r = send_error(
                &tid,
                ResponseStatus::TRANSIENT_FAILURE,
                "the request body was broken off or stalled; send it again",
            );
            *r.status_mut() = StatusCode::BAD_REQUEST;
            r.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return r;
        }
        ReadBody::TooLarge { prefix, seen, drained } => {
            let tid = pdu::sniff_transaction_id(&prefix).unwrap_or_default();
            let text = format!("message too large: more than {limit} octets (at least {seen} sent or announced)");
            let mut r = send_error(&tid, ResponseStatus::PERMANENT_CONTENT_NOT_ACCEPTED, &text);
            if !drained {
                r.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            return r;
        }
    };
    let pdu = match Pdu::decode(&bytes) {
        Ok(p) => p,
        Err(e) => {
            let tid = pdu::sniff_transaction_id(&bytes).unwrap_or_default();
            return send_error(
                &tid,
                ResponseStatus::PERMANENT_MESSAGE_FORMAT_CORRUPT,
                &format!("malformed PDU: {e}"),
            );
        }
    };
    let tid = pdu.transaction_id().unwrap_or("").to_owned();
    if matches!(
        pdu.message_type(),
        Some(MessageType::NOTIFYRESP_IND | MessageType::ACKNOWLEDGE_IND | MessageType::READ_REC_IND)
    ) && let Some(r) = crate::peer::relay_outcome(&m, &ident, &pdu, &bytes).await
    {
        return r;
    }
    match pdu.message_type() {
        Some(MessageType::SEND_REQ) => submit(&m, &ident, &pdu, &tid, bytes.len() as u64).await,
        Some(MessageType::FORWARD_REQ) => forward(&m, &ident, &pdu, &tid).await,
        Some(MessageType::NOTIFYRESP_IND) => notify_resp(&m, &ident, &pdu).await,
        Some(MessageType::ACKNOWLEDGE_IND) => acknowledge(&m, &ident, &pdu).await,
        Some(MessageType::READ_REC_IND) => read_rec(&m, &ident, &pdu).await,
        Some(t) => send_error(
            &tid,
            ResponseStatus::PERMANENT_MESSAGE_FORMAT_CORRUPT,
            &format!("{t} is not accepted by this server"),
        ),
        None => send_error(
            &tid,
            ResponseStatus::PERMANENT_MESSAGE_FORMAT_CORRUPT,
            "no X-Mms-Message-Type",
        ),
    }
}

/// A POST signed by a peer MMSC: an outcome (M-NotifyResp.ind,
/// M-Acknowledge.ind, M-Read-Rec.ind) its subscriber sent about a message
/// of this server it fetched.
async fn peer_post(m: &Arc<Inner>, parts: axum::http::request::Parts, body: Body) -> Response {
    let c = &m.config;
    let refuse = |http: StatusCode, tid: &str, text: &str| {
        count_send(ResponseStatus::PERMANENT_SERVICE_DENIED);
        tracing::info!(text, "peer POST refused");
        mms_response(
            http,
            pdu::send_conf(tid, ResponseStatus::PERMANENT_SERVICE_DENIED, Some(text), None),
        )
    };
    let bytes = match read_body(body, &parts.headers, c.limits.max_message_size, c.limits.drain_limit).await {
        ReadBody::Whole(b) => b,
        ReadBody::Broken(_) => return empty(StatusCode::BAD_REQUEST),
        ReadBody::TooLarge { .. } => {
            return refuse(StatusCode::PAYLOAD_TOO_LARGE, "", "too large for an outcome PDU");
        }
    };
    let tid = pdu::sniff_transaction_id(&bytes).unwrap_or_default();
    let caller = match crate::peer::authenticate(m, "POST", &parts.uri, &parts.headers, &bytes) {
        Ok(c) => c,
        Err(e) => return refuse(e.http(), &tid, &e.to_string()),
    };
    let pdu = match Pdu::decode(&bytes) {
        Ok(p) => p,
        Err(e) => {
            return send_error(
                &tid,
                ResponseStatus::PERMANENT_MESSAGE_FORMAT_CORRUPT,
                &format!("malformed PDU: {e}"),
            );
        }
    };
    let ident = Identity {
        msisdn: caller.acting_for.clone(),
        subscriber: None,
        via: Via::Peer,
    };
    tracing::debug!(peer = %caller.peer, acting_for = %caller.acting_for, "outcome relayed by a peer");
    match pdu.message_type() {
        Some(MessageType::NOTIFYRESP_IND) => notify_resp(m, &ident, &pdu).await,
        Some(MessageType::ACKNOWLEDGE_IND) => acknowledge(m, &ident, &pdu).await,
        Some(MessageType::READ_REC_IND) => read_rec(m, &ident, &pdu).await,
        _ => refuse(
            StatusCode::FORBIDDEN,
            &tid,
            "a peer may relay only M-NotifyResp.ind, M-Acknowledge.ind and M-Read-Rec.ind",
        ),
    }
}

/// The checks a sender passes (Send and Forward): a subscriber, allowed to
/// send. Returns the status and text of a refusal.
fn sender_check(m: &Inner, ident: &Identity) -> Result<(), (ResponseStatus, String)> {
    match &ident.subscriber {
        None if m.config.identity.require_subscriber => Err((
            ResponseStatus::PERMANENT_SENDING_ADDRESS_UNRESOLVED,
            format!("sender {} is not a subscriber of this server", ident.msisdn),
        )),
        Some(s) if !s.may_send => Err((
            ResponseStatus::PERMANENT_SERVICE_DENIED,
            format!("sender {} is barred from sending", ident.msisdn),
        )),
        _ => Ok(()),
    }
}

fn expiry_of(m: &Inner, requested: Option<TimeValue>, now: u64) -> u64 {
    let e = &m.config.expiry;
    let secs = match requested {
        Some(TimeValue::Relative(s)) => s,
        Some(TimeValue::Absolute(t)) if t > now => t - now,
        _ => e.default_secs,
    };
    now + secs.clamp(1, e.max_secs)
}

/// Builds the stored M-Retrieve.conf: no transaction id (spliced in per
/// recipient), Bcc left out, From the authenticated sender unless hidden.
struct Stored<'a> {
    message_id: &'a str,
    sender: Option<&'a str>,
    date: u64,
    delivery_report: bool,
    read_report: bool,
}

fn stored_retrieve_conf(src: &Pdu<'_>, s: &Stored<'_>, extra: Vec<Header<'_>>) -> Vec<u8> {
    let mut p =
        Pdu::new(MessageType::RETRIEVE_CONF, None, Version::V1_3).with(Header::MessageId(Cow::Borrowed(s.message_id)));
    if let Some(from) = s.sender {
        p.headers.push(Header::From(FromValue::Address(Address::new(from))));
    }
    for h in &src.headers {
        if matches!(h, Header::To(_) | Header::Cc(_)) {
            p.headers.push(h.clone());
        }
    }
    p.headers.push(Header::Date(s.date));
    p.headers.extend(extra);
    if let Some(subject) = src.subject() {
        p.headers.push(Header::Subject(subject.clone()));
    }
    if let Some(c) = src.message_class() {
        p.headers.push(Header::MessageClass(c.clone()));
    }
    if let Some(pr) = src.priority() {
        p.headers.push(Header::Priority(pr));
    }
    p.headers.push(Header::DeliveryReport(YesNo::from(s.delivery_report)));
    p.headers.push(Header::ReadReport(YesNo::from(s.read_report)));
    if let Some(ct) = src.content_type() {
        p.headers.push(Header::ContentType(ct.clone()));
    }
    p.body = src.body.clone();
    p.to_bytes()
}

async fn submit(m: &Arc<Inner>, ident: &Identity, pdu: &Pdu<'_>, tid: &str, size: u64) -> Response {
    let c = &m.config;
    if let Err(t) = version_ok(pdu) {
        return send_error(tid, ResponseStatus::ERROR_UNSUPPORTED_MESSAGE, &t);
    }
    if let Err(e) = pdu.validate() {
        return send_error(tid, ResponseStatus::PERMANENT_MESSAGE_FORMAT_CORRUPT, &e.to_string());
    }
    if let Err((s, t)) = sender_check(m, ident) {
        return send_error(tid, s, &t);
    }
    if pdu.header(ferry_mms::field::REPLY_CHARGING).is_some() {
        return send_error(
            tid,
            ResponseStatus::PERMANENT_REPLY_CHARGING_NOT_SUPPORTED,
            "reply charging is not supported",
        );
    }
    let hidden = pdu
        .headers
        .iter()
        .any(|h| matches!(h, Header::SenderVisibility(v) if *v == SenderVisibility::HIDE));
    if hidden && !ident.subscriber.as_ref().is_some_and(|s| s.may_hide_sender) {
        return send_error(
            tid,
            ResponseStatus::PERMANENT_ADDRESS_HIDING_NOT_SUPPORTED,
            "this sender may not hide its address",
        );
    }
    let rcpts = match recipients(pdu) {
        Ok(r) => r,
        Err(t) => return send_error(tid, ResponseStatus::PERMANENT_MESSAGE_FORMAT_CORRUPT, &t),
    };
    let plan = crate::interconnect::plan(m, rcpts);
    if let Some(why) = plan.all_unroutable() {
        return send_error(tid, ResponseStatus::PERMANENT_SENDING_ADDRESS_UNRESOLVED, &why);
    }
    let crate::interconnect::Plan {
        recipients: rcpts,
        decisions,
    } = plan;
    if rcpts.len() > c.limits.max_recipients {
        return send_error(
            tid,
            ResponseStatus::PERMANENT_SERVICE_DENIED,
            &format!(
                "too many recipients: {} (at most {})",
                rcpts.len(),
                c.limits.max_recipients
            ),
        );
    }
    if let Some(FromValue::Address(a)) = pdu.from()
        && normalize_msisdn(&a.value()) != ident.msisdn
    {
        tracing::debug!(claimed = %a, msisdn = %ident.msisdn, "From replaced by the authenticated MSISDN");
    }
    let now = unix_now();
    let id = new_message_id();
    let sender = format!("{}/TYPE=PLMN", ident.msisdn);
    let delivery_report = pdu.delivery_report().is_some_and(YesNo::is_yes);
    let read_report = pdu.read_report().is_some_and(YesNo::is_yes);
    let body = stored_retrieve_conf(
        pdu,
        &Stored {
            message_id: &id,
            sender: (!hidden).then_some(sender.as_str()),
            date: now,
            delivery_report,
            read_report,
        },
        Vec::new(),
    );
    let to: Vec<String> = rcpts.iter().map(|r| r.address.clone()).collect();
    let message = NewMessage {
        id: id.clone(),
        sender: sender.clone(),
        sender_hidden: hidden,
        content_type: pdu
            .content_type()
            .map(|c| c.media.as_str().into_owned())
            .unwrap_or_default(),
        subject: pdu.subject().map(|s| s.text().into_owned()),
        message_class: pdu.message_class().map(|c| c.to_string()),
        priority: pdu.priority().map(|p| p.to_string()),
        date: now,
        expiry: expiry_of(m, pdu.expiry(), now),
        delivery_report,
        read_report,
        recipients: rcpts,
        body,
    };
    let class = message.message_class.clone();
    let t = Instant::now();
    let r = m.store.submit(message, now).await;
    store_timer("submit", t);
    match r {
        Ok(submitted) => {
            let meta = crate::interconnect::SubmitMeta {
                message_id: &id,
                sender: &sender,
                sender_hidden: hidden,
            };
            crate::interconnect::after_submit(m, &meta, &submitted.recipients, &decisions).await;
            m.wake.notify_one();
            count_send(ResponseStatus::OK);
            metrics::counter!("mmsc_messages_accepted_total").increment(1);
            m.cdr.record(Cdr {
                ts: now,
                event: "submit",
                message_id: id.clone(),
                from: sender,
                to,
                size,
                status: "ok".into(),
                class,
            });
            tracing::debug!(message_id = %id, "accepted");
            mms_response(StatusCode::OK, pdu::send_conf(tid, ResponseStatus::OK, None, Some(&id)))
        }
        Err(e) => store_failure(tid, e),
    }
}

fn store_failure(tid: &str, e: StoreError) -> Response {
    tracing::error!(error = %e, "store refused a submission");
    if matches!(e, StoreError::Full { .. }) {
        metrics::counter!("mmsc_storage_full_total").increment(1);
        send_error(tid, ResponseStatus::TRANSIENT_FAILURE, "storage full, try again later")
    } else if e.is_transient() {
        send_error(
            tid,
            ResponseStatus::TRANSIENT_FAILURE,
            "temporary storage failure, try again later",
        )
    } else {
        send_error(
            tid,
            ResponseStatus::PERMANENT_FAILURE,
            "the message could not be stored",
        )
    }
}

fn retrieve_err(http: StatusCode, status: RetrieveStatus, text: &str) -> Response {
    metrics::counter!("mmsc_retrieve_total", "status" => status.to_string()).increment(1);
    tracing::info!(%status, text, "M-Retrieve.conf error");
    mms_response(http, pdu::retrieve_error(status, text, unix_now()))
}

/// Who asks for a message: a peer MMSC acting for its subscriber (signed
/// request), or a subscriber of this server.
async fn retrieval_identity(m: &Inner, peer: SocketAddr, uri: &Uri, headers: &HeaderMap) -> Result<Identity, Response> {
    if crate::peer::is_peer_request(headers) {
        if m.peers.is_foreign(uri) {
            return Err(retrieve_err(
                StatusCode::FORBIDDEN,
                RetrieveStatus::PERMANENT_SERVICE_DENIED,
                "a peer's request is never passed on to another server",
            ));
        }
        return match crate::peer::authenticate(m, "GET", uri, headers, b"") {
            Ok(c) => {
                tracing::debug!(peer = %c.peer, acting_for = %c.acting_for, "retrieval by a peer");
                Ok(Identity {
                    msisdn: c.acting_for,
                    subscriber: None,
                    via: Via::Peer,
                })
            }
            Err(e) => Err(retrieve_err(
                e.http(),
                RetrieveStatus::PERMANENT_SERVICE_DENIED,
                &e.to_string(),
            )),
        };
    }
    match m.ident.identify(&m.store, peer.ip(), headers).await {
        Ok(i) => Ok(i),
        Err(IdentityError::Unauthenticated(why)) => Err(challenge(retrieve_err(
            StatusCode::UNAUTHORIZED,
            RetrieveStatus::PERMANENT_SERVICE_DENIED,
            why,
        ))),
        Err(IdentityError::Store(_)) => Err(retrieve_err(
            StatusCode::SERVICE_UNAVAILABLE,
            RetrieveStatus::TRANSIENT_FAILURE,
            "temporary failure, try again later",
        )),
    }
}

/// A proxy-form GET of a URL that is not this server's (any path): fetched
/// from a peer operator for the subscriber, or refused.
pub(crate) async fn proxy_get(m: &Arc<Inner>, peer: SocketAddr, uri: &Uri, headers: &HeaderMap) -> Response {
    match retrieval_identity(m, peer, uri, headers).await {
        Ok(ident) => crate::peer::fetch_for(m, &ident, uri).await,
        Err(r) => r,
    }
}

/// `GET /m/{token}`: the M-Retrieve.conf, or its error form. In proxy form
/// (an absolute URI of another server), the message is fetched from a peer.
pub(crate) async fn retrieve(
    State(m): Shared,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let now = unix_now();
    let err = |http: StatusCode, status: RetrieveStatus, text: &str| {
        metrics::counter!("mmsc_retrieve_total", "status" => status.to_string()).increment(1);
        tracing::info!(%status, text, "M-Retrieve.conf error");
        mms_response(http, pdu::retrieve_error(status, text, now))
    };
    let ident = match retrieval_identity(&m, peer, &uri, &headers).await {
        Ok(i) => i,
        Err(r) => return r,
    };
    if ident.via != Via::Peer && m.peers.is_foreign(&uri) {
        return crate::peer::fetch_for(&m, &ident, &uri).await;
    }
    let t = Instant::now();
    let d = if crate::request::is_token(&token) { m.store.by_token(&token).await } else { Ok(None) };
    store_timer("lookup", t);
    let d = match d {
        Ok(Some(d)) => d,
        Ok(None) => {
            return err(
                StatusCode::NOT_FOUND,
                RetrieveStatus::PERMANENT_MESSAGE_NOT_FOUND,
                "no such message",
            );
        }
        Err(_) => {
            return err(
                StatusCode::SERVICE_UNAVAILABLE,
                RetrieveStatus::TRANSIENT_FAILURE,
                "temporary failure, try again later",
            );
        }
    };
    if normalize_msisdn(&d.recipient.address) != ident.msisdn {
        tracing::warn!(msisdn = %ident.msisdn, "retrieval URL presented by a subscriber it was not issued to");
        return err(
            StatusCode::FORBIDDEN,
            RetrieveStatus::PERMANENT_SERVICE_DENIED,
            "this message is not addressed to you",
        );
    }
    let state = d.recipient.state;
    if state == RecipientState::Expired || (d.message.expiry <= now && state != RecipientState::Retrieved) {
        return err(
            StatusCode::GONE,
            RetrieveStatus::PERMANENT_MESSAGE_NOT_FOUND,
            "the message has expired",
        );
    }
    if state.is_final() && state != RecipientState::Retrieved {
        return err(
            StatusCode::GONE,
            RetrieveStatus::PERMANENT_MESSAGE_NOT_FOUND,
            &format!("the message is no longer available ({state})"),
        );
    }
    let t = Instant::now();
    let body = m.store.read_body(&d.message.id).await;
    store_timer("read_body", t);
    let body = match body {
        Ok(b) => b,
        Err(StoreError::BodyGone(_)) | Err(StoreError::NotFound { .. }) => {
            return err(
                StatusCode::GONE,
                RetrieveStatus::PERMANENT_MESSAGE_NOT_FOUND,
                "the message is no longer available",
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "reading a body");
            return err(
                StatusCode::SERVICE_UNAVAILABLE,
                RetrieveStatus::TRANSIENT_FAILURE,
                "temporary failure, try again later",
            );
        }
    };
    if state != RecipientState::Retrieved {
        let t = Instant::now();
        let r = m.store.mark_retrieved(&token, now).await;
        store_timer("update", t);
        match r {
            Ok(tr) if tr.changed => {
                metrics::counter!("mmsc_messages_retrieved_total").increment(1);
                m.cdr.record(Cdr {
                    ts: now,
                    event: "retrieve",
                    message_id: d.message.id.clone(),
                    from: d.message.sender.clone(),
                    to: vec![d.recipient.address.clone()],
                    size: d.message.size,
                    status: "retrieved".into(),
                    class: d.message.message_class.clone(),
                });
            }
            Ok(_) => {}
            Err(StoreError::InvalidTransition { .. }) => {
                return err(
                    StatusCode::GONE,
                    RetrieveStatus::PERMANENT_MESSAGE_NOT_FOUND,
                    "the message is no longer available",
                );
            }
            Err(e @ StoreError::Full { .. }) => {
                // The disk is full: the message is still served (reading
                // needs no space); its state stays as it was, so the
                // recipient's M-NotifyResp.ind / M-Acknowledge.ind (or the
                // next notification, which the handset recognises by its
                // transaction id) records the retrieval once there is room.
                tracing::warn!(error = %e, "retrieval not recorded: storage full");
            }
            Err(e) => {
                tracing::error!(error = %e, "marking retrieved");
                return err(
                    StatusCode::SERVICE_UNAVAILABLE,
                    RetrieveStatus::TRANSIENT_FAILURE,
                    "temporary failure, try again later",
                );
            }
        }
    }
    metrics::counter!("mmsc_retrieve_total", "status" => "ok").increment(1);
    let tid = d
        .recipient
        .transaction_id
        .clone()
        .unwrap_or_else(|| crate::workers::transaction_id_for(&token));
    mms_response(StatusCode::OK, pdu::with_transaction_id(&body, Some(&tid)))
}

/// Finds the recipient a NotifyResp/Acknowledge is about and checks it is
/// the caller's.
async fn own_recipient(m: &Inner, ident: &Identity, tid: &str) -> Result<ferry_store::Delivery, Response> {
    if tid.is_empty() {
        return Err(empty(StatusCode::BAD_REQUEST));
    }
    let key = RecipientKey::TransactionId(tid.to_owned());
    // The store records the transaction id with the recipient at submission,
    // so an answer that overtakes the recording of its notification (the SMS
    // beat the push gateway's answer back to us) is found all the same.
    match m.store.delivery(&key).await {
        Ok(Some(d)) if normalize_msisdn(&d.recipient.address) == ident.msisdn => Ok(d),
        Ok(Some(_)) => Err(empty(StatusCode::FORBIDDEN)),
        Ok(None) => Err(empty(StatusCode::NOT_FOUND)),
        Err(e) => {
            tracing::error!(error = %e, "looking up a transaction id");
            Err(empty(StatusCode::SERVICE_UNAVAILABLE))
        }
    }
}

fn report_allowed(pdu: &Pdu<'_>) -> Option<bool> {
    pdu.headers.iter().find_map(|h| match h {
        Header::ReportAllowed(v) => Some(v.is_yes()),
        _ => None,
    })
}

/// Applies a state change; a refused one (already final) and a repeat are
/// both fine.
async fn change(m: &Inner, d: &ferry_store::Delivery, update: RecipientUpdate) -> Result<(), Response> {
    let t = Instant::now();
    let r = m
        .store
        .update_recipient(RecipientKey::Id(d.recipient.id), update, unix_now())
        .await;
    store_timer("update", t);
    match r {
        Ok(tr) => {
            if tr.changed {
                metrics::counter!("mmsc_recipient_transitions_total", "to" => tr.recipient.state.as_str()).increment(1);
            }
            Ok(())
        }
        Err(StoreError::InvalidTransition { from, to, .. }) => {
            tracing::debug!(%from, %to, "state change ignored");
            Ok(())
        }
        Err(e) => {
            tracing::error!(error = %e, "updating a recipient");
            Err(empty(StatusCode::SERVICE_UNAVAILABLE))
        }
    }
}

async fn notify_resp(m: &Inner, ident: &Identity, pdu: &Pdu<'_>) -> Response {
    let tid = pdu.transaction_id().unwrap_or("");
    let d = match own_recipient(m, ident, tid).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let ra = report_allowed(pdu);
    let status = pdu.status().unwrap_or(Status(0));
    let to = match status {
        Status::RETRIEVED => RecipientState::Retrieved,
        Status::DEFERRED => RecipientState::Deferred,
        Status::REJECTED => RecipientState::Rejected,
        Status::UNRECOGNISED => RecipientState::Unrecognised,
        other => {
            tracing::info!(status = %other, "M-NotifyResp.ind status ignored");
            return empty(StatusCode::OK);
        }
    };
    let mut update = RecipientUpdate::to(to);
    if let Some(a) = ra {
        update = update.report_allowed(a);
    }
    if let Err(r) = change(m, &d, update).await {
        return r;
    }
    if to == RecipientState::Retrieved {
        // The recipient already retrieved (the GET moved the state) and
        // confirms it: record that (the body may go now) and the flag,
        // withdrawing a report not yet sent if it says No.
        if let Err(e) = m
            .store
            .acknowledge(RecipientKey::Id(d.recipient.id), ra, unix_now())
            .await
        {
            tracing::error!(error = %e, "recording report-allowed");
            return empty(StatusCode::SERVICE_UNAVAILABLE);
        }
    }
    empty(StatusCode::OK)
}

async fn acknowledge(m: &Inner, ident: &Identity, pdu: &Pdu<'_>) -> Response {
    let tid = pdu.transaction_id().unwrap_or("");
    let d = match own_recipient(m, ident, tid).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let ra = report_allowed(pdu);
    if d.recipient.state != RecipientState::Retrieved {
        let mut u = RecipientUpdate::to(RecipientState::Retrieved);
        if let Some(a) = ra {
            u = u.report_allowed(a);
        }
        if let Err(r) = change(m, &d, u).await {
            return r;
        }
    }
    match m
        .store
        .acknowledge(RecipientKey::Id(d.recipient.id), ra, unix_now())
        .await
    {
        Ok(_) => empty(StatusCode::OK),
        Err(e) => {
            tracing::error!(error = %e, "recording an acknowledgement");
            empty(StatusCode::SERVICE_UNAVAILABLE)
        }
    }
}

async fn read_rec(m: &Inner, ident: &Identity, pdu: &Pdu<'_>) -> Response {
    let Some(mid) = pdu.message_id() else {
        return empty(StatusCode::BAD_REQUEST);
    };
    let status = match pdu.read_status() {
        Some(ReadStatus::READ) => ReportStatus::Read,
        Some(ReadStatus::DELETED_WITHOUT_BEING_READ) => ReportStatus::DeletedWithoutRead,
        _ => return empty(StatusCode::BAD_REQUEST),
    };
    let (msg, rcpts) = match tokio::try_join!(m.store.message(mid), m.store.recipients(mid)) {
        Ok((Some(msg), r)) => (msg, r),
        Ok((None, _)) => return empty(StatusCode::NOT_FOUND),
        Err(e) => {
            tracing::error!(error = %e, "looking up a message");
            return empty(StatusCode::SERVICE_UNAVAILABLE);
        }
    };
    let Some(me) = rcpts.iter().find(|r| normalize_msisdn(&r.address) == ident.msisdn) else {
        return empty(StatusCode::FORBIDDEN);
    };
    if !msg.read_report {
        tracing::info!(message_id = mid, "read report not requested by the sender: dropped");
        return empty(StatusCode::OK);
    }
    let now = unix_now();
    let r = NewReport {
        kind: ReportKind::Read,
        message_id: msg.id.clone(),
        to: msg.sender.clone(),
        from: me.address.clone(),
        status,
        date: pdu.date().unwrap_or(now),
    };
    match m.store.enqueue_report(r, now).await {
        Ok(_) => {
            m.wake_reports.notify_one();
            empty(StatusCode::OK)
        }
        Err(e) => {
            tracing::error!(error = %e, "queuing a read report");
            empty(StatusCode::SERVICE_UNAVAILABLE)
        }
    }
}

fn forward_error(tid: &str, status: ResponseStatus, text: &str) -> Response {
    metrics::counter!("mmsc_forward_conf_total", "status" => status.to_string()).increment(1);
    tracing::info!(transaction_id = tid, %status, text, "M-Forward.conf error");
    mms_response(StatusCode::OK, pdu::forward_conf(tid, status, Some(text), None))
}

async fn forward(m: &Arc<Inner>, ident: &Identity, pdu: &Pdu<'_>, tid: &str) -> Response {
    let c = &m.config;
    if let Err(t) = version_ok(pdu) {
        return forward_error(tid, ResponseStatus::ERROR_UNSUPPORTED_MESSAGE, &t);
    }
    if let Err(e) = pdu.validate() {
        return forward_error(tid, ResponseStatus::PERMANENT_MESSAGE_FORMAT_CORRUPT, &e.to_string());
    }
    if let Err((s, t)) = sender_check(m, ident) {
        return forward_error(tid, s, &t);
    }
    let not_found = |t: &str| forward_error(tid, ResponseStatus::PERMANENT_MESSAGE_NOT_FOUND, t);
    let Some(token) = pdu.content_location().and_then(|u| crate::request::token_of_url(m.config.public_base(), u)) else {
        return not_found("X-Mms-Content-Location is not a message of this server");
    };
    let d = match m.store.by_token(token).await {
        Ok(Some(d)) if normalize_msisdn(&d.recipient.address) == ident.msisdn => d,
        Ok(_) => return not_found("no such message"),
        Err(e) => return store_failure(tid, e),
    };
    let now = unix_now();
    if d.message.expiry <= now || (d.recipient.state.is_final() && d.recipient.state != RecipientState::Retrieved) {
        return not_found("the message is no longer available");
    }
    let rcpts = match recipients(pdu) {
        Ok(r) => r,
        Err(t) => return forward_error(tid, ResponseStatus::PERMANENT_MESSAGE_FORMAT_CORRUPT, &t),
    };
    if rcpts.len() > c.limits.max_recipients {
        return forward_error(
            tid,
            ResponseStatus::PERMANENT_SERVICE_DENIED,
            &format!("too many recipients: {}", rcpts.len()),
        );
    }
    let original = match m.store.read_body(&d.message.id).await {
        Ok(b) => b,
        Err(StoreError::BodyGone(_)) => return not_found("the message is no longer available"),
        Err(e) => return store_failure(tid, e),
    };
    let Ok(orig) = Pdu::decode(&original) else {
        return forward_error(tid, ResponseStatus::PERMANENT_FAILURE, "stored message unreadable");
    };
    let id = new_message_id();
    let sender = format!("{}/TYPE=PLMN", ident.msisdn);
    let delivery_report = pdu.delivery_report().is_some_and(YesNo::is_yes);
    let read_report = pdu.read_report().is_some_and(YesNo::is_yes);
    // The new message: the forwarder's recipients, the original's content,
    // subject, class and priority; Previously-Sent-By/Date name the original
    // sender (when not hidden).
    let mut src = orig.clone();
    src.headers.retain(|h| !matches!(h, Header::To(_) | Header::Cc(_)));
    src.headers.extend(
        pdu.headers
            .iter()
            .filter(|h| matches!(h, Header::To(_) | Header::Cc(_)))
            .cloned(),
    );
    let mut extra = Vec::new();
    if !d.message.sender_hidden {
        extra.push(Header::PreviouslySentBy {
            count: 1,
            address: Address::new(d.message.sender.clone()),
        });
        extra.push(Header::PreviouslySentDate {
            count: 1,
            date: d.message.date,
        });
    }
    let body = stored_retrieve_conf(
        &src,
        &Stored {
            message_id: &id,
            sender: Some(&sender),
            date: now,
            delivery_report,
            read_report,
        },
        extra,
    );
    if body.len() as u64 > c.limits.max_message_size {
        return forward_error(tid, ResponseStatus::PERMANENT_CONTENT_NOT_ACCEPTED, "message too large");
    }
    let to: Vec<String> = rcpts.iter().map(|r| r.address.clone()).collect();
    let size = body.len() as u64;
    let message = NewMessage {
        id: id.clone(),
        sender: sender.clone(),
        sender_hidden: false,
        content_type: d.message.content_type.clone(),
        subject: d.message.subject.clone(),
        message_class: d.message.message_class.clone(),
        priority: d.message.priority.clone(),
        date: now,
        expiry: expiry_of(m, pdu.expiry(), now),
        delivery_report,
        read_report,
        recipients: rcpts,
        body,
    };
    if let Err(e) = m.store.submit(message, now).await {
        return store_failure(tid, e);
    }
    m.wake.notify_one();
    if d.recipient.state != RecipientState::Retrieved {
        let _ = change(m, &d, RecipientUpdate::to(RecipientState::Forwarded)).await;
    }
    metrics::counter!("mmsc_forward_conf_total", "status" => "ok").increment(1);
    m.cdr.record(Cdr {
        ts: now,
        event: "forward",
        message_id: id.clone(),
        from: sender,
        to,
        size,
        status: "ok".into(),
        class: d.message.message_class.clone(),
    });
    mms_response(
        StatusCode::OK,
        pdu::forward_conf(tid, ResponseStatus::OK, None, Some(&id)),
    )
}

/// `GET /healthz`: 200 when the store answers.
pub(crate) async fn healthz(State(m): Shared) -> Response {
    match m.store.counts(unix_now()).await {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("store: {e}\n")).into_response(),
    }
}

/// `GET /metrics`: Prometheus text.
pub(crate) async fn metrics_text(State(m): Shared) -> Response {
    let text = m.metrics.as_ref().map(|h| h.render()).unwrap_or_default();
    let mut r = (StatusCode::OK, text).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
}

/// Anything else.
pub(crate) async fn not_found() -> Response {
    empty(StatusCode::NOT_FOUND)
}
