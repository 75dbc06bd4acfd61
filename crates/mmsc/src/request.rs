//! The pure part of MM1 request handling: what the handlers decide from a
//! request's octets before any store or network I/O. Kept free of I/O so
//! that the `mm1_request` fuzz target (`fuzz/fuzz_targets/mm1_request.rs`)
//! runs it on arbitrary input.
//!
//! - [`route`]: which handler a method and request target (origin form
//!   `/m/TOKEN` or the absolute form a proxy forwards, `http://host/m/TOKEN`)
//!   go to, with the retrieval token checked for shape.
//! - [`dispatch`]: what a POSTed body is (M-Send.req, M-Forward.req, …) and
//!   the M-Send.conf refusal of one that cannot be accepted as it is.
//! - [`token_of_url`], [`is_token`]: retrieval URLs and tokens.
//! - Identity parsing lives in [`crate::identity`]:
//!   [`crate::identity::basic_credentials_of`],
//!   [`crate::identity::normalize_msisdn`],
//!   [`crate::identity::Identifier::source`].

use ferry_mms::{AddressKind as MmsKind, MessageType, Pdu, ResponseStatus, Version};
use ferry_store::{AddressKind, NewRecipient};

use crate::identity::{is_msisdn, normalize_msisdn};

/// The longest retrieval token accepted (Ferry's are 24 characters).
pub const MAX_TOKEN_LEN: usize = 64;

/// True for what can be a retrieval token: 1 to [`MAX_TOKEN_LEN`]
/// characters of the URL-safe base64 alphabet. Anything else is answered
/// 404 without a store lookup.
pub fn is_token(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= MAX_TOKEN_LEN
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The token of one of our retrieval URLs (`{public_base}/m/{token}`).
pub fn token_of_url<'a>(public_base: &str, url: &'a str) -> Option<&'a str> {
    let rest = url.strip_prefix(public_base)?.strip_prefix("/m/")?;
    is_token(rest).then_some(rest)
}

/// Which handler a request goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route<'a> {
    /// `GET /m/{token}` with a well-formed token.
    Retrieve(&'a str),
    /// `GET /m/…` whose token cannot be one of ours: 404.
    BadToken,
    /// `GET /healthz`.
    Health,
    /// `GET /metrics`.
    Metrics,
    /// A `POST` of an MMS PDU (any path but `/m/…`).
    Post,
    /// Anything else: 404.
    NotFound,
}

/// Routes a method and a request target (origin or absolute form).
pub fn route<'a>(method: &str, target: &'a str) -> Route<'a> {
    let path = path_of(target);
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    match method {
        "GET" | "HEAD" => match path {
            "/healthz" => Route::Health,
            "/metrics" => Route::Metrics,
            p => match p.strip_prefix("/m/") {
                Some(t) if is_token(t) => Route::Retrieve(t),
                Some(_) => Route::BadToken,
                None => Route::NotFound,
            },
        },
        "POST" if !path.starts_with("/m/") => Route::Post,
        _ => Route::NotFound,
    }
}

/// The path of a request target: as it is in origin form, after the
/// authority in absolute form (`http://host:port/path` → `/path`).
pub fn path_of(target: &str) -> &str {
    for scheme in ["http://", "https://"] {
        // Compared as octets: the target may hold any UTF-8 (a slice of
        // the text could split a character).
        if target
            .as_bytes()
            .get(..scheme.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(scheme.as_bytes()))
        {
            let rest = &target[scheme.len()..];
            return match rest.find('/') {
                Some(i) => &rest[i..],
                None => "/",
            };
        }
    }
    target
}

/// Checks the version: major 1 only (OMA-TS-MMS_ENC-V1_3 §9: a PDU of an
/// unsupported major version is answered with Error-unsupported-message and
/// the version this server speaks).
pub fn version_ok(pdu: &Pdu<'_>) -> Result<(), String> {
    match pdu.version() {
        Some(v) if v.major() == 1 => Ok(()),
        Some(v) => Err(format!(
            "MMS version {v} is not supported; this server speaks {}",
            Version::V1_3
        )),
        None => Ok(()), // validate() names the missing field
    }
}

/// Recipients of a Send/Forward: address text to store and kind, deduplicated.
pub fn recipients(pdu: &Pdu<'_>) -> Result<Vec<NewRecipient>, String> {
    let mut out: Vec<NewRecipient> = Vec::new();
    for a in pdu.to().chain(pdu.cc()).chain(pdu.bcc()) {
        let r = match a.kind() {
            MmsKind::Plmn => {
                let v = normalize_msisdn(&a.value());
                if !is_msisdn(&v) {
                    return Err(format!("recipient {a} is not a phone number"));
                }
                NewRecipient::new(format!("{v}/TYPE=PLMN"), AddressKind::Msisdn)
            }
            MmsKind::Unqualified => {
                let v = normalize_msisdn(&a.value());
                if !is_msisdn(&v) {
                    return Err(format!(
                        "recipient {a} is neither a phone number nor an e-mail address"
                    ));
                }
                NewRecipient::new(format!("{v}/TYPE=PLMN"), AddressKind::Msisdn)
            }
            MmsKind::Email => NewRecipient::new(a.value().trim().to_owned(), AddressKind::Email),
            _ => NewRecipient::new(a.text().into_owned(), AddressKind::Other),
        };
        if !out.iter().any(|x| x.address == r.address) {
            out.push(r);
        }
    }
    Ok(out)
}

