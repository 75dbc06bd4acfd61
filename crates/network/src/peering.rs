//! The MMSCs' peering steps (sender-hosted retrieval between operators) in
//! the timeline: a [`PeerObserver`] that records each fetch from a peer,
//! each refusal and each relayed outcome.

use std::sync::Arc;

use ferry_mmsc::peer::{PeerEvent, PeerObserver, PeerStep};

use crate::proxy::{Names, label};
use crate::trace::{Step, Tracer};

/// Records one operator's MMSC's peering steps.
#[derive(Debug)]
pub struct RecordingPeers {
    operator: Arc<str>,
    tracer: Tracer,
    names: Names,
}

impl RecordingPeers {
    /// For the MMSC of `operator`.
    pub fn new(operator: Arc<str>, tracer: Tracer, names: Names) -> Self {
        Self {
            operator,
            tracer,
            names,
        }
    }
}

impl PeerObserver for RecordingPeers {
    fn observe(&self, e: &PeerEvent) {
        if !self.tracer.enabled() {
            return;
        }
        let who = label(&self.names, &e.acting_for);
        let peer = e.peer.as_deref().unwrap_or("every peer");
        let (step, path) = match e.step {
            PeerStep::Fetch => (Step::PeerFetch, format!("MMSC → MMSC {peer} for {who}")),
            PeerStep::Relay => (Step::PeerRelay, format!("MMSC → MMSC {peer} for {who}")),
            _ => (Step::Failed, format!("MMSC for {who}")),
        };
        let step = if e.ok { step } else { Step::Failed };
        self.tracer
            .now(&self.operator, step, path, e.size, e.took, e.detail.clone());
    }
}
