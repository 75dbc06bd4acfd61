//! Result notifications (WAP-247-PAP §9.11): once a push that asked for one
//! (`ppg-notify-requested-to`) reaches a final state, POST a
//! `resultnotification-message` there, and retry with back-off until a
//! `resultnotification-response` with a 1xxx code comes back. The pending
//! flag is in the database, so notifications survive a restart.

use std::time::Duration;

use ferry_pap::{Document, Message, PapVersion};
use ferry_service::Shutdown;
use tokio::sync::mpsc;

use crate::store::{NotifyJob, Op, WriterHandle};

const FIRST_RETRY: Duration = Duration::from_secs(1);
const LAST_RETRY: Duration = Duration::from_secs(300);

pub(crate) async fn run(
    writer: WriterHandle,
    mut rx: mpsc::UnboundedReceiver<NotifyJob>,
    initial: Vec<NotifyJob>,
    sender_name: String,
    shutdown: Shutdown,
) {
    ferry_service::tls::install_ring_provider();
    let client = match reqwest::Client::builder().timeout(Duration::from_secs(30)).build() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("result notifications disabled: no HTTP client: {e}");
            return;
        }
    };
    for j in initial {
        tokio::spawn(one(client.clone(), writer.clone(), j, sender_name.clone(), shutdown.clone()));
    }
    loop {
        let j = tokio::select! {
            j = rx.recv() => match j { Some(j) => j, None => break },
            _ = shutdown.wait() => break,
        };
        tokio::spawn(one(client.clone(), writer.clone(), j, sender_name.clone(), shutdown.clone()));
    }
}

async fn one(client: reqwest::Client, writer: WriterHandle, job: NotifyJob, sender_name: String, shutdown: Shutdown) {
    let body = job.message(&sender_name).to_xml(PapVersion::V2_0);
    let mut delay = FIRST_RETRY;
    loop {
        match attempt(&client, &job.url, &body).await {
            Ok(()) => {
                metrics::counter!("ppg_notifications_total", "outcome" => "acknowledged").increment(1);
                writer.send(Op::NotifyDone { id: job.id }).await;
                return;
            }
            Err(e) => {
                metrics::counter!("ppg_notifications_total", "outcome" => "retry").increment(1);
                tracing::info!(push_id = %job.push_id, url = %job.url, "result notification not acknowledged, retrying in {delay:?}: {e}");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shutdown.wait() => return,
        }
        delay = (delay * 2).min(LAST_RETRY);
    }
}

async fn attempt(client: &reqwest::Client, url: &str, body: &str) -> Result<(), String> {
    let resp = client
        .post(url)
        .header("Content-Type", "application/xml")
        .body(body.to_owned())
        .send()
        .await
        .map_err(|e| format!("POST failed: {e}"))?;
    let status = resp.status();
    let bytes = resp.bytes().await.map_err(|e| format!("reading the answer: {e}"))?;
    let doc = Document::parse(&bytes).map_err(|e| format!("HTTP {status}, answer is not a PAP document: {e}"))?;
    match doc.message {
        Message::ResultNotificationResponse(r) if r.code.0 / 1000 == 1 => Ok(()),
        Message::ResultNotificationResponse(r) => Err(format!("initiator answered code {}", r.code.0)),
        other => Err(format!("expected resultnotification-response, got <{}>", other.element_name())),
    }
}
