//! `ferry demo`: the example network (three operators, three phones each) in
//! a temporary directory, and a picture message sent five ways, each with
//! the timeline of every protocol step:
//!
//! 1. to a phone of the same operator that fetches at once;
//! 2. to a deferred phone, which is alerted, then fetches;
//! 3. to a phone of a peer operator, by sender-hosted retrieval: the
//!    sender's MMSC notifies the recipient directly and the recipient's home
//!    MMSC fetches the message from it as a peer;
//! 4. to a phone of an operator that is no peer, over MM4: the sender's MMSC
//!    forwards it over SMTP to the other MMSC, which notifies its phone; the
//!    delivery report comes back over MM4;
//! 5. to an e-mail address, over MM3 through the network's mail sink.
//!
//! Each scenario checks its own steps (M-Send.req, M-Send.conf, PAP push,
//! SMS segments, WAP Push, GET, M-Retrieve.conf, NotifyResp or Acknowledge,
//! the delivery report back at the sender) and that the picture arrived
//! byte for byte; the demo fails if any is missing.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use ferry_handset::retrieval::Report;
use ferry_handset::{Alert, Attachment, Draft, Event, RetrievalMode};
use ferry_mms::Status;
use tokio::sync::broadcast;

use crate::config::NetworkConfig;
use crate::network::Network;
use crate::trace::{Step, Tracer, ms};

/// How long one wait of a scenario may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);

/// Options of `ferry demo`.
#[derive(Debug, Clone, Default)]
pub struct DemoOptions {
    /// Keep the data here instead of a new temporary directory.
    pub data_dir: Option<PathBuf>,
}

/// What the demo did.
#[derive(Debug, Clone)]
pub struct DemoOutcome {
    /// Where the network kept its data (left in place).
    pub data_dir: PathBuf,
    /// The picture as the recipient of scenario 1 stored it.
    pub received_picture: PathBuf,
    /// Scenarios run, with their result (`Err` text for a failure,
    /// `Ok(None)` passed, `Ok(Some(why))` skipped).
    pub scenarios: Vec<(String, Result<Option<String>, String>)>,
}

impl DemoOutcome {
    /// True when no scenario failed.
    pub fn ok(&self) -> bool {
        self.scenarios.iter().all(|(_, r)| r.is_ok())
    }
}

/// Runs the demo, printing through `out` as it goes.
pub async fn run(opts: DemoOptions, out: &mut (dyn FnMut(&str) + Send)) -> Result<DemoOutcome> {
    let started = Instant::now();
    let mut config = NetworkConfig::example_on_free_ports();
    config.data_dir = match opts.data_dir {
        Some(d) => d,
        None => tempfile::Builder::new()
            .prefix("ferry-demo-")
            .tempdir()
            .context("creating a temporary directory")?
            .keep(),
    };
    let tracer = Tracer::new();
    let net = Network::start(config, tracer.clone()).await?;
    out(&format!(
        "Ferry demo: the example network (examples/network.toml) on free loopback ports\n{}",
        net.describe()
    ));
    let result = scenarios(&net, out).await;
    let data_dir = net.data_dir().to_owned();
    net.shutdown().await;
    let (picture, scenarios) = result?;
    let outcome = DemoOutcome {
        data_dir,
        received_picture: picture,
        scenarios,
    };
    out(&format!("\nsummary ({} in all):", ms(started.elapsed())));
    for (name, r) in &outcome.scenarios {
        match r {
            Ok(None) => out(&format!("  ok       {name}")),
            Ok(Some(why)) => out(&format!("  skipped  {name}: {why}")),
            Err(e) => out(&format!("  FAILED   {name}: {e}")),
        }
    }
    out(&format!(
        "\nthe received picture: {}\nthe network's data (SQLite files, message folders): {}  (remove it when done)",
        outcome.received_picture.display(),
        outcome.data_dir.display()
    ));
    Ok(outcome)
}

type Scenarios = (PathBuf, Vec<(String, Result<Option<String>, String>)>);

