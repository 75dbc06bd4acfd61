//! The SMSC's shared state: bound sessions by target, the queue of
//! messages not yet delivered, retries and expiry, receipts, routing and
//! authentication.
//!
//! Every queued message is in `entries`; one that is not being delivered
//! right now is also in `waiting[target]`. A message is handed to one bound
//! session at a time (`in_flight`); the session reports back delivered,
//! failed (retry after back-off) or returned (the session closed).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use ferry_smpp::{Bind, BindMode, CommandStatus, MessageState};
use tokio::sync::mpsc;

use crate::config::{Account, AccountRole, Config};
use crate::message::{Msg, Target, now_ms, receipt_pdu};
use crate::metrics as m;
use crate::store::{Op, StoreHandle};

/// What a session is told.
#[derive(Debug)]
pub(crate) enum ToSession {
    /// Deliver this message (a deliver_sm).
    Deliver(Arc<Msg>),
    /// The submit_sm with this sequence number is committed (or failed).
    Committed {
        /// The submit_sm's sequence number.
        seq: u32,
        /// The message id, or the status to reject with.
        result: Result<u64, CommandStatus>,
    },
}

/// A bound session that takes deliveries.
#[derive(Clone, Debug)]
pub(crate) struct SessionHandle {
    pub(crate) sid: u64,
    pub(crate) tx: mpsc::UnboundedSender<ToSession>,
}

struct Entry {
    msg: Arc<Msg>,
    attempts: u32,
    due_ms: i64,
    in_flight: Option<u64>,
}

#[derive(Default)]
struct State {
    entries: HashMap<u64, Entry>,
    waiting: HashMap<Target, BTreeSet<u64>>,
    retry: BTreeSet<(i64, u64)>,
    expiry: BTreeSet<(i64, u64)>,
    sessions: HashMap<Target, Vec<SessionHandle>>,
    bound_sessions: usize,
    rr: u64,
}

/// How a destination number is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Routing {
    /// Here: a handset of this SMSC.
    Local,
    /// At the other SMSC of route `n`.
    Forward(usize),
    /// Nowhere known.
    Unknown,
}

/// A successful bind: who, and which deliveries it takes.
#[derive(Clone, Debug)]
pub(crate) struct Bound {
    pub(crate) account: Arc<Account>,
    pub(crate) msisdn: Option<String>,
    pub(crate) targets: Vec<Target>,
}

/// The outcome of a submission.
pub(crate) enum Submitted {
    /// Accepted now (memory store): the message id.
    Now(u64),
    /// Being committed: a [`ToSession::Committed`] follows.
    Pending,
}

pub(crate) struct Core {
    pub(crate) config: Arc<Config>,
    accounts: HashMap<String, Arc<Account>>,
    routes: Vec<String>,
    local_any: bool,
    local_msisdns: HashSet<String>,
    local_prefixes: Vec<String>,
    state: Mutex<State>,
    pub(crate) store: StoreHandle,
    next_id: AtomicU64,
    next_sid: AtomicU64,
    queued: AtomicUsize,
    bind_failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
    forwarders: OnceLock<crate::forward::Forwarders>,
}

const FAILURE_WINDOW: Duration = Duration::from_secs(600);

