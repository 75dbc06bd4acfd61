//! The SMS side of a phone: what arrives from the SMSC, and reassembly of
//! concatenated short messages into WAP Push datagrams or text.
//!
//! The attachment itself is behind [`SmsLink`] so the phone logic runs
//! without an SMSC (tests feed a channel); [`crate::esme_link`] is the real
//! one, an SMPP session bound with the phone's MSISDN.

use std::future::Future;
use std::time::Instant;

use ferry_sms::udh::Ports;
use ferry_sms::{Reassembler, ReassemblyConfig};
use tokio::sync::mpsc;

/// One short message delivered to the phone (an SMPP deliver_sm, reduced).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundSms {
    /// The originator's address as the SMSC gave it.
    pub source: String,
    /// SMPP esm_class (bit 0x40: the user data starts with a UDH).
    pub esm_class: u8,
    /// SMPP data_coding.
    pub data_coding: u8,
    /// short_message (or message_payload).
    pub payload: Vec<u8>,
}

/// Where a phone's short messages come from.
pub trait SmsLink: Send + 'static {
    /// The next short message; `None` when the link is gone for good.
    fn recv(&mut self) -> impl Future<Output = Option<InboundSms>> + Send;
}

impl SmsLink for mpsc::Receiver<InboundSms> {
    fn recv(&mut self) -> impl Future<Output = Option<InboundSms>> + Send {
        mpsc::Receiver::recv(self)
    }
}

/// No SMS attachment: never yields (a phone that only sends and fetches).
#[derive(Debug, Default)]
pub struct NoLink;

impl SmsLink for NoLink {
    fn recv(&mut self) -> impl Future<Output = Option<InboundSms>> + Send {
        std::future::pending()
    }
}

/// A complete message out of [`SmsInbox`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A WDP datagram for the WAP Push port (2948, or 2949 secure): a WSP
    /// push PDU.
    WapPush {
        /// Originator.
        from: String,
        /// The datagram.
        datagram: Vec<u8>,
    },
    /// An ordinary text message.
    Text {
        /// Originator.
        from: String,
        /// The text.
        text: String,
    },
    /// Port-addressed data for another application.
    OtherPort {
        /// Originator.
        from: String,
        /// Destination port.
        port: u16,
    },
}

/// Reassembles short messages (sans-I/O: `now` is passed in).
#[derive(Debug)]
pub struct SmsInbox {
    reassembler: Reassembler<String>,
}

impl Default for SmsInbox {
    fn default() -> Self {
        Self::new()
    }
}

/// The connectionless WAP Push port (WAP-259 §6.3, `wap-wsp-push`).
pub const WAP_PUSH_PORT: u16 = 2948;
/// The secure WAP Push port (`wap-wsp-wtp-s`... WTLS push).
pub const WAP_PUSH_SECURE_PORT: u16 = 2949;

impl SmsInbox {
    /// With the default reassembly limits.
    pub fn new() -> Self {
        Self {
            reassembler: Reassembler::new(ReassemblyConfig::default()),
        }
    }

    /// Takes one short message. Returns the complete message when this
    /// completes it; `Err` describes a segment that was refused.
    pub fn handle_sms(
        &mut self,
        now: Instant,
        sms: &InboundSms,
    ) -> Result<Option<Received>, String> {
        let udhi = sms.esm_class & ferry_sms::ESM_CLASS_UDHI != 0;
        let done = self
            .reassembler
            .handle_short_message(now, sms.source.clone(), &sms.payload, udhi)
            .map_err(|e| e.to_string())?;
        let Some(done) = done else { return Ok(None) };
        let from = done.key;
        Ok(Some(match done.ports {
            Some(Ports { dest, .. }) if dest == WAP_PUSH_PORT || dest == WAP_PUSH_SECURE_PORT => {
                Received::WapPush {
                    from,
                    datagram: done.payload,
                }
            }
            Some(Ports { dest, .. }) => Received::OtherPort { from, port: dest },
            None => Received::Text {
                text: text_of(sms.data_coding, &done.payload),
                from,
            },
        }))
    }

    /// When [`SmsInbox::handle_timeout`] should next run.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.reassembler.poll_timeout()
    }

    /// Drops incomplete sets that waited too long; returns how many.
    pub fn handle_timeout(&mut self, now: Instant) -> usize {
        self.reassembler.handle_timeout(now).len()
    }
}

/// The text of a short message by SMPP data_coding: UCS-2 (8), Latin-1 (3),
/// otherwise read as UTF-8 (what SMPP peers send for the default alphabet on
/// an IP network), lossily.
fn text_of(data_coding: u8, b: &[u8]) -> String {
    match data_coding {
        0x08 => {
            let units: Vec<u16> = b
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        0x03 => b.iter().map(|&c| char::from(c)).collect(),
        _ => String::from_utf8_lossy(b).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_sms::{WapPushOptions, wap_push_segments};

    #[test]
    fn push_reassembles_in_any_order() {
        let datagram: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
        let segs = wap_push_segments(&datagram, 7, &WapPushOptions::default()).unwrap();
        assert!(segs.len() >= 3);
        let mut inbox = SmsInbox::new();
        let now = Instant::now();
        let mut out = None;
        for s in segs.iter().rev() {
            let sms = InboundSms {
                source: "+1555".into(),
                esm_class: 0x40,
                data_coding: 4,
                payload: s.short_message(),
            };
            if let Some(r) = inbox.handle_sms(now, &sms).unwrap() {
                out = Some(r);
            }
        }
        assert_eq!(
            out,
            Some(Received::WapPush {
                from: "+1555".into(),
                datagram
            })
        );
    }

    #[test]
    fn text_and_other_ports() {
        let mut inbox = SmsInbox::new();
        let now = Instant::now();
        let sms = InboundSms {
            source: "a".into(),
            esm_class: 0,
            data_coding: 8,
            payload: vec![0, b'h', 0, b'i'],
        };
        assert_eq!(
            inbox.handle_sms(now, &sms).unwrap(),
            Some(Received::Text {
                from: "a".into(),
                text: "hi".into()
            })
        );
        // UDH with 16-bit ports to 9204 (vCard).
        let sms = InboundSms {
            source: "a".into(),
            esm_class: 0x40,
            data_coding: 4,
            payload: vec![6, 5, 4, 0x23, 0xF4, 0, 0, b'x'],
        };
        assert_eq!(
            inbox.handle_sms(now, &sms).unwrap(),
            Some(Received::OtherPort {
                from: "a".into(),
                port: 9204
            })
        );
        let bad = InboundSms {
            source: "a".into(),
            esm_class: 0x40,
            data_coding: 4,
            payload: vec![9, 1],
        };
        assert!(inbox.handle_sms(now, &bad).is_err());
    }
}