/// What a POSTed body is, as far as it can be told without the store.
#[derive(Debug)]
pub enum Dispatch {
    /// An M-Send.req that passed the format checks, with its recipients.
    Send {
        /// X-Mms-Transaction-ID.
        transaction_id: String,
        /// To + Cc + Bcc, normalised and deduplicated.
        recipients: Vec<NewRecipient>,
    },
    /// An M-Forward.req (checked further against the store).
    Forward,
    /// An M-NotifyResp.ind.
    NotifyResp,
    /// An M-Acknowledge.ind.
    Acknowledge,
    /// An M-Read-Rec.ind.
    ReadRec,
    /// Refused: the M-Send.conf status and text to answer with.
    Refused {
        /// The transaction id found, if any (echoed in the answer).
        transaction_id: String,
        /// X-Mms-Response-Status.
        status: ResponseStatus,
        /// X-Mms-Response-Text.
        text: String,
    },
}

/// Decodes a POSTed body and decides what it is (the format checks of an
/// M-Send.req included: version, mandatory fields, recipient addresses).
pub fn dispatch(body: &[u8]) -> Dispatch {
    let refused = |tid: &str, status, text: String| Dispatch::Refused {
        transaction_id: tid.to_owned(),
        status,
        text,
    };
    let pdu = match Pdu::decode(body) {
        Ok(p) => p,
        Err(e) => {
            let tid = crate::pdu::sniff_transaction_id(body).unwrap_or_default();
            return refused(
                &tid,
                ResponseStatus::PERMANENT_MESSAGE_FORMAT_CORRUPT,
                format!("malformed PDU: {e}"),
            );
        }
    };
    let tid = pdu.transaction_id().unwrap_or("").to_owned();
    match pdu.message_type() {
        Some(MessageType::SEND_REQ) => {
            if let Err(t) = version_ok(&pdu) {
                return refused(&tid, ResponseStatus::ERROR_UNSUPPORTED_MESSAGE, t);
            }
            if let Err(e) = pdu.validate() {
                return refused(
                    &tid,
                    ResponseStatus::PERMANENT_MESSAGE_FORMAT_CORRUPT,
                    e.to_string(),
                );
            }
            match recipients(&pdu) {
                Ok(r) => Dispatch::Send {
                    transaction_id: tid,
                    recipients: r,
                },
                Err(t) => refused(&tid, ResponseStatus::PERMANENT_MESSAGE_FORMAT_CORRUPT, t),
            }
        }
        Some(MessageType::FORWARD_REQ) => Dispatch::Forward,
        Some(MessageType::NOTIFYRESP_IND) => Dispatch::NotifyResp,
        Some(MessageType::ACKNOWLEDGE_IND) => Dispatch::Acknowledge,
        Some(MessageType::READ_REC_IND) => Dispatch::ReadRec,
        Some(t) => refused(
            &tid,
            ResponseStatus::PERMANENT_MESSAGE_FORMAT_CORRUPT,
            format!("{t} is not accepted by this server"),
        ),
        None => refused(
            &tid,
            ResponseStatus::PERMANENT_MESSAGE_FORMAT_CORRUPT,
            "no X-Mms-Message-Type".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route("GET", "/m/abc_-9"), Route::Retrieve("abc_-9"));
        assert_eq!(
            route("GET", "http://mmsc.example:8080/m/abc?x=1"),
            Route::Retrieve("abc")
        );
        assert_eq!(route("GET", "HTTP://h/m/a%2Fb"), Route::BadToken);
        assert_eq!(route("GET", "/m/"), Route::BadToken);
        assert_eq!(
            route("GET", &format!("/m/{}", "a".repeat(65))),
            Route::BadToken
        );
        assert_eq!(route("GET", "/healthz"), Route::Health);
        assert_eq!(route("POST", "/mms"), Route::Post);
        assert_eq!(route("POST", "/m/x"), Route::NotFound);
        assert_eq!(route("DELETE", "/mms"), Route::NotFound);
        assert_eq!(path_of("http://host"), "/");
    }

    /// Fuzz regression (`mm1_request`): a request target whose seventh
    /// octet is inside a two-octet character (`http:/Β…`) panicked when
    /// its first seven octets were sliced as text to compare the scheme.
    #[test]
    fn fuzz_target_with_a_character_across_the_scheme_length() {
        assert_eq!(
            path_of("http:/\u{392}msc.example:8080/m/AbCd_-12?x"),
            "http:/\u{392}msc.example:8080/m/AbCd_-12?x"
        );
        assert_eq!(route("GET", "http:/\u{392}msc/m/x"), Route::NotFound);
        assert_eq!(route("GET", "https:/\u{392}"), Route::NotFound);
        assert_eq!(
            route("GET", "\u{392}\u{392}\u{392}\u{392}"),
            Route::NotFound
        );
    }

    #[test]
    fn tokens_of_urls() {
        assert_eq!(token_of_url("http://a", "http://a/m/tok"), Some("tok"));
        assert_eq!(token_of_url("http://a", "http://a/m/to/k"), None);
        assert_eq!(token_of_url("http://a", "http://b/m/tok"), None);
    }

    #[test]
    fn dispatch_refuses_garbage() {
        assert!(matches!(
            dispatch(b"<html>"),
            Dispatch::Refused {
                status: ResponseStatus::PERMANENT_MESSAGE_FORMAT_CORRUPT,
                ..
            }
        ));
        assert!(matches!(dispatch(&[]), Dispatch::Refused { .. }));
    }
}