async fn scenarios(net: &Network, out: &mut (dyn FnMut(&str) + Send)) -> Result<Scenarios> {
    let op = &net.operators()[0];
    let immediate: Vec<_> = op
        .phones
        .iter()
        .filter(|p| p.config.retrieval.mode == RetrievalMode::Immediate)
        .collect();
    let deferred = op
        .phones
        .iter()
        .find(|p| p.config.retrieval.mode == RetrievalMode::Deferred);
    ensure!(
        immediate.len() >= 2,
        "the example needs two immediate phones on its first operator"
    );
    let deferred = deferred.context("the example needs a deferred phone on its first operator")?;
    let (sender, friend) = (immediate[0], immediate[1]);
    let picture = crate::png::picture();
    let mut results = Vec::new();

    // 1. Same operator, immediate retrieval.
    let name = format!(
        "{} → {} (same operator, immediate)",
        sender.name, friend.name
    );
    out(&format!("\n── 1. {name} ──"));
    let r = immediate_flow(net, &sender.name, &friend.name, &picture, out).await;
    let received = match &r {
        Ok(p) => Some(p.clone()),
        Err(_) => None,
    };
    results.push((name, r.map(|_| None).map_err(|e| format!("{e:#}"))));

    // 2. Same operator, deferred retrieval, then fetch.
    let name = format!(
        "{} → {} (deferred, then fetched)",
        sender.name, deferred.name
    );
    out(&format!("\n── 2. {name} ──"));
    let r = deferred_flow(net, &sender.name, &deferred.name, &picture, out).await;
    results.push((name, r.map(|_| None).map_err(|e| format!("{e:#}"))));

    // 3. and 4. Other operators: sender-hosted retrieval with a peer
    // (`peers` in the network file), MM4 with any other operator; the first
    // operator of each kind.
    let peers: Vec<String> = net
        .config()
        .operators
        .iter()
        .find(|o| o.name == *op.name)
        .map(|o| o.peers.clone())
        .unwrap_or_default();
    let others = || net.operators().iter().skip(1);
    let peer_phone = others().filter(|o| peers.iter().any(|p| *p == *o.name)).find_map(|o| o.phones.first());
    let mm4_phone = others().filter(|o| !peers.iter().any(|p| *p == *o.name)).find_map(|o| o.phones.first());
    let mut n = 3;
    if let Some(other) = peer_phone {
        let name = format!(
            "{} → {} (operator {}, sender-hosted)",
            sender.name, other.name, other.operator
        );
        out(&format!("\n── {n}. {name} ──"));
        let r = sender_hosted_flow(net, &sender.name, &other.name, &picture, out).await;
        results.push((name, r.map_err(|e| format!("{e:#}"))));
        n += 1;
    }
    if let Some(other) = mm4_phone {
        let name = format!("{} → {} (operator {}, MM4)", sender.name, other.name, other.operator);
        out(&format!("\n── {n}. {name} ──"));
        let r = mm4_flow(net, &sender.name, &other.name, &picture, out).await;
        results.push((name, r.map_err(|e| format!("{e:#}"))));
        n += 1;
    }
    // An e-mail address: MM3 through the network's mail sink.
    if net.mail().is_some() {
        let to = format!("friend@{}", crate::mail::MAIL_DOMAIN);
        let name = format!("{} → {to} (e-mail, MM3)", sender.name);
        out(&format!("\n── {n}. {name} ──"));
        let r = email_flow(net, &sender.name, &to, &picture, out).await;
        results.push((name, r.map(|_| None).map_err(|e| format!("{e:#}"))));
    }
    let picture_path = received.unwrap_or_default();
    if results.iter().any(|(_, r)| r.is_err()) {
        for (n, r) in &results {
            if let Err(e) = r {
                out(&format!("FAILED: {n}: {e}"));
            }
        }
    }
    Ok((picture_path, results))
}

fn draft(to: &str, subject: &str, text: &str, picture: &[u8]) -> Draft {
    Draft {
        to: vec![to.to_owned()],
        subject: Some(subject.to_owned()),
        text: Some(text.to_owned()),
        attachments: vec![Attachment::new("ferry.png", picture.to_vec())],
        delivery_report: true,
        read_report: false,
        ..Draft::default()
    }
}

/// Waits for an event of `rx` matching `pred`.
pub async fn wait_event<T>(
    rx: &mut broadcast::Receiver<Event>,
    what: &str,
    mut pred: impl FnMut(&Event) -> Option<T>,
) -> Result<T> {
    let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Err(_) => bail!(
                "timed out after {} s waiting for {what}",
                STEP_TIMEOUT.as_secs()
            ),
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => continue,
            Ok(Err(broadcast::error::RecvError::Closed)) => {
                bail!("the phone stopped while waiting for {what}")
            }
            Ok(Ok(e)) => {
                if let Some(t) = pred(&e) {
                    return Ok(t);
                }
            }
        }
    }
}

