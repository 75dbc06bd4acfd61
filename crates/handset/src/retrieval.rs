//! The retrieval state machine, without I/O (quinn-proto style): WAP push
//! datagrams and HTTP results go in through `handle_*`, what to do comes out
//! of [`Retriever::poll_action`], time is passed in.
//!
//! ```text
//!  handle_push(datagram) ─► WSP Push ─► not MMS ───────────────► Alert::Ignored
//!                                   └─► M-Notification.ind
//!                                        ├─ seen TID ──────────► Alert::Duplicate
//!                                        ├─ anonymous, policy ─► Record(Rejected), Post NotifyResp(Rejected)
//!                                        ├─ deferred / too big ► Record(Deferred), Post NotifyResp(Deferred), Alert::Pending
//!                                        └─ immediate ─────────► Record(Fetching), Fetch
//!  fetch(tid) (user) ─────────────────────────────────────────► Fetch
//!  handle_fetched(tid, Ok(M-Retrieve.conf ok)) ──────────────► Store
//!                   (Ok(undecodable)) ────────────────────────► Post NotifyResp(Unrecognised), Alert::Failed
//!                   (Err(transient) | Retrieve-Status transient) ► retry after back-off, then Alert::Failed
//!  handle_stored(tid, Ok) ─► Post NotifyResp(Retrieved) (or M-Acknowledge.ind after a Deferred) ─► Alert::Received
//! ```
//!
//! The acknowledgement goes out only after the driver says the message is
//! stored, so the MMSC never drops a message the phone has not kept.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::Instant;

use ferry_mms::{Header, MessageType, Pdu, ReadStatus, Status, YesNo};
use ferry_wsp::Push;

use crate::config::{RetrievalConfig, RetrievalMode};

/// What a notification announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// X-Mms-Transaction-ID.
    pub transaction_id: String,
    /// From (without `/TYPE=PLMN`), if given.
    pub from: Option<String>,
    /// Subject.
    pub subject: Option<String>,
    /// X-Mms-Message-Size.
    pub size: Option<u64>,
    /// X-Mms-Content-Location: where to GET the message.
    pub content_location: String,
    /// X-Mms-Message-Class, as text.
    pub class: Option<String>,
    /// X-Mms-Expiry, as text.
    pub expiry: Option<String>,
}

impl Notice {
    /// Reads a decoded M-Notification.ind; `None` without a transaction id or
    /// a content location.
    pub fn from_pdu(p: &Pdu<'_>) -> Option<Self> {
        Some(Self {
            transaction_id: p.transaction_id()?.to_owned(),
            from: p
                .from()
                .and_then(|f| f.address())
                .map(|a| a.value().into_owned())
                .filter(|a| !a.trim().is_empty()),
            subject: p.subject().map(|s| s.text().into_owned()),
            size: p.message_size(),
            content_location: p.content_location()?.trim().to_owned(),
            class: p.message_class().map(ToString::to_string),
            expiry: p.expiry().map(|e| e.to_string()),
        })
    }
}

/// The state a notification is recorded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Being fetched now.
    Fetching,
    /// Waiting for the user (M-NotifyResp.ind Deferred sent).
    Deferred,
    /// Refused by policy (M-NotifyResp.ind Rejected sent).
    Rejected,
}

/// A report pushed to the phone about a message it sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// M-Delivery.ind.
    Delivery {
        /// Message-ID of the sent message.
        message_id: String,
        /// The recipient.
        recipient: String,
        /// Status (retrieved, rejected, expired...).
        status: Status,
    },
    /// M-Read-Orig.ind.
    Read {
        /// Message-ID of the sent message.
        message_id: String,
        /// The recipient who read it.
        recipient: String,
        /// Read or deleted without being read.
        status: ReadStatus,
    },
}

