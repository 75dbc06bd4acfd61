//! A mock SMSC for the tests, built on ferry-smpp's session core (role
//! SMSC) over real sockets on 127.0.0.1.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferry_smpp::{
    Body, CommandId, CommandStatus, Config, Event, OwnedPdu, Role, Session, SubmitSmResp,
    peek_length,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// What the mock does with a submit_sm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnSubmit {
    /// Answer ESME_ROK with message_id `m<n>` (n counts from 1).
    Accept,
    /// Never answer.
    Ignore,
    /// Answer with this error status.
    Reject(CommandStatus),
    /// Answer the first, then close the connection.
    AcceptThenClose,
}

#[derive(Clone, Debug)]
pub struct MockConfig {
    pub password: &'static str,
    pub on_submit: OnSubmit,
    /// After the bind, feed nothing more to the session (no answers at all).
    pub silent_after_bind: bool,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            password: "secret",
            on_submit: OnSubmit::Accept,
            silent_after_bind: false,
        }
    }
}

#[derive(Debug, Default)]
pub struct Log {
    pub connections: usize,
    /// (command_id, system_id, password) of every bind.
    pub binds: Vec<(CommandId, String, String)>,
    /// Every submit_sm received.
    pub submits: Vec<OwnedPdu>,
    /// Every command_id received, in order.
    pub frames: Vec<CommandId>,
    /// Responses to what the mock sent (deliver_sm_resp, …).
    pub responses: Vec<OwnedPdu>,
    pub submitted_ids: usize,
}

pub enum Ctl {
    Send(OwnedPdu),
    Close,
}

pub struct MockSmsc {
    pub addr: std::net::SocketAddr,
    pub log: Arc<Mutex<Log>>,
    current: Arc<Mutex<Option<mpsc::UnboundedSender<Ctl>>>>,
}

impl MockSmsc {
    pub async fn start(cfg: MockConfig) -> MockSmsc {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Log::default()));
        let current = Arc::new(Mutex::new(None));
        let (l, c) = (log.clone(), current.clone());
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                l.lock().unwrap().connections += 1;
                let (tx, rx) = mpsc::unbounded_channel();
                *c.lock().unwrap() = Some(tx);
                tokio::spawn(serve(sock, cfg.clone(), l.clone(), rx));
            }
        });
        MockSmsc { addr, log, current }
    }

    /// Sends a request (deliver_sm, …) on the newest connection.
    pub fn send(&self, pdu: OwnedPdu) {
        let cur = self.current.lock().unwrap();
        cur.as_ref()
            .expect("no connection")
            .send(Ctl::Send(pdu))
            .expect("connection gone");
    }

    /// Closes the newest connection.
    pub fn close(&self) {
        if let Some(c) = self.current.lock().unwrap().as_ref() {
            let _ = c.send(Ctl::Close);
        }
    }

    pub fn log<R>(&self, f: impl FnOnce(&Log) -> R) -> R {
        f(&self.log.lock().unwrap())
    }

    /// Waits until `f` holds on the log (panics after 5 s).
    pub async fn wait_log(&self, what: &str, f: impl Fn(&Log) -> bool) {
        let t0 = Instant::now();
        while !self.log(&f) {
            assert!(
                t0.elapsed() < Duration::from_secs(5),
                "timed out waiting for: {what}; log: {:?}",
                self.log.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn serve(
    mut sock: TcpStream,
    cfg: MockConfig,
    log: Arc<Mutex<Log>>,
    mut ctl: mpsc::UnboundedReceiver<Ctl>,
) {
    let config = Config {
        enquire_link_interval: None,
        response_timeout: Duration::from_secs(60),
        window: 1000,
        ..Default::default()
    };
    let mut session: Session<u32> = Session::new(Role::Smsc, config, Instant::now());
    let mut tap: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 65536];
    let mut out = Vec::new();
    let mut bound = false;
    let mut close_after_write = false;
    loop {
        session.poll_transmit(&mut out);
        if !out.is_empty() {
            if sock.write_all(&out).await.is_err() {
                return;
            }
            out.clear();
        }
        if close_after_write || session.is_closed() {
            return;
        }
        tokio::select! {
            r = sock.read(&mut buf) => {
                let n = match r { Ok(0) | Err(_) => return, Ok(n) => n };
                tap.extend_from_slice(&buf[..n]);
                let mut feed = Vec::new();
                while let Ok(Some(len)) = peek_length(&tap, 65536) {
                    let frame: Vec<u8> = tap.drain(..len).collect();
                    let id = CommandId(u32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]));
                    log.lock().unwrap().frames.push(id);
                    if !(cfg.silent_after_bind && bound) {
                        feed.extend_from_slice(&frame);
                    }
                }
                let events = session.handle_input(Instant::now(), &feed);
                for ev in events {
                    match ev {
                        Event::Request { pdu } => {
                            let seq = pdu.sequence_number();
                            match pdu.pdu().body {
                                Body::BindTransceiver(b) | Body::BindTransmitter(b) | Body::BindReceiver(b) => {
                                    let sid = String::from_utf8_lossy(b.system_id).into_owned();
                                    let pw = String::from_utf8_lossy(b.password).into_owned();
                                    log.lock().unwrap().binds.push((pdu.command_id(), sid, pw.clone()));
                                    if pw == cfg.password {
                                        session.accept_bind(Instant::now(), seq, b"mock").unwrap();
                                        bound = true;
                                    } else {
                                        session.reject_bind(seq, CommandStatus::ESME_RINVPASWD).unwrap();
                                    }
                                }
                                Body::SubmitSm(_) => {
                                    let n = {
                                        let mut l = log.lock().unwrap();
                                        l.submits.push(pdu.clone());
                                        l.submits.len()
                                    };
                                    match cfg.on_submit {
                                        OnSubmit::Accept | OnSubmit::AcceptThenClose => {
                                            let id = format!("m{n}");
                                            session
                                                .respond(seq, CommandStatus::ESME_ROK, Body::SubmitSmResp(SubmitSmResp { message_id: id.as_bytes(), tlvs: Default::default() }))
                                                .unwrap();
                                            if cfg.on_submit == OnSubmit::AcceptThenClose {
                                                close_after_write = true;
                                            }
                                        }
                                        OnSubmit::Ignore => {}
                                        OnSubmit::Reject(status) => session.reject(seq, status).unwrap(),
                                    }
                                }
                                _ => {}
                            }
                        }
                        Event::Response { pdu, .. } => log.lock().unwrap().responses.push(pdu),
                        _ => {}
                    }
                }
            }
            c = ctl.recv() => match c {
                Some(Ctl::Send(pdu)) => {
                    session.send_request(Instant::now(), pdu.pdu().body, 0).unwrap();
                }
                Some(Ctl::Close) | None => return,
            },
        }
    }
}
