//! Virtual phones for the load and fault tools (`ferry bench`,
//! `ferry faults`): lighter than [`ferry_handset::Phone`] (no mailbox on
//! disk) but on the real attachment — **one SMPP session per phone**, bound
//! as receiver with its MSISDN ([`EsmeLink`], which reconnects and rebinds by
//! itself), the handset's own reassembly ([`SmsInbox`]) and WSP Push decoding,
//! and MM1 over HTTP straight to the MMSC with the `X-MSISDN` header.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use bytes::Bytes;
use ferry_handset::config::SmscConfig;
use ferry_handset::esme_link::EsmeLink;
use ferry_handset::sms::{Received, SmsInbox, SmsLink};
use ferry_mms::Pdu;
use ferry_service::Shutdown;
use ferry_wsp::Push;

use crate::network::{PHONE_PASSWORD, PHONE_SYSTEM_ID};

/// The MSISDN of virtual phone `i` of an operator whose numbers start with
/// `prefix`.
pub fn msisdn(prefix: &str, i: usize) -> String {
    format!("{prefix}9{i:05}")
}

/// Starts one SMPP session per number against `smsc` (with the network's
/// phone account) and waits up to `within` until every one is bound.
pub async fn bind_all(
    smsc: &str,
    numbers: &[String],
    within: Duration,
    sd: &Shutdown,
) -> Result<Vec<EsmeLink>> {
    let config = SmscConfig {
        address: smsc.to_owned(),
        system_id: PHONE_SYSTEM_ID.into(),
        password: PHONE_PASSWORD.into(),
        system_type: String::new(),
        transceiver: false,
    };
    let mut links = Vec::with_capacity(numbers.len());
    for m in numbers {
        links.push(EsmeLink::start(&config, m, sd.clone())?);
    }
    let bound = Arc::new(AtomicUsize::new(0));
    let waited = tokio::time::timeout(within, async {
        for l in &links {
            l.esme()
                .bound()
                .await
                .map_err(|e| anyhow::anyhow!("a phone could not bind: {e}"))?;
            bound.fetch_add(1, Ordering::Relaxed);
        }
        anyhow::Ok(())
    })
    .await;
    match waited {
        Ok(r) => r?,
        Err(_) => anyhow::bail!(
            "only {} of {} phones bound within {} s",
            bound.load(Ordering::Relaxed),
            numbers.len(),
            within.as_secs()
        ),
    }
    Ok(links)
}

/// The next MMS PDU pushed to a phone (WAP Push over SMS, reassembled);
/// `None` when the session ends. Short messages that carry no MMS PDU are
/// skipped.
pub async fn next_mms(link: &mut EsmeLink, inbox: &mut SmsInbox) -> Option<Pdu<'static>> {
    loop {
        let sms = link.recv().await?;
        let Ok(Some(Received::WapPush { datagram, .. })) = inbox.handle_sms(Instant::now(), &sms)
        else {
            continue;
        };
        let Ok(push) = Push::decode(&datagram) else {
            continue;
        };
        if let Ok(pdu) = Pdu::decode(push.body) {
            return Some(pdu.into_owned());
        }
    }
}

/// Why an MM1 request failed.
#[derive(Debug, thiserror::Error)]
pub enum Mm1Error {
    /// The connection was refused (or not made): the request never reached
    /// the MMSC, so it is safe to send again.
    #[error("MMSC not reachable: {0}")]
    NotSent(reqwest::Error),
    /// The request may have reached the MMSC (reset, timeout): its outcome
    /// is unknown.
    #[error("no answer from the MMSC: {0}")]
    Unknown(reqwest::Error),
    /// The MMSC answered with an HTTP error status.
    #[error("HTTP {0}")]
    Status(reqwest::StatusCode),
}

/// MM1 over HTTP straight to the MMSC, as a phone behind a trusted proxy.
#[derive(Debug, Clone)]
pub struct Mm1 {
    http: reqwest::Client,
    url: String,
}

impl Mm1 {
    /// A client for the MMSC at `url` with up to `pool` idle connections.
    pub fn new(url: String, pool: usize) -> Result<Self> {
        ferry_service::tls::install_ring_provider();
        let http = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(pool)
            .timeout(Duration::from_secs(30))
            .build()
            .context("building the HTTP client")?;
        Ok(Self { http, url })
    }

    fn classify(e: reqwest::Error) -> Mm1Error {
        if e.is_connect() {
            Mm1Error::NotSent(e)
        } else {
            Mm1Error::Unknown(e)
        }
    }

    /// POSTs an MMS PDU as `msisdn`; the answer's body when it is 2xx.
    pub async fn post(&self, msisdn: &str, pdu: Vec<u8>) -> Result<Bytes, Mm1Error> {
        let r = self
            .http
            .post(&self.url)
            .header("content-type", ferry_handset::mm1::MMS_MEDIA_TYPE)
            .header("x-msisdn", msisdn)
            .body(pdu)
            .send()
            .await
            .map_err(Self::classify)?;
        let st = r.status();
        let b = r.bytes().await.map_err(Mm1Error::Unknown)?;
        if !st.is_success() {
            return Err(Mm1Error::Status(st));
        }
        Ok(b)
    }

    /// GETs a message (the Content-Location of its notification) as
    /// `msisdn`; the M-Retrieve.conf.
    pub async fn get(&self, msisdn: &str, url: &str) -> Result<Pdu<'static>> {
        let r = self.http.get(url).header("x-msisdn", msisdn).send().await?;
        let st = r.status();
        let body = r.bytes().await?;
        ensure!(st.is_success(), "GET: HTTP {st}");
        let pdu = Pdu::decode(&body).context("M-Retrieve.conf")?.into_owned();
        ensure!(
            pdu.message_type() == Some(ferry_mms::MessageType::RETRIEVE_CONF),
            "GET gave {:?}",
            pdu.message_type()
        );
        Ok(pdu)
    }
}

/// `len` pseudo-random octets from `seed` (xorshift; the same seed gives the
/// same octets).
pub fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut v = vec![0u8; len];
    let mut x = 0x2545_F491_4F6C_DD1Du64 ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for b in &mut v {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    v
}