/// What the user is told.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Alert {
    /// A deferred message is waiting: fetch it when you want.
    Pending(Notice),
    /// A message was fetched and stored.
    Received {
        /// Transaction id of its notification.
        transaction_id: String,
        /// From.
        from: Option<String>,
        /// Subject.
        subject: Option<String>,
    },
    /// A notification refused by policy.
    Rejected {
        /// The notification.
        notice: Notice,
        /// Why.
        reason: String,
    },
    /// A fetch that gave up (or a PDU that could not be decoded).
    Failed {
        /// Transaction id of the notification.
        transaction_id: String,
        /// Why.
        reason: String,
    },
    /// A delivery or read report.
    Report(Report),
    /// A notification seen before (same transaction id): not fetched again.
    Duplicate {
        /// The transaction id.
        transaction_id: String,
    },
    /// A push this phone does not act on (not MMS, or not decodable).
    Ignored {
        /// What it was.
        what: String,
    },
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Record a new notification (its encoded PDU is `raw`).
    Record {
        /// What it announced.
        notice: Notice,
        /// The M-Notification.ind as received.
        raw: Vec<u8>,
        /// In which state.
        state: Recorded,
    },
    /// HTTP GET `url`; answer with [`Retriever::handle_fetched`].
    Fetch {
        /// Transaction id of the notification.
        transaction_id: String,
        /// The Content-Location.
        url: String,
        /// 1 for the first attempt.
        attempt: u32,
    },
    /// Store the M-Retrieve.conf durably; answer with
    /// [`Retriever::handle_stored`].
    Store {
        /// Transaction id of the notification.
        transaction_id: String,
        /// The M-Retrieve.conf as fetched.
        pdu: Vec<u8>,
    },
    /// POST this PDU to the MMSC (fire and forget).
    Post {
        /// Transaction id of the notification.
        transaction_id: String,
        /// M-NotifyResp.ind or M-Acknowledge.ind, encoded.
        pdu: Vec<u8>,
        /// Its status in words, for logs (`notifyresp deferred`...).
        what: String,
    },
    /// The driver records a fetch failure (the notification stays so the
    /// user can try again).
    MarkFailed {
        /// Transaction id.
        transaction_id: String,
        /// Why.
        reason: String,
    },
    /// Tell the user.
    Alert(Alert),
}

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    /// Worth trying again (connection failure, timeout, 5xx).
    pub transient: bool,
    /// What happened.
    pub reason: String,
}

/// Errors of user requests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// No notification with this transaction id is waiting.
    #[error("no notification with transaction id {0:?} is waiting")]
    Unknown(String),
    /// It is being fetched already.
    #[error("message {0:?} is being fetched already")]
    Busy(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for the user.
    Deferred,
    /// A fetch is out (attempt number).
    Fetching(u32),
    /// Waiting before the next attempt.
    Backoff(u32),
    /// The M-Retrieve.conf is being stored.
    Storing,
    /// Gave up; the user may try again.
    Failed,
}

#[derive(Debug, Clone)]
struct Entry {
    notice: Notice,
    state: State,
    /// M-NotifyResp.ind Deferred went out: answer a later fetch with
    /// M-Acknowledge.ind instead of M-NotifyResp.ind Retrieved.
    deferred_sent: bool,
}

/// The retrieval state machine of one phone.
#[derive(Debug)]
pub struct Retriever {
    config: RetrievalConfig,
    allow_delivery_reports: bool,
    entries: HashMap<String, Entry>,
    seen: HashSet<String>,
    timers: BTreeMap<(Instant, u64), String>,
    next_timer: u64,
    actions: VecDeque<Action>,
}

impl Retriever {
    /// A machine with this policy; `allow_delivery_reports` fills
    /// X-Mms-Report-Allowed.
    pub fn new(config: RetrievalConfig, allow_delivery_reports: bool) -> Self {
        Self {
            config,
            allow_delivery_reports,
            entries: HashMap::new(),
            seen: HashSet::new(),
            timers: BTreeMap::new(),
            next_timer: 0,
            actions: VecDeque::new(),
        }
    }