fn delivered_report(message_id: &str) -> impl FnMut(&Event) -> Option<()> + '_ {
    move |e| match e {
        Event::Mms {
            alert:
                Alert::Report(Report::Delivery {
                    message_id: m,
                    status,
                    ..
                }),
            ..
        } if m == message_id && *status == Status::RETRIEVED => Some(()),
        _ => None,
    }
}

/// Prints the timeline since `mark` and checks that `want` all appear.
fn timeline(
    tracer: &Tracer,
    mark: usize,
    zero: Instant,
    want: &[Step],
    out: &mut (dyn FnMut(&str) + Send),
) -> Result<()> {
    let events = tracer.since(mark);
    out(&format!(
        "{:>10}  {:<6} {:<17} {:>9}  {:<34} detail",
        "elapsed", "where", "step", "size", "path"
    ));
    for e in &events {
        out(&e.line(zero));
    }
    let missing: Vec<&str> = want
        .iter()
        .filter(|w| !events.iter().any(|e| &e.step == *w))
        .map(|w| w.name())
        .collect();
    ensure!(
        missing.is_empty(),
        "steps missing from the timeline: {}",
        missing.join(", ")
    );
    Ok(())
}

/// Checks that message `id` of `phone` holds `picture` byte for byte;
/// returns the file.
async fn check_picture(net: &Network, phone: &str, id: i64, picture: &[u8]) -> Result<PathBuf> {
    let h = net.handle(phone)?;
    let info = h
        .show(id)
        .await?
        .with_context(|| format!("message {id} is not in {phone}'s inbox"))?;
    ensure!(
        info.summary.state == "received",
        "message {id} at {phone} is {}",
        info.summary.state
    );
    let part = info
        .parts
        .iter()
        .find(|p| p.content_type.starts_with("image/png"))
        .with_context(|| format!("message {id} at {phone} has no image/png part"))?;
    let got =
        std::fs::read(&part.path).with_context(|| format!("reading {}", part.path.display()))?;
    ensure!(
        got == picture,
        "the picture at {} differs from the one sent ({} vs {} octets)",
        part.path.display(),
        got.len(),
        picture.len()
    );
    let smil = info
        .parts
        .iter()
        .any(|p| p.content_type.starts_with("application/smil"));
    ensure!(smil, "message {id} at {phone} has no SMIL part");
    Ok(part.path.clone())
}

async fn immediate_flow(
    net: &Network,
    from: &str,
    to: &str,
    picture: &[u8],
    out: &mut (dyn FnMut(&str) + Send),
) -> Result<PathBuf> {
    let sender = net.handle(from)?;
    let recipient = net.phone(to)?;
    let mut to_events = recipient.running()?.events();
    let mut from_events = sender.events();
    let mark = net.tracer().mark();
    let zero = Instant::now();
    let subject = format!("A ferry for {to}");
    let d = draft(
        &recipient.msisdn,
        &subject,
        &format!("Hello {to}, greetings from the ferry!"),
        picture,
    );
    let sent = sender.send(&d).await?;
    ensure!(
        sent.accepted(),
        "the MMSC did not accept the message: {sent}"
    );
    let mid = sent.message_id.clone().unwrap_or_default();
    let id = wait_event(
        &mut to_events,
        &format!("the message at {to}"),
        |e| match e {
            Event::Mms {
                id,
                alert: Alert::Received { subject: s, .. },
            } if s.as_deref() == Some(subject.as_str()) => Some(*id),
            _ => None,
        },
    )
    .await?
    .context("received message without a local id")?;
    wait_event(
        &mut from_events,
        &format!("the delivery report at {from}"),
        delivered_report(&mid),
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(50)).await;
    timeline(
        net.tracer(),
        mark,
        zero,
        &[
            Step::SendReq,
            Step::SendConf,
            Step::PapPush,
            Step::SmsSegment,
            Step::WapPush,
            Step::Get,
            Step::RetrieveConf,
            Step::NotifyResp,
            Step::Stored,
            Step::DeliveryReport,
        ],
        out,
    )?;
    let path = check_picture(net, to, id, picture).await?;
    out(&format!(
        "{to} has the picture, byte for byte: {}",
        path.display()
    ));
    Ok(path)
}