impl Core {
    pub(crate) fn new(config: Arc<Config>, store: StoreHandle, first_id: u64) -> Core {
        let norm = |s: &String| crate::address::normalize(s.as_bytes()).unwrap_or_default();
        let mut local_any = false;
        let mut local_msisdns = HashSet::new();
        let mut local_prefixes = Vec::new();
        for a in config
            .accounts
            .iter()
            .filter(|a| a.role == AccountRole::Handset)
        {
            if a.msisdns.is_empty() && a.prefixes.is_empty() {
                local_any = true;
            }
            local_msisdns.extend(a.msisdns.iter().map(norm));
            local_prefixes.extend(a.prefixes.iter().map(norm));
        }
        Core {
            accounts: config
                .accounts
                .iter()
                .map(|a| (a.system_id.clone(), Arc::new(a.clone())))
                .collect(),
            routes: config.routes.iter().map(|r| norm(&r.prefix)).collect(),
            local_any,
            local_msisdns,
            local_prefixes,
            config,
            state: Mutex::new(State::default()),
            store,
            next_id: AtomicU64::new(first_id),
            next_sid: AtomicU64::new(1),
            queued: AtomicUsize::new(0),
            bind_failures: Mutex::new(HashMap::new()),
            forwarders: OnceLock::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The route clients (none until [`Core::set_forwarders`]).
    pub(crate) fn forwarders(&self) -> &crate::forward::Forwarders {
        static NONE: OnceLock<crate::forward::Forwarders> = OnceLock::new();
        self.forwarders
            .get()
            .unwrap_or_else(|| NONE.get_or_init(Default::default))
    }

    pub(crate) fn set_forwarders(&self, f: crate::forward::Forwarders) {
        let _ = self.forwarders.set(f);
    }

    /// Makes this SMSC's receipt for a forwarded message from the other
    /// SMSC's final `state`.
    pub(crate) fn relay_receipt(&self, msg: &Msg, state: MessageState) {
        if msg.wants_receipt(state) {
            self.make_receipt(msg, state);
        }
    }

    pub(crate) fn new_sid(&self) -> u64 {
        self.next_sid.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn new_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Messages queued (accepted or being committed, not yet final).
    pub(crate) fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// Sessions bound for deliveries.
    pub(crate) fn bound_sessions(&self) -> usize {
        self.lock().bound_sessions
    }

    // ---- authentication -------------------------------------------------

    /// Whether bind responses to `ip` are to be delayed (repeated failures).
    pub(crate) fn bind_delay(&self, ip: IpAddr) -> Option<Duration> {
        let l = &self.config.limits;
        let f = self.bind_failures.lock().unwrap_or_else(|p| p.into_inner());
        match f.get(&ip) {
            Some(&(n, since))
                if n >= l.failed_binds_before_delay && since.elapsed() < FAILURE_WINDOW =>
            {
                // Doubles with every failure past the threshold.
                let k = (n - l.failed_binds_before_delay).min(20);
                let d = l.bind_delay_ms.saturating_mul(1 << k);
                Some(Duration::from_millis(
                    d.min(l.bind_delay_max_ms.max(l.bind_delay_ms)),
                ))
            }
            _ => None,
        }
    }

    fn bind_failed(&self, ip: IpAddr) {
        let mut f = self.bind_failures.lock().unwrap_or_else(|p| p.into_inner());
        if f.len() > 10_000 {
            f.retain(|_, (_, since)| since.elapsed() < FAILURE_WINDOW);
        }
        let e = f.entry(ip).or_insert((0, Instant::now()));
        if e.1.elapsed() >= FAILURE_WINDOW {
            *e = (0, Instant::now());
        }
        e.0 += 1;
    }

    /// Checks a bind: credentials, bind type, and for a handset its MSISDN.
    pub(crate) fn authenticate(
        &self,
        ip: IpAddr,
        mode: BindMode,
        b: &Bind<'_>,
    ) -> Result<Bound, CommandStatus> {
        let account = std::str::from_utf8(b.system_id)
            .ok()
            .and_then(|s| self.accounts.get(s));
        let Some(account) = account.filter(|a| ct_eq(a.password.as_bytes(), b.password)) else {
            self.bind_failed(ip);
            metrics::counter!(m::BIND_FAILURES).increment(1);
            return Err(CommandStatus::ESME_RINVPASWD);
        };
        if !account.allows(mode) {
            return Err(CommandStatus::ESME_RBINDFAIL);
        }
        let mut targets = Vec::new();
        let mut msisdn = None;
        match account.role {
            AccountRole::Handset => {
                let n = crate::address::normalize(b.address_range);
                match n {
                    Some(n) if account.may_be(&n) => {
                        targets.push(Target::Msisdn(n.clone()));
                        msisdn = Some(n);
                    }
                    // A handset must say which number it is.
                    _ => return Err(CommandStatus::ESME_RBINDFAIL),
                }
            }
            AccountRole::Gateway | AccountRole::Peer => {
                targets.push(Target::System(account.system_id.clone()))
            }
        }
        if !mode.can_receive() {
            targets.clear();
        }
        Ok(Bound {
            account: account.clone(),
            msisdn,
            targets,
        })
    }

    // ---- routing ----------------------------------------------------------

    pub(crate) fn route(&self, dest: &str) -> Routing {
        if self
            .lock()
            .sessions
            .contains_key(&Target::Msisdn(dest.to_owned()))
        {
            return Routing::Local;
        }
        let best = self
            .routes
            .iter()
            .enumerate()
            .filter(|(_, p)| dest.starts_with(p.as_str()))
            .max_by_key(|(_, p)| p.len());
        if let Some((i, _)) = best {
            return Routing::Forward(i);
        }
        if self.local_any
            || self.local_msisdns.contains(dest)
            || self
                .local_prefixes
                .iter()
                .any(|p| dest.starts_with(p.as_str()))
        {
            return Routing::Local;
        }
        Routing::Unknown
    }

    // ---- the queue ----------------------------------------------------------

    /// Takes a new message: stored (memory) or sent to the writer, whose
    /// commit answers `reply` with [`ToSession::Committed`].
    pub(crate) fn submit(
        &self,
        msg: Msg,
        reply: Option<(mpsc::UnboundedSender<ToSession>, u32)>,
    ) -> Result<Submitted, CommandStatus> {
        if self.queued() >= self.config.limits.max_queued {
            return Err(CommandStatus::ESME_RMSGQFUL);
        }
        let min_free = self.config.limits.min_free_bytes;
        if min_free > 0
            && let crate::config::Store::Sqlite(path) = &self.config.store
        {
            let free = ferry_service::db::free_bytes(path).unwrap_or(0);
            if free < min_free {
                metrics::counter!("ferry_smsc_storage_full_total").increment(1);
                tracing::warn!(free, min_free, "submit refused: storage full");
                return Err(CommandStatus::ESME_RMSGQFUL);
            }
        }
        self.queued.fetch_add(1, Ordering::Relaxed);
        metrics::counter!(m::SUBMITTED).increment(1);
        let msg = Arc::new(msg);
        match &self.store {
            StoreHandle::Memory => {
                let id = msg.id;
                self.accept(msg, 0, None);
                Ok(Submitted::Now(id))
            }
            StoreHandle::Sqlite(tx) => {
                if tx.send(Op::Insert(msg, reply)).is_err() {
                    self.queued.fetch_sub(1, Ordering::Relaxed);
                    return Err(CommandStatus::ESME_RSYSERR);
                }
                Ok(Submitted::Pending)
            }
        }
    }

    /// A message read back from the store at start-up is queued.
    pub(crate) fn count_loaded(&self) {
        self.queued.fetch_add(1, Ordering::Relaxed);
    }

    /// The writer could not commit a message.
    pub(crate) fn insert_failed(&self) {
        self.queued.fetch_sub(1, Ordering::Relaxed);
    }

    /// Puts a committed (or loaded) message in the queue and hands it to a
    /// session if one is bound for it.
    pub(crate) fn accept(&self, msg: Arc<Msg>, attempts: u32, due_ms: Option<i64>) {
        metrics::counter!(m::STORED).increment(1);
        metrics::gauge!(m::QUEUE_DEPTH).set(self.queued() as f64);
        let due_ms = due_ms.unwrap_or(msg.not_before_ms);
        let id = msg.id;
        let mut st = self.lock();
        st.expiry.insert((msg.expires_ms, id));
        st.waiting.entry(msg.target.clone()).or_default().insert(id);
        let target = msg.target.clone();
        st.entries.insert(
            id,
            Entry {
                msg,
                attempts,
                due_ms,
                in_flight: None,
            },
        );
        if due_ms > now_ms() {
            st.retry.insert((due_ms, id));
        } else {
            st.dispatch(&target, id);
        }
    }

    /// Registers a bound session for deliveries to `targets`, and hands it
    /// what is waiting for them (back-off reset: the handset is back).
    pub(crate) fn register(&self, targets: &[Target], handle: SessionHandle) {
        if targets.is_empty() {
            return;
        }
        let now = now_ms();
        let mut st = self.lock();
        st.bound_sessions += 1;
        metrics::gauge!(m::BOUND_SESSIONS).set(st.bound_sessions as f64);
        for t in targets {
            st.sessions
                .entry(t.clone())
                .or_default()
                .push(handle.clone());
            let ids: Vec<u64> = st
                .waiting
                .get(t)
                .map(|w| w.iter().copied().collect())
                .unwrap_or_default();
            for id in ids {
                let Some(e) = st.entries.get_mut(&id) else {
                    continue;
                };
                if e.attempts > 0 && e.due_ms > now {
                    let old = e.due_ms;
                    e.due_ms = now;
                    st.retry.remove(&(old, id));
                }
                if st.entries.get(&id).is_some_and(|e| e.due_ms <= now) {
                    st.dispatch(t, id);
                }
            }
        }
    }

    /// A session has ended: it no longer takes deliveries, and the messages
    /// it held but had not delivered go back to the queue.
    pub(crate) fn unregister(&self, sid: u64, targets: &[Target], returned: Vec<u64>) {
        let mut st = self.lock();
        if !targets.is_empty() {
            st.bound_sessions = st.bound_sessions.saturating_sub(1);
            metrics::gauge!(m::BOUND_SESSIONS).set(st.bound_sessions as f64);
        }
        for t in targets {
            if let Some(v) = st.sessions.get_mut(t) {
                v.retain(|h| h.sid != sid);
                if v.is_empty() {
                    st.sessions.remove(t);
                }
            }
        }
        for id in returned {
            let Some(e) = st.entries.get_mut(&id) else {
                continue;
            };
            if e.in_flight != Some(sid) {
                continue;
            }
            e.in_flight = None;
            let target = e.msg.target.clone();
            st.waiting.entry(target.clone()).or_default().insert(id);
            st.dispatch(&target, id);
        }
    }

    /// The recipient acknowledged message `id`.
    pub(crate) fn delivered(&self, id: u64) {
        metrics::counter!(m::DELIVERED).increment(1);
        self.finish(id, MessageState::DELIVERED);
    }

    /// Delivering `id` failed: retry after back-off (until expiry), or give
    /// up when `permanent`.
    pub(crate) fn failed(&self, id: u64, permanent: bool) {
        if permanent {
            self.finish(id, MessageState::UNDELIVERABLE);
            return;
        }
        let now = now_ms();
        let retry = &self.config.delivery.retry_seconds;
        let mut st = self.lock();
        let Some(e) = st.entries.get_mut(&id) else {
            return;
        };
        e.in_flight = None;
        e.attempts += 1;
        let step = retry
            .get(e.attempts as usize - 1)
            .or(retry.last())
            .copied()
            .unwrap_or(60);
        e.due_ms = now + (step as i64) * 1000;
        let (due, attempts, target) = (e.due_ms, e.attempts, e.msg.target.clone());
        st.retry.insert((due, id));
        st.waiting.entry(target).or_default().insert(id);
        drop(st);
        metrics::counter!(m::RETRIED).increment(1);
        self.store.send(Op::Retry {
            id,
            attempts,
            due_ms: due,
        });
    }

    /// Removes `id` in final `state`, deleting it from the store and making
    /// its receipt if one was asked for.
    fn finish(&self, id: u64, state: MessageState) {
        let Some(msg) = self.lock().remove(id) else {
            return;
        };
        self.queued.fetch_sub(1, Ordering::Relaxed);
        metrics::gauge!(m::QUEUE_DEPTH).set(self.queued() as f64);
        self.store.send(Op::Delete(id));
        if msg.wants_receipt(state) {
            self.make_receipt(&msg, state);
        }
    }

    fn make_receipt(&self, orig: &Msg, state: MessageState) {
        let (Some(to), Some(pdu)) = (orig.receipt_to.clone(), receipt_pdu(orig, state, now_ms()))
        else {
            return;
        };
        let now = now_ms();
        let r = Msg {
            id: self.new_id(),
            target: to,
            receipt_to: None,
            registered_delivery: 0,
            submit_ms: now,
            expires_ms: now + (self.config.delivery.default_validity_seconds as i64) * 1000,
            not_before_ms: now,
            pdu,
        };
        metrics::counter!(m::RECEIPTS).increment(1);
        // Receipts are queued without a quota check: they answer messages
        // already accepted.
        self.queued.fetch_add(1, Ordering::Relaxed);
        let r = Arc::new(r);
        match &self.store {
            StoreHandle::Memory => self.accept(r, 0, None),
            StoreHandle::Sqlite(_) => self.store.send(Op::Insert(r, None)),
        }
    }

    /// Timers: retries that are due, and messages whose validity ended.
    pub(crate) fn tick(&self) {
        let now = now_ms();
        let mut expired = Vec::new();
        {
            let mut st = self.lock();
            while let Some(&(due, id)) = st.retry.first() {
                if due > now {
                    break;
                }
                st.retry.pop_first();
                let Some(e) = st.entries.get(&id) else {
                    continue;
                };
                if e.in_flight.is_none() && e.due_ms == due {
                    let t = e.msg.target.clone();
                    st.dispatch(&t, id);
                }
            }
            let mut later = Vec::new();
            while let Some(&(exp, id)) = st.expiry.first() {
                if exp > now {
                    break;
                }
                st.expiry.pop_first();
                match st.entries.get(&id) {
                    // Being delivered: its outcome decides; look again soon.
                    Some(e) if e.in_flight.is_some() => later.push((now + 1000, id)),
                    Some(_) => expired.push(id),
                    None => {}
                }
            }
            st.expiry.extend(later);
        }
        for id in expired {
            metrics::counter!(m::EXPIRED).increment(1);
            self.finish(id, MessageState::EXPIRED);
        }
    }
}

impl State {
    /// Hands waiting message `id` for `target` to a bound session, if any
    /// (round robin over the sessions bound for it).
    fn dispatch(&mut self, target: &Target, id: u64) {
        let Some(handles) = self.sessions.get(target) else {
            return;
        };
        let Some(e) = self.entries.get_mut(&id) else {
            return;
        };
        if e.in_flight.is_some() {
            return;
        }
        let n = handles.len();
        for k in 0..n {
            let h = &handles[(self.rr as usize + k) % n];
            if h.tx.send(ToSession::Deliver(e.msg.clone())).is_ok() {
                e.in_flight = Some(h.sid);
                self.rr = self.rr.wrapping_add(1);
                if let Some(w) = self.waiting.get_mut(target) {
                    w.remove(&id);
                    if w.is_empty() {
                        self.waiting.remove(target);
                    }
                }
                return;
            }
        }
    }

    fn remove(&mut self, id: u64) -> Option<Arc<Msg>> {
        let e = self.entries.remove(&id)?;
        self.expiry.remove(&(e.msg.expires_ms, id));
        self.retry.remove(&(e.due_ms, id));
        if let Some(w) = self.waiting.get_mut(&e.msg.target) {
            w.remove(&id);
            if w.is_empty() {
                self.waiting.remove(&e.msg.target);
            }
        }
        Some(e.msg)
    }
}

/// Compares secrets in time independent of where they differ.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