    /// Marks a transaction id as seen (from the phone's index at start-up),
    /// so a repeated notification is not fetched again.
    pub fn remember(&mut self, transaction_id: impl Into<String>) {
        self.seen.insert(transaction_id.into());
    }

    /// Restores a notification that is waiting for the user (deferred or
    /// failed earlier, possibly in another process). `deferred_sent`: an
    /// M-NotifyResp.ind Deferred already went out.
    pub fn restore(&mut self, notice: Notice, deferred_sent: bool) {
        self.seen.insert(notice.transaction_id.clone());
        let state = if deferred_sent {
            State::Deferred
        } else {
            State::Failed
        };
        self.entries.insert(
            notice.transaction_id.clone(),
            Entry {
                notice,
                state,
                deferred_sent,
            },
        );
    }

    /// The next thing to do.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When [`Retriever::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.keys().next().map(|&(t, _)| t)
    }

    /// True when nothing is in flight or scheduled.
    pub fn is_idle(&self) -> bool {
        self.actions.is_empty()
            && self
                .entries
                .values()
                .all(|e| matches!(e.state, State::Deferred | State::Failed))
    }

    /// Retries whose back-off has elapsed.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some((&(t, id), _)) = self.timers.iter().next() {
            if t > now {
                break;
            }
            let Some(tid) = self.timers.remove(&(t, id)) else {
                break;
            };
            if let Some(e) = self.entries.get_mut(&tid)
                && let State::Backoff(n) = e.state
            {
                e.state = State::Fetching(n + 1);
                self.actions.push_back(Action::Fetch {
                    transaction_id: tid.clone(),
                    url: e.notice.content_location.clone(),
                    attempt: n + 1,
                });
            }
        }
    }

    /// A reassembled WDP datagram for the WAP Push port.
    pub fn handle_push(&mut self, datagram: &[u8]) {
        let push = match Push::decode(datagram) {
            Ok(p) => p,
            Err(e) => {
                self.alert(Alert::Ignored {
                    what: format!("undecodable push: {e}"),
                });
                return;
            }
        };
        if !push.is_mms() {
            let app = push
                .application_id()
                .map(|a| format!(" for {}", a.as_str()))
                .unwrap_or_default();
            self.alert(Alert::Ignored {
                what: format!("{} push{app}", push.content_type.media.as_str()),
            });
            return;
        }
        self.handle_mms_push(push.body);
    }

    /// The body of an MMS push: a bare M-Notification.ind (or a report).
    pub fn handle_mms_push(&mut self, body: &[u8]) {
        let pdu = match Pdu::decode(body) {
            Ok(p) => p,
            Err(e) => {
                self.alert(Alert::Ignored {
                    what: format!("MMS push that does not decode: {e}"),
                });
                return;
            }
        };
        match pdu.message_type() {
            Some(MessageType::NOTIFICATION_IND) => self.handle_notification(&pdu, body),
            Some(MessageType::DELIVERY_IND) => {
                let status = pdu.status().unwrap_or(Status::INDETERMINATE);
                self.alert(Alert::Report(Report::Delivery {
                    message_id: pdu.message_id().unwrap_or_default().to_owned(),
                    recipient: pdu
                        .to()
                        .next()
                        .map(|a| a.value().into_owned())
                        .unwrap_or_default(),
                    status,
                }));
            }
            Some(MessageType::READ_ORIG_IND) => {
                let status = pdu.read_status().unwrap_or(ReadStatus::READ);
                let recipient = pdu
                    .from()
                    .and_then(|f| f.address())
                    .map(|a| a.value().into_owned())
                    .unwrap_or_default();
                self.alert(Alert::Report(Report::Read {
                    message_id: pdu.message_id().unwrap_or_default().to_owned(),
                    recipient,
                    status,
                }));
            }
            Some(t) => self.alert(Alert::Ignored {
                what: format!("pushed {t}"),
            }),
            None => self.alert(Alert::Ignored {
                what: "MMS push without a message type".to_owned(),
            }),
        }
    }

    fn handle_notification(&mut self, pdu: &Pdu<'_>, raw: &[u8]) {
        let Some(notice) = Notice::from_pdu(pdu) else {
            self.alert(Alert::Ignored {
                what: "M-Notification.ind without a transaction id or content location".to_owned(),
            });
            return;
        };
        let tid = notice.transaction_id.clone();
        if !self.seen.insert(tid.clone()) {
            self.alert(Alert::Duplicate {
                transaction_id: tid,
            });
            return;
        }
        if self.config.reject_anonymous && notice.from.is_none() {
            self.actions.push_back(Action::Record {
                notice: notice.clone(),
                raw: raw.to_vec(),
                state: Recorded::Rejected,
            });
            self.post_notifyresp(&tid, Status::REJECTED);
            self.alert(Alert::Rejected {
                notice,
                reason: "anonymous sender".to_owned(),
            });
            return;
        }
        let too_big = notice.size.is_some_and(|s| s > self.config.max_auto_size);
        if self.config.mode == RetrievalMode::Deferred || too_big {
            self.actions.push_back(Action::Record {
                notice: notice.clone(),
                raw: raw.to_vec(),
                state: Recorded::Deferred,
            });
            self.post_notifyresp(&tid, Status::DEFERRED);
            self.entries.insert(
                tid,
                Entry {
                    notice: notice.clone(),
                    state: State::Deferred,
                    deferred_sent: true,
                },
            );
            self.alert(Alert::Pending(notice));
            return;
        }
        self.actions.push_back(Action::Record {
            notice: notice.clone(),
            raw: raw.to_vec(),
            state: Recorded::Fetching,
        });
        self.actions.push_back(Action::Fetch {
            transaction_id: tid.clone(),
            url: notice.content_location.clone(),
            attempt: 1,
        });
        self.entries.insert(
            tid,
            Entry {
                notice,
                state: State::Fetching(1),
                deferred_sent: false,
            },
        );
    }

    /// The user asks for a waiting (deferred or failed) message.
    pub fn fetch(&mut self, transaction_id: &str) -> Result<(), RequestError> {
        let e = self
            .entries
            .get_mut(transaction_id)
            .ok_or_else(|| RequestError::Unknown(transaction_id.to_owned()))?;
        match e.state {
            State::Deferred | State::Failed => {
                e.state = State::Fetching(1);
                self.actions.push_back(Action::Fetch {
                    transaction_id: transaction_id.to_owned(),
                    url: e.notice.content_location.clone(),
                    attempt: 1,
                });
                Ok(())
            }
            _ => Err(RequestError::Busy(transaction_id.to_owned())),
        }
    }

    /// The result of a [`Action::Fetch`]: the HTTP body, or why there is none.
    pub fn handle_fetched(
        &mut self,
        now: Instant,
        transaction_id: &str,
        result: Result<Vec<u8>, FetchError>,
    ) {
        let Some(e) = self.entries.get(transaction_id) else {
            return;
        };
        let State::Fetching(attempt) = e.state else {
            return;
        };
        let bytes = match result {
            Ok(b) => b,
            Err(err) => return self.failed_attempt(now, transaction_id, attempt, err),
        };
        let verdict = match Pdu::decode(&bytes) {
            Ok(p) if p.message_type() == Some(MessageType::RETRIEVE_CONF) => {
                match p.retrieve_status() {
                    None => Ok(()),
                    Some(s) if s.is_ok() => Ok(()),
                    Some(s) => Err(FetchError {
                        transient: s.is_transient(),
                        reason: match p.retrieve_text() {
                            Some(t) => format!("the MMSC answered {s}: {}", t.text()),
                            None => format!("the MMSC answered {s}"),
                        },
                    }),
                }
            }
            Ok(p) => Err(unrecognised(match p.message_type() {
                Some(t) => format!("the MMSC answered {t}, not m-retrieve-conf"),
                None => "the MMSC answered a PDU without a message type".to_owned(),
            })),
            Err(e) => Err(unrecognised(format!(
                "the M-Retrieve.conf does not decode: {e}"
            ))),
        };
        match verdict {
            Ok(()) => {
                if let Some(e) = self.entries.get_mut(transaction_id) {
                    e.state = State::Storing;
                }
                self.actions.push_back(Action::Store {
                    transaction_id: transaction_id.to_owned(),
                    pdu: bytes,
                });
            }
            Err(err) if err.reason.starts_with(UNRECOGNISED) => {
                self.post_notifyresp(transaction_id, Status::UNRECOGNISED);
                self.give_up(transaction_id, err.reason);
            }
            Err(err) => self.failed_attempt(now, transaction_id, attempt, err),
        }
    }

    /// The result of a [`Action::Store`].
    pub fn handle_stored(&mut self, transaction_id: &str, result: Result<(), String>) {
        let Some(e) = self.entries.get(transaction_id) else {
            return;
        };
        if e.state != State::Storing {
            return;
        }
        if let Err(reason) = result {
            return self.give_up(
                transaction_id,
                format!("cannot store the message: {reason}"),
            );
        }
        let e = self.entries.remove(transaction_id).expect("entry present");
        if e.deferred_sent {
            let pdu =
                Pdu::acknowledge_ind(transaction_id.to_owned(), Some(self.allow_delivery_reports))
                    .to_bytes();
            self.actions.push_back(Action::Post {
                transaction_id: transaction_id.to_owned(),
                pdu,
                what: "m-acknowledge-ind".to_owned(),
            });
        } else {
            self.post_notifyresp(transaction_id, Status::RETRIEVED);
        }
        self.alert(Alert::Received {
            transaction_id: transaction_id.to_owned(),
            from: e.notice.from,
            subject: e.notice.subject,
        });
    }

    fn failed_attempt(&mut self, now: Instant, tid: &str, attempt: u32, err: FetchError) {
        if err.transient && attempt < self.config.max_attempts {
            let at = now + self.config.backoff(attempt);
            self.timers.insert((at, self.next_timer), tid.to_owned());
            self.next_timer += 1;
            if let Some(e) = self.entries.get_mut(tid) {
                e.state = State::Backoff(attempt);
            }
            tracing::info!(transaction_id = tid, attempt, reason = %err.reason, "fetch failed, will retry");
            return;
        }
        let reason = if err.transient {
            format!("{} (after {attempt} attempts)", err.reason)
        } else {
            err.reason
        };
        self.give_up(tid, reason);
    }

    fn give_up(&mut self, tid: &str, reason: String) {
        if let Some(e) = self.entries.get_mut(tid) {
            e.state = State::Failed;
        }
        self.actions.push_back(Action::MarkFailed {
            transaction_id: tid.to_owned(),
            reason: reason.clone(),
        });
        self.alert(Alert::Failed {
            transaction_id: tid.to_owned(),
            reason,
        });
    }

    fn post_notifyresp(&mut self, tid: &str, status: Status) {
        let pdu = Pdu::notifyresp_ind(tid.to_owned(), status)
            .with(Header::ReportAllowed(YesNo::from(
                self.allow_delivery_reports,
            )))
            .to_bytes();
        self.actions.push_back(Action::Post {
            transaction_id: tid.to_owned(),
            pdu,
            what: format!("m-notifyresp-ind {status}"),
        });
    }

    fn alert(&mut self, a: Alert) {
        self.actions.push_back(Action::Alert(a));
    }
}

const UNRECOGNISED: &str = "unrecognised: ";

fn unrecognised(reason: String) -> FetchError {
    FetchError {
        transient: false,
        reason: format!("{UNRECOGNISED}{reason}"),
    }
}