async fn deferred_flow(
    net: &Network,
    from: &str,
    to: &str,
    picture: &[u8],
    out: &mut (dyn FnMut(&str) + Send),
) -> Result<PathBuf> {
    let sender = net.handle(from)?;
    let recipient = net.phone(to)?.running()?;
    let mut to_events = recipient.events();
    let mut from_events = sender.events();
    let mark = net.tracer().mark();
    let zero = Instant::now();
    let subject = format!("A ferry for {to}");
    let d = draft(
        &net.phone(to)?.msisdn,
        &subject,
        &format!("Hello {to}, fetch me when you like."),
        picture,
    );
    let sent = sender.send(&d).await?;
    ensure!(
        sent.accepted(),
        "the MMSC did not accept the message: {sent}"
    );
    let mid = sent.message_id.clone().unwrap_or_default();
    let id = wait_event(
        &mut to_events,
        &format!("the deferred alert at {to}"),
        |e| match e {
            Event::Mms {
                id,
                alert: Alert::Pending(n),
            } if n.subject.as_deref() == Some(subject.as_str()) => Some(*id),
            _ => None,
        },
    )
    .await?
    .context("pending message without a local id")?;
    out(&format!(
        "{to} was alerted (message {id}); {to} fetches it now"
    ));
    let s = recipient.fetch(id).await?;
    ensure!(
        s.state == "received",
        "the fetch left message {id} {}: {}",
        s.state,
        s.detail.unwrap_or_default()
    );
    wait_event(
        &mut from_events,
        &format!("the delivery report at {from}"),
        delivered_report(&mid),
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(50)).await;
    timeline(
        net.tracer(),
        mark,
        zero,
        &[
            Step::SendReq,
            Step::SendConf,
            Step::PapPush,
            Step::SmsSegment,
            Step::WapPush,
            Step::Pending,
            Step::NotifyResp,
            Step::Get,
            Step::RetrieveConf,
            Step::Acknowledge,
            Step::DeliveryReport,
        ],
        out,
    )?;
    let path = check_picture(net, to, id, picture).await?;
    out(&format!(
        "{to} has the picture, byte for byte: {}",
        path.display()
    ));
    Ok(path)
}

