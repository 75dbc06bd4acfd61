//! # ferry-esme: an SMPP 3.4 client (ESME) service
//!
//! A tokio client that keeps one SMPP connection bound to an SMSC and lets
//! any number of tasks submit through it, while delivering what the SMSC
//! sends (mobile-originated messages, pushes to a handset, delivery
//! receipts) to the application. Ferry's SMSC uses it to forward to other
//! SMSCs, the push gateway to submit WAP Push, handsets to receive.
//!
//! It is a thin driver around the sans-I/O [`ferry_smpp::Session`] (quinn
//! style): the session decides protocol behaviour (bind state machine,
//! sequence numbers, window accounting, response timers, enquire_link,
//! answering unbind); this crate moves bytes and runs timers, and adds the
//! service parts: a queue with deadlines, reconnection, a rate limit,
//! receipt matching and acknowledgement by the application.
//!
//! ## Data flow
//!
//! ```text
//!  Esme::submit(&SubmitSm) ─┐                       ┌─► socket (TCP or TLS) ─► SMSC
//!  Esme::submit_wap_push ───┼─► queue ─► window ─►  │
//!  Esme::request(Body) ─────┘  (FIFO,   + token     │  Session<u64> (ferry-smpp)
//!                               deadline) bucket    │
//!  oneshot ◄── Ok(SubmitOutcome) / Err(Error) ◄─────┤◄─ submit_sm_resp / timeout / close
//!                                                   │
//!  mpsc::Receiver<Inbound> ◄── Message / Receipt ◄──┘◄─ deliver_sm / data_sm
//!       └─ inbound.accept() / reject(status) ──► deliver_sm_resp / data_sm_resp
//! ```
//!
//! ## Guarantees of a request's result
//!
//! * `Ok(SubmitOutcome { message_id, .. })`: the SMSC answered `ESME_ROK`
//!   (message_id as it gave it; empty if it gave none).
//! * [`Error::Rejected`]: it answered with that error status (or a
//!   generic_nack): the message was **not** accepted.
//! * [`Error::Timeout`] / [`Error::ConnectionLost`]: it was sent but no
//!   answer came within `response_timeout` / before the connection closed.
//!   The outcome is **unknown**: the SMSC may have the message, and sending
//!   again may duplicate it. The client never resends by itself.
//! * [`Error::NotBound`], [`Error::QueueTimeout`], [`Error::BindRejected`],
//!   [`Error::WrongBindMode`], [`Error::Encode`], [`Error::Stopped`]: it
//!   was **never sent**; safe to retry. [`Error::outcome_unknown`] tells
//!   the two groups apart.
//!
//! ## Window, timeouts, reconnection
//!
//! * **Window**: at most [`EsmeConfig::window`] requests await a response;
//!   more wait in a FIFO queue. A response, a timeout or the connection's
//!   end frees the slot. A caller that stops waiting (drops the future)
//!   before its request is sent takes it out of the queue.
//! * **Queue deadline**: a request waits at most
//!   [`EsmeConfig::queue_timeout`] to be sent (while connecting, binding,
//!   backing off, or for a window slot or rate-limit token), then fails
//!   unsent with [`Error::NotBound`] (not bound then) or
//!   [`Error::QueueTimeout`].
//! * **Response timeout**: [`EsmeConfig::response_timeout`] per request.
//! * **Keepalive**: enquire_link after [`EsmeConfig::enquire_link_interval`]
//!   of silence from the SMSC; unanswered within the response timeout, the
//!   connection is dropped and made again. The SMSC's enquire_link and
//!   unbind are answered.
//! * **Reconnection**: after any loss (refused, TLS failure, bind rejected
//!   or unanswered, enquire_link unanswered, closed by the SMSC) the client
//!   waits per [`Backoff`] (exponential, capped, with jitter; reset by a
//!   successful bind) and binds again. After a bind *rejection* (e.g.
//!   `ESME_RINVPASWD`) it keeps retrying, but queued and new requests fail
//!   at once with [`Error::BindRejected`] until a bind succeeds; [`Esme::bound`]
//!   surfaces the rejection.
//! * **Outbind**: with [`EsmeConfig::outbind`] the client listens instead
//!   of dialling; on the SMSC's outbind (credentials checked when
//!   configured) it binds on that connection, and after a loss waits for
//!   the next one. No outbind within `response_timeout` of a connection
//!   closes it.
//! * **Rate limit**: [`RateLimit`], a token bucket on requests sent.
//! * **Shutdown**: when the [`ferry_service::Shutdown`] fires (or every
//!   handle is dropped), queued requests fail with [`Error::Stopped`], the
//!   client unbinds (waiting up to 2 s for unbind_resp; responses to
//!   requests in flight still resolve meanwhile), then closes.
//!
//! ## Inbound messages and receipts
//!
//! deliver_sm and data_sm arrive as [`Inbound`] on the channel
//! [`Esme::start`] returns. The `*_resp` is sent only when the application
//! calls [`Inbound::accept`] (`ESME_ROK`) or [`Inbound::reject`]; dropping
//! it answers `ESME_RX_T_APPN` so the SMSC retries. While the channel is
//! full the client stops reading the socket (back-pressure to the SMSC's
//! window).
//!
//! A request whose `registered_delivery` asks for an SMSC receipt has its
//! message_id remembered with the caller's reference
//! ([`Esme::submit_with_reference`]). A deliver_sm (or data_sm) whose
//! esm_class says "delivery receipt" becomes [`Inbound::Receipt`]: its id
//! (`receipted_message_id` TLV, else the `id:` of the Appendix B text) is
//! looked up exactly, then as a decimal or hex number (SMSCs differ on the
//! radix), and the [`Receipt`] carries the reference and the state
//! (`message_state` TLV, else `stat:`). Ids are remembered for
//! [`EsmeConfig::receipt_ttl`] or until a final receipt.
//!
//! ## WAP Push
//!
//! [`Esme::submit_wap_push`] segments a WSP push datagram with
//! [`ferry_sms::wap_push_segments`] and submits each segment like Kannel
//! does (see [`push`]), allocating an 8-bit (or 16-bit) concatenation
//! reference per destination.
//!
//! ## Metrics (`metrics` crate, label `esme` = [`EsmeConfig::name`])
//!
//! `ferry_esme_requests_total{command}`, `ferry_esme_responses_total{status}`
//! (status name, `timeout`, `connection_lost`), `ferry_esme_not_sent_total`,
//! `ferry_esme_window_in_use`, `ferry_esme_reconnects_total`,
//! `ferry_esme_binds_total{status}`, `ferry_esme_inbound_total{kind}`,
//! `ferry_esme_inbound_answers_total{status}`, `ferry_esme_receipts_tracked`.
//!
//! ## Example
//!
//! ```no_run
//! # async fn demo() -> Result<(), ferry_esme::Error> {
//! use ferry_esme::{Esme, EsmeConfig, Inbound};
//! use ferry_smpp::{Address, Npi, RegisteredDelivery, SubmitSm, Ton};
//!
//! let (shutdown, _finished) = ferry_service::Shutdown::new();
//! let mut config = EsmeConfig::new("127.0.0.1:2775", "ferry", "secret");
//! config.window = 50;
//! let (esme, mut inbound) = Esme::start(config, shutdown)?;
//! let sm = SubmitSm {
//!     source: Address::new(Ton::ALPHANUMERIC, Npi::UNKNOWN, b"Ferry"),
//!     destination: Address::new(Ton::INTERNATIONAL, Npi::ISDN, b"358401234567"),
//!     registered_delivery: RegisteredDelivery::RECEIPT_ALWAYS,
//!     short_message: b"hello",
//!     ..Default::default()
//! };
//! let sent = esme.submit_with_reference(&sm, "order-42").await?;
//! println!("SMSC message id {}", sent.message_id);
//! while let Some(msg) = inbound.recv().await {
//!     if let Inbound::Receipt(r) = &msg {
//!         println!("{:?} is now {:?}", r.reference, r.state);
//!     }
//!     msg.accept();
//! }
//! # Ok(()) }
//! ```
//!
//! ## Not covered
//!
//! Outbind ([`EsmeConfig::outbind`]) accepts one SMSC connection at a
//! time, without TLS. submit_multi responses are returned whole (no
//! per-destination receipt tracking).
#![forbid(unsafe_code)]

mod config;
mod driver;
mod error;
mod handle;
mod inbound;
pub mod push;
mod receipts;

pub use config::{Backoff, EsmeConfig, OutbindConfig, RateLimit, TlsConfig};
pub use error::{Error, EsmeState};
pub use ferry_smpp::BindMode;
pub use handle::{Esme, PushDone, SubmitOutcome};
pub use inbound::{Delivery, Inbound, Receipt};
pub use push::{PushOptions, SegmentMode, wap_push_submits};
