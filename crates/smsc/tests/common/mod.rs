//! A small raw SMPP client for the tests (no session logic: exact bytes in
//! and out), and helpers to start an SMSC.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use ferry_smpp::{
    Address, Bind, BindMode, Body, CommandId, CommandStatus, FrameDecoder, Npi, OwnedPdu, Pdu,
    SubmitSm, SubmitSmResp, Ton,
};
use ferry_smsc::{Config, Smsc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const WAIT: Duration = Duration::from_secs(10);

/// A test configuration: a gateway, a handset account for 4790…, a peer,
/// and a route for 4791….
pub fn config(store: &str) -> Config {
    let text = format!(
        r#"
listen = "127.0.0.1:0"
store = "{store}"
[[accounts]]
system_id = "gw"
password = "gwpass"
role = "gateway"
[[accounts]]
system_id = "handset"
password = "phone"
role = "handset"
prefixes = ["4790"]
[[accounts]]
system_id = "txonly"
password = "tx"
role = "gateway"
bind_types = ["transmitter"]
[[routes]]
prefix = "4791"
host = "127.0.0.1"
port = 9
system_id = "x"
password = "y"
timeout_seconds = 1
[delivery]
retry_seconds = [1]
response_timeout_seconds = 2
[limits]
bind_delay_ms = 400
"#
    );
    Config::from_toml(&text).unwrap()
}

pub async fn start(config: Config) -> Smsc {
    Smsc::start(config).await.expect("SMSC starts")
}

pub struct Client {
    pub stream: TcpStream,
    buf: Vec<u8>,
    seq: u32,
    stash: VecDeque<OwnedPdu>,
    pub auto_ack: bool,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Client {
        Self::connect_from("127.0.0.1", addr).await
    }

    /// Connects from the local address `from` (`127.0.0.2`, …).
    pub async fn connect_from(from: &str, addr: SocketAddr) -> Client {
        let s = tokio::net::TcpSocket::new_v4().unwrap();
        s.bind(format!("{from}:0").parse().unwrap()).unwrap();
        let stream = s.connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Client {
            stream,
            buf: Vec::new(),
            seq: 0,
            stash: VecDeque::new(),
            auto_ack: true,
        }
    }

    pub fn next_seq(&mut self) -> u32 {
        self.seq += 1;
        self.seq
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    pub async fn send(&mut self, body: Body<'_>) -> u32 {
        let seq = self.next_seq();
        let bytes = Pdu::new(seq, body).to_bytes().unwrap();
        self.send_raw(&bytes).await;
        seq
    }

    /// The next PDU from the wire (`None` at EOF).
    pub async fn read_pdu(&mut self) -> Option<OwnedPdu> {
        let dec = FrameDecoder::with_max_command_length(1 << 20);
        loop {
            if let Some(f) = dec.next_frame(&self.buf).expect("SMSC sends valid frames") {
                let len = f.len();
                let bytes: Vec<u8> = self.buf.drain(..len).collect();
                return Some(OwnedPdu::from_bytes(bytes).expect("SMSC sends valid PDUs"));
            }
            let mut chunk = [0u8; 8192];
            let n = tokio::time::timeout(WAIT, self.stream.read(&mut chunk))
                .await
                .expect("timed out waiting for a PDU")
                .unwrap_or(0);
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// The next PDU, stashed ones first.
    pub async fn recv(&mut self) -> OwnedPdu {
        if let Some(p) = self.stash.pop_front() {
            return p;
        }
        self.read_pdu().await.expect("connection closed")
    }

    /// Waits for the response with sequence number `seq`, stashing others.
    pub async fn response(&mut self, seq: u32) -> OwnedPdu {
        if let Some(i) = self
            .stash
            .iter()
            .position(|p| p.command_id().is_response() && p.sequence_number() == seq)
        {
            return self.stash.remove(i).unwrap();
        }
        loop {
            let p = self.read_pdu().await.expect("connection closed");
            if p.command_id().is_response() && p.sequence_number() == seq {
                return p;
            }
            self.stash.push_back(p);
        }
    }

    pub async fn bind(
        &mut self,
        mode: BindMode,
        system_id: &str,
        password: &str,
        range: &str,
    ) -> CommandStatus {
        let b = Bind {
            system_id: system_id.as_bytes(),
            password: password.as_bytes(),
            address_range: range.as_bytes(),
            ..Default::default()
        };
        let seq = self.send(mode.body(b)).await;
        self.response(seq).await.command_status()
    }

    /// Submits; returns the status and message id.
    pub async fn submit(&mut self, sm: SubmitSm<'_>) -> (CommandStatus, String) {
        let seq = self.send(Body::SubmitSm(sm)).await;
        let r = self.response(seq).await;
        assert_eq!(r.command_id(), CommandId::SUBMIT_SM_RESP, "{r:?}");
        let id = match r.pdu().body {
            Body::SubmitSmResp(SubmitSmResp { message_id, .. }) => {
                String::from_utf8(message_id.to_vec()).unwrap()
            }
            _ => String::new(),
        };
        (r.command_status(), id)
    }

    /// Waits for a deliver_sm (acknowledging it with `ESME_ROK` when
    /// `auto_ack`), stashing others.
    pub async fn deliver(&mut self) -> OwnedPdu {
        if let Some(i) = self
            .stash
            .iter()
            .position(|p| p.command_id() == CommandId::DELIVER_SM)
        {
            let p = self.stash.remove(i).unwrap();
            self.ack(&p).await;
            return p;
        }
        loop {
            let p = self.read_pdu().await.expect("connection closed");
            if p.command_id() == CommandId::DELIVER_SM {
                self.ack(&p).await;
                return p;
            }
            if p.command_id() == CommandId::ENQUIRE_LINK {
                self.answer(&p, CommandStatus::ESME_ROK).await;
                continue;
            }
            self.stash.push_back(p);
        }
    }

    async fn ack(&mut self, p: &OwnedPdu) {
        if self.auto_ack {
            self.answer(p, CommandStatus::ESME_ROK).await;
        }
    }

    pub async fn answer(&mut self, p: &OwnedPdu, status: CommandStatus) {
        let id = p.command_id().response_id().unwrap();
        let body = match id {
            CommandId::DELIVER_SM_RESP => Body::DeliverSmResp(Default::default()),
            CommandId::ENQUIRE_LINK_RESP => Body::EnquireLinkResp,
            _ => Body::GenericNack,
        };
        let pdu = Pdu {
            command_status: status,
            sequence_number: p.sequence_number(),
            body,
        };
        let bytes = pdu.to_bytes().unwrap();
        self.send_raw(&bytes).await;
    }

    /// Whether a deliver_sm arrives within `d`.
    pub async fn no_deliver_within(&mut self, d: Duration) -> bool {
        tokio::time::timeout(d, self.deliver()).await.is_err()
    }

    pub async fn enquire_link_ok(&mut self) -> bool {
        let seq = self.send(Body::EnquireLink).await;
        let r = self.response(seq).await;
        r.command_id() == CommandId::ENQUIRE_LINK_RESP && r.command_status().is_ok()
    }
}

pub fn sm<'a>(from: &'a str, to: &'a str, text: &'a [u8]) -> SubmitSm<'a> {
    SubmitSm {
        source: Address::new(Ton(1), Npi(1), from.as_bytes()),
        destination: Address::new(Ton(1), Npi(1), to.as_bytes()),
        short_message: text,
        ..Default::default()
    }
}