/// A message to another operator's phone, by sender-hosted retrieval
/// (docs/INTERCONNECT.md): the sender's MMSC keeps it and notifies the
/// recipient directly (its push gateway's SMS crosses to the other
/// operator's SMSC); the recipient's phone asks its own home MMSC (through
/// its MMS proxy) for the sender MMSC's URL; the home MMSC fetches it as a
/// peer, keeps a copy and hands it over; the phone's NotifyResp goes to the
/// home MMSC, which relays it to the sender's, which sends the delivery
/// report. Checks the timeline, the picture byte for byte, the report and
/// the copy. When the two operators are no peers, it says so and is
/// skipped.
async fn sender_hosted_flow(
    net: &Network,
    from: &str,
    to: &str,
    picture: &[u8],
    out: &mut (dyn FnMut(&str) + Send),
) -> Result<Option<String>> {
    let a = net.phone(from)?;
    let b = net.phone(to)?;
    let home = net.operator(&b.operator)?;
    let sender_op = net.operator(&a.operator)?;
    let peers = net
        .config()
        .operators
        .iter()
        .find(|o| o.name == *a.operator)
        .is_some_and(|o| o.peers.iter().any(|p| *p == *b.operator));
    if !peers {
        out(&format!(
            "{} ({}) is on operator {}, {} ({}) on {}, which are no peers: nothing to show.",
            a.name, a.msisdn, a.operator, b.name, b.msisdn, b.operator
        ));
        return Ok(Some(format!(
            "operators {} and {} are no peers (`peers` in the network file)",
            a.operator, b.operator
        )));
    }
    out(&format!(
        "{} ({}) is on operator {}, {} ({}) on {}: {}'s MMSC keeps the message and notifies {} directly; {} fetches it through its home MMSC ({}), which gets it from {}'s.",
        a.name,
        a.msisdn,
        a.operator,
        b.name,
        b.msisdn,
        b.operator,
        a.operator,
        b.name,
        b.name,
        b.operator,
        a.operator
    ));
    let copies_before = home.peer_copies().len();
    let sender = net.handle(from)?;
    let mut to_events = b.running()?.events();
    let mut from_events = sender.events();
    let mark = net.tracer().mark();
    let zero = Instant::now();
    let subject = format!("A ferry across to {to}");
    let d = draft(
        &b.msisdn,
        &subject,
        &format!("Hello {to}, greetings from operator {}!", a.operator),
        picture,
    );
    let sent = sender.send(&d).await?;
    ensure!(
        sent.accepted(),
        "the MMSC did not accept the message: {sent}"
    );
    let mid = sent.message_id.clone().unwrap_or_default();
    let id = wait_event(
        &mut to_events,
        &format!("the message at {to}"),
        |e| match e {
            Event::Mms {
                id,
                alert: Alert::Received { subject: s, .. },
            } if s.as_deref() == Some(subject.as_str()) => Some(*id),
            _ => None,
        },
    )
    .await?
    .context("received message without a local id")?;
    wait_event(
        &mut from_events,
        &format!("the delivery report at {from}"),
        delivered_report(&mid),
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(50)).await;
    timeline(
        net.tracer(),
        mark,
        zero,
        &[
            Step::SendReq,
            Step::SendConf,
            Step::PapPush,
            Step::SmsSegment,
            Step::WapPush,
            Step::Get,
            Step::PeerFetch,
            Step::RetrieveConf,
            Step::NotifyResp,
            Step::PeerRelay,
            Step::Stored,
            Step::DeliveryReport,
        ],
        out,
    )?;
    let sender_mmsc = sender_op.mmsc_addr.to_string();
    let via_home = net.tracer().since(mark).iter().any(|e| {
        e.step == Step::Get && *e.operator == *home.name && e.detail.contains(&sender_mmsc)
    });
    ensure!(
        via_home,
        "{to}'s GET of {}'s URL did not go through its home operator {}",
        a.operator,
        home.name
    );
    let path = check_picture(net, to, id, picture).await?;
    let copies = home.peer_copies();
    ensure!(
        copies.len() > copies_before
            && copies
                .iter()
                .any(|c| c.message_id.as_deref() == Some(mid.as_str())),
        "{}'s MMSC kept no copy of message {mid}",
        home.name
    );
    out(&format!(
        "{to} has the picture, byte for byte: {}\n{}'s MMSC kept a copy of {mid} (fetched from {}); {from} has the delivery report",
        path.display(),
        home.name,
        a.operator
    ));
    Ok(None)
}

/// A message to another operator's phone: the sender's MMSC forwards it
/// over MM4 (SMTP between the two MMSCs' loopback listeners), the other
/// MMSC stores it and notifies its phone, which fetches it there; the
/// delivery report comes back over MM4 and reaches the sender as an
/// M-Delivery.ind. Returns `None` (done) or fails naming the step.
async fn mm4_flow(
    net: &Network,
    from: &str,
    to: &str,
    picture: &[u8],
    out: &mut (dyn FnMut(&str) + Send),
) -> Result<Option<String>> {
    let a = net.phone(from)?;
    let b = net.phone(to)?;
    out(&format!(
        "{} ({}) is on operator {}, {} ({}) on {}: their MMSCs exchange MM4 over SMTP.",
        a.name, a.msisdn, a.operator, b.name, b.msisdn, b.operator
    ));
    let sender = net.handle(from)?;
    let mut to_events = b.running()?.events();
    let mut from_events = sender.events();
    let mark = net.tracer().mark();
    let zero = Instant::now();
    let subject = format!("A ferry across to {to}");
    let d = draft(
        &b.msisdn,
        &subject,
        &format!("Hello {to}, greetings from operator {}!", a.operator),
        picture,
    );
    let sent = sender.send(&d).await?;
    ensure!(
        sent.accepted(),
        "the MMSC did not accept the message: {sent}"
    );
    let mid = sent.message_id.clone().unwrap_or_default();
    let id = wait_event(
        &mut to_events,
        &format!("the message at {to}"),
        |e| match e {
            Event::Mms {
                id,
                alert: Alert::Received { subject: s, .. },
            } if s.as_deref() == Some(subject.as_str()) => Some(*id),
            _ => None,
        },
    )
    .await?
    .context("received message without a local id")?;
    wait_event(
        &mut from_events,
        &format!("the delivery report at {from} (over MM4)"),
        delivered_report(&mid),
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(50)).await;
    timeline(
        net.tracer(),
        mark,
        zero,
        &[
            Step::SendReq,
            Step::SendConf,
            Step::PapPush,
            Step::WapPush,
            Step::Get,
            Step::RetrieveConf,
            Step::NotifyResp,
            Step::Stored,
            Step::DeliveryReport,
        ],
        out,
    )?;
    // The MM4 hops, from the two MMSCs' outbound queues.
    for op in net.operators() {
        for o in op.mmsc_store.outbound_for_message(&mid).await? {
            out(&format!(
                "{:>10}  {:<6} MM4 {:<13} {} → {} ({}, {} attempt{})",
                "",
                op.name,
                match o.kind {
                    ferry_mmsc::store::OutboundKind::Mm4Forward => "forward.REQ",
                    _ => "answer/report",
                },
                o.envelope_from,
                o.rcpt,
                o.state,
                o.attempts,
                if o.attempts == 1 { "" } else { "s" }
            ));
        }
    }
    let forwarded = net
        .operators()
        .iter()
        .find(|o| *o.name == *a.operator)
        .context("the sender's operator")?
        .mmsc_store
        .outbound_for_message(&mid)
        .await?
        .iter()
        .any(|o| {
            o.kind == ferry_mmsc::store::OutboundKind::Mm4Forward && o.state.as_str() == "done"
        });
    ensure!(
        forwarded,
        "the sender's MMSC has no MM4_forward.REQ sent for {mid}"
    );
    let path = check_picture(net, to, id, picture).await?;
    out(&format!(
        "{to} has the picture from operator {}, byte for byte: {}",
        a.operator,
        path.display()
    ));
    Ok(None)
}

