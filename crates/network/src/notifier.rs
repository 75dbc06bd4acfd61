//! The MMSC's push client, recorded: a [`Notifier`] that hands each push to
//! the real PAP client and puts the push and the gateway's answer in the
//! timeline.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use ferry_mms::Pdu;
use ferry_mmsc::Notifier;
use ferry_mmsc::notify::PushFuture;

use crate::proxy::{Names, label};
use crate::trace::{Step, Tracer};

/// Records every push, then delegates.
#[derive(Debug)]
pub struct RecordingNotifier {
    operator: Arc<str>,
    inner: Arc<dyn Notifier>,
    tracer: Tracer,
    names: Names,
}

impl RecordingNotifier {
    /// Wraps `inner`.
    pub fn new(operator: Arc<str>, inner: Arc<dyn Notifier>, tracer: Tracer, names: Names) -> Self {
        Self {
            operator,
            inner,
            tracer,
            names,
        }
    }
}

impl Notifier for RecordingNotifier {
    fn push<'a>(&'a self, msisdn: &'a str, content: Bytes) -> PushFuture<'a> {
        Box::pin(async move {
            if !self.tracer.enabled() {
                return self.inner.push(msisdn, content).await;
            }
            let what = match Pdu::decode(&content) {
                Ok(p) => p
                    .message_type()
                    .map_or_else(|| "MMS PDU".to_owned(), |t| t.to_string()),
                Err(_) => "undecodable MMS PDU".to_owned(),
            };
            let who = label(&self.names, msisdn);
            let started = Instant::now();
            self.tracer.now(
                &self.operator,
                Step::PapPush,
                format!("MMSC → PPG for {who}"),
                Some(content.len()),
                None,
                what,
            );
            let r = self.inner.push(msisdn, content).await;
            let took = Some(started.elapsed());
            match &r {
                Ok(()) => self.tracer.now(
                    &self.operator,
                    Step::PapAnswer,
                    "PPG → MMSC",
                    None,
                    took,
                    "accepted (1001)",
                ),
                Err(e) => self.tracer.now(
                    &self.operator,
                    Step::Failed,
                    "PPG → MMSC",
                    None,
                    took,
                    format!("push failed: {e}"),
                ),
            }
            r
        })
    }
}
