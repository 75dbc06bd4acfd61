//! # ferry-sms
//!
//! 3GPP TS 23.040 short message TPDUs, the GSM 7-bit and UCS2 alphabets of
//! TS 23.038, user data headers, WAP Push over SMS (the WDP adaptation of
//! WAP-259) and reassembly of concatenated messages. No I/O: bytes in,
//! values out, and back.
//!
//! ## Data flow
//!
//! ```text
//!  PPG / SMSC side                                      handset side
//!  ───────────────                                      ────────────
//!  WSP push datagram                                    SMPP short_message (UDHI)   PDU-mode TPDU
//!        │                                                      │                        │
//!  wap_push_segments()                          Fragment::from_short_message   Tpdu::decode_with_smsc
//!        │                                                      │                        │
//!  Vec<Segment> ── udh + data ──▶ SMPP submit_sm ──▶ … ──▶  Reassembler::handle_segment / handle_tpdu
//!        │  (esm_class 0x40, data_coding 0x04)                  │ (sans-I/O: now passed in,
//!  Segment::to_submit / to_deliver ──▶ Tpdu::to_bytes            │  poll_timeout / handle_timeout)
//!                                                               ▼
//!                                                  Reassembled { ports, payload = WSP push }
//! ```
//!
//! Text goes through [`split_text`] (alphabet choice, 153/67-unit segments,
//! escapes and surrogate pairs kept whole) and [`UserData::text`].
//!
//! ## Layout
//!
//! | module | what |
//! | --- | --- |
//! | [`tpdu`] | SMS-DELIVER, SMS-SUBMIT, SMS-STATUS-REPORT, SMS-DELIVER-REPORT, SMS-SUBMIT-REPORT; PDU mode with the SMSC address |
//! | [`address`] | TP-OA/DA/RA and SMSC addresses: TBCD digits, alphanumeric (packed GSM 7-bit) |
//! | [`dcs`] | TP-DCS raw octet and its typed reading (alphabet, class, compression, message waiting) |
//! | [`time`] | TP-SCTS/TP-DT timestamps (quarter-hour zones with sign) and TP-VP (relative, absolute, enhanced) |
//! | [`codes`] | TP-PID, TP-ST, TP-FCS, TON, NPI as newtypes with named constants |
//! | [`user_data`] | TP-UDL/TP-UD: septet packing with fill bits after the header, octets borrowed from the input |
//! | [`udh`] | user data header: concatenation (8/16-bit), ports (8/16-bit), unknown IEs kept byte for byte |
//! | [`gsm7`] | GSM 7-bit default alphabet + extension table, septet packing |
//! | [`text`] | alphabet choice and splitting of long text |
//! | [`wap`] | WAP Push datagram → segments (Kannel's UDH layout) |
//! | [`reassembly`] | concatenated message reassembly with limits and timeouts |
//! | [`hex`] | hex helpers for PDU-mode strings |
//!
//! ## Conventions
//!
//! * Decoders never panic, check every length against the input, and
//!   return [`DecodeError`] with the byte offset and field name. TPDU
//!   decoders require the whole input to be consumed.
//! * Encoders are canonical: TP-UDHI follows whether a header is present,
//!   TP-VPF follows the validity period variant, TP-PI lists exactly the
//!   optional fields present; fill bits are zero.
//! * Wire codes are newtypes (`ProtocolId(pub u8)`, …) so unknown values
//!   survive; TP-DCS is kept raw and read through [`DataCodingScheme::kind`].
//! * 8-bit and UCS2 user data borrow from the input ([`Body::Octets`] is a
//!   `Cow`); GSM 7-bit text is unpacked into septets (it cannot be borrowed).
//!
//! ## Why hand-written
//!
//! Crates seen on crates.io cover parts only, as far as their documentation
//! shows: `sms-pdu-decoder` decodes SMS-DELIVER/SUBMIT into owned strings
//! but does not encode; `huawei-modem` and `serial-codec` carry PDU code
//! inside AT-modem drivers; `rusmpp-extra` concatenates at the SMPP level.
//! None offers WAP Push (WDP port addressing) segmentation, a sans-I/O
//! reassembler with limits, canonical encoders for every TPDU, or 8-bit
//! payloads borrowed from the input, which Ferry's PPG, SMSC and handsets
//! all need with exact byte control.
//!
//! ## Example
//!
//! ```
//! use ferry_sms::{Tpdu, decode_hex};
//! // The classic "hellohello" SMS-SUBMIT in PDU mode (no SMSC address).
//! let bytes = decode_hex("0011000B916407281553F80000AA0AE8329BFD4697D9EC37").unwrap();
//! let (smsc, tpdu) = Tpdu::decode_with_smsc(&bytes).unwrap();
//! assert!(smsc.is_none());
//! let Tpdu::Submit(submit) = &tpdu else { panic!() };
//! assert_eq!(submit.destination.to_string(), "+46708251358");
//! assert_eq!(submit.text().as_deref(), Some("hellohello"));
//! assert_eq!(tpdu.to_bytes_with_smsc(None).unwrap(), bytes);
//! ```
#![forbid(unsafe_code)]

pub mod address;
pub mod codes;
pub mod dcs;
mod error;
pub mod gsm7;
pub mod hex;
mod reader;
pub mod reassembly;
pub mod text;
pub mod time;
pub mod tpdu;
pub mod udh;
pub mod user_data;
pub mod wap;

pub use address::Address;
pub use codes::{FailureCause, NumberingPlan, ProtocolId, Status, TypeOfNumber};
pub use dcs::{Alphabet, DataCodingScheme, DcsKind, IndicationType, MessageClass};
pub use error::{DecodeError, EncodeError, Error};
pub use hex::{HexError, decode_hex, encode_hex};
pub use reassembly::{Expired, Fragment, Reassembled, Reassembler, ReassemblyConfig, ReassemblyError};
pub use text::{ConcatKind, TextSegment, split_text};
pub use time::{EnhancedKind, EnhancedValidity, Timestamp, ValidityPeriod};
pub use tpdu::{Deliver, DeliverReport, StatusReport, Submit, SubmitReport, Tpdu};
pub use udh::{Concat, InformationElement, Ports, UserDataHeader, split_udh};
pub use user_data::{Body, UserData};
pub use wap::{ESM_CLASS_UDHI, Segment, WapPushOptions, wap_push_segments};