/// A message to an e-mail address: the MMSC turns it into a MIME e-mail
/// (text body, picture and SMIL as attachments) and hands it to the mail
/// relay (the network's sink); the sender's delivery report says
/// Forwarded. The picture is read back from the e-mail byte for byte.
async fn email_flow(
    net: &Network,
    from: &str,
    to: &str,
    picture: &[u8],
    out: &mut (dyn FnMut(&str) + Send),
) -> Result<PathBuf> {
    let sink = net.mail().context("the network has no mail sink")?;
    let before = sink.messages().len();
    let sender = net.handle(from)?;
    let mut from_events = sender.events();
    let mark = net.tracer().mark();
    let zero = Instant::now();
    let subject = format!("A ferry to {to}");
    let d = draft(to, &subject, "Hello from a phone, by e-mail.", picture);
    let sent = sender.send(&d).await?;
    ensure!(
        sent.accepted(),
        "the MMSC did not accept the message: {sent}"
    );
    let mid = sent.message_id.clone().unwrap_or_default();
    wait_event(
        &mut from_events,
        &format!("the delivery report at {from}"),
        |e| match e {
            Event::Mms {
                alert:
                    Alert::Report(Report::Delivery {
                        message_id: m,
                        status,
                        ..
                    }),
                ..
            } if *m == mid && *status == Status::FORWARDED => Some(()),
            _ => None,
        },
    )
    .await?;
    let deadline = Instant::now() + STEP_TIMEOUT;
    let path = loop {
        if let Some(p) = sink.messages().get(before) {
            break p.clone();
        }
        ensure!(Instant::now() < deadline, "no e-mail reached the mail sink");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    timeline(
        net.tracer(),
        mark,
        zero,
        &[Step::SendReq, Step::SendConf, Step::DeliveryReport],
        out,
    )?;
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let mail = ferry_mm4::mm3::mms_from_email(&bytes).context("reading the e-mail back")?;
    out(&format!(
        "{:>10}  {:<6} MM3 e-mail        {} → {to}, subject {:?}, {} parts, {} octets",
        "",
        "relay",
        mail.from.as_deref().unwrap_or("?"),
        mail.subject.as_deref().unwrap_or(""),
        mail.parts.len(),
        bytes.len()
    ));
    let png = mail
        .parts
        .iter()
        .find(|p| p.content_type.media.as_str() == "image/png")
        .context("the e-mail has no image/png attachment")?;
    ensure!(
        &*png.body == picture,
        "the picture in the e-mail differs from the one sent ({} vs {} octets)",
        png.body.len(),
        picture.len()
    );
    out(&format!(
        "the e-mail holds the picture, byte for byte: {}",
        path.display()
    ));
    Ok(path)
}
