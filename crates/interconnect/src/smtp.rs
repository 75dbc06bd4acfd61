//! The SMTP server side as a state machine without I/O (RFC 5321 subset):
//! EHLO/HELO, MAIL FROM (with `SIZE=`), RCPT TO, DATA with dot-unstuffing,
//! RSET, NOOP, VRFY, HELP, QUIT and STARTTLS (RFC 3207).
//!
//! The policy is applied here, so it can be tested without sockets: a
//! sender domain must belong to the connected peer, a recipient domain must
//! be one of ours (no relaying), the declared and the actual size must stay
//! under the limit (the data stream is counted as it arrives; past the
//! limit its octets are dropped, not stored, and the message is refused
//! with 552 once its end is seen).

use std::fmt;

/// Longest command line accepted (RFC 5321 §4.5.3.1.4: 512 octets; some
/// extensions are longer, so a little room).
pub const MAX_COMMAND_LINE: usize = 1000;

/// A reply: code and one or more text lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Three-digit code.
    pub code: u16,
    /// Text lines (enhanced status code first where there is one).
    pub lines: Vec<String>,
}

impl Reply {
    /// A one-line reply.
    pub fn new(code: u16, text: impl Into<String>) -> Self {
        Self {
            code,
            lines: vec![text.into()],
        }
    }

    /// The reply as it goes on the wire (`250-a\r\n250 b\r\n`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let n = self.lines.len().max(1);
        for i in 0..n {
            let sep = if i + 1 == n { ' ' } else { '-' };
            let text = self.lines.get(i).map_or("", String::as_str);
            let text: String = text.chars().filter(|c| *c != '\r' && *c != '\n').collect();
            out.extend_from_slice(format!("{}{}{}\r\n", self.code, sep, text).as_bytes());
        }
        out
    }

    /// True for 2xx and 3xx.
    pub fn is_positive(&self) -> bool {
        self.code < 400
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.lines.join(" / "))
    }
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `HELO domain`.
    Helo(String),
    /// `EHLO domain`.
    Ehlo(String),
    /// `MAIL FROM:<path> [SIZE=n] [other parameters]`; the path is empty for
    /// the null reverse path `<>`.
    Mail {
        /// The reverse path without angle brackets.
        from: String,
        /// The declared size.
        size: Option<u64>,
    },
    /// `RCPT TO:<path>`.
    Rcpt(String),
    /// `DATA`.
    Data,
    /// `RSET`.
    Rset,
    /// `NOOP`.
    Noop,
    /// `QUIT`.
    Quit,
    /// `STARTTLS`.
    StartTls,
    /// `VRFY ...`.
    Vrfy,
    /// `HELP ...`.
    Help,
}

fn strip_path(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start();
    if let Some(rest) = s.strip_prefix('<') {
        let end = rest.find('>')?;
        Some((&rest[..end], &rest[end + 1..]))
    } else {
        let end = s.find(' ').unwrap_or(s.len());
        Some((&s[..end], &s[end..]))
    }
}

fn valid_path(p: &str) -> bool {
    p.len() <= 256
        && p.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>')
}

/// Parses one command line (without its CRLF). Errors are the reply to send.
pub fn parse_command(line: &[u8]) -> Result<Command, Reply> {
    if line.len() > MAX_COMMAND_LINE {
        return Err(Reply::new(500, "5.5.2 line too long"));
    }
    let Ok(line) = std::str::from_utf8(line) else {
        return Err(Reply::new(500, "5.5.2 command is not text"));
    };
    let line = line.trim_end_matches(['\r', '\n']);
    let (verb, arg) = match line.find(' ') {
        Some(i) => (&line[..i], line[i + 1..].trim()),
        None => (line, ""),
    };
    let syntax = || Reply::new(501, "5.5.4 syntax error in parameters");
    match verb.to_ascii_uppercase().as_str() {
        "HELO" | "EHLO" if arg.is_empty() => Err(Reply::new(501, "5.5.4 a domain is required")),
        "HELO" => Ok(Command::Helo(arg.to_owned())),
        "EHLO" => Ok(Command::Ehlo(arg.to_owned())),
        "MAIL" => {
            let rest = arg
                .get(..5)
                .filter(|p| p.eq_ignore_ascii_case("FROM:"))
                .map(|_| &arg[5..])
                .ok_or_else(syntax)?;
            let (path, params) = strip_path(rest).ok_or_else(syntax)?;
            if !valid_path(path) {
                return Err(syntax());
            }
            let mut size = None;
            for p in params.split_ascii_whitespace() {
                if let Some(v) = p
                    .get(..5)
                    .filter(|k| k.eq_ignore_ascii_case("SIZE="))
                    .map(|_| &p[5..])
                {
                    size = Some(v.parse::<u64>().map_err(|_| syntax())?);
                }
            }
            Ok(Command::Mail {
                from: path.to_owned(),
                size,
            })
        }
        "RCPT" => {
            let rest = arg
                .get(..3)
                .filter(|p| p.eq_ignore_ascii_case("TO:"))
                .map(|_| &arg[3..])
                .ok_or_else(syntax)?;
            let (path, _) = strip_path(rest).ok_or_else(syntax)?;
            if path.is_empty() || !valid_path(path) {
                return Err(syntax());
            }
            Ok(Command::Rcpt(path.to_owned()))
        }
        "DATA" => Ok(Command::Data),
        "RSET" => Ok(Command::Rset),
        "NOOP" => Ok(Command::Noop),
        "QUIT" => Ok(Command::Quit),
        "STARTTLS" => Ok(Command::StartTls),
        "VRFY" => Ok(Command::Vrfy),
        "HELP" => Ok(Command::Help),
        _ => Err(Reply::new(500, "5.5.1 command not recognised")),
    }
}

/// What the connection should do after a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send the reply and read the next command.
    Reply(Reply),
    /// Send the reply (354) and feed what follows to [`Session::data`].
    StartData(Reply),
    /// Send the reply (220), then start TLS and a new session.
    StartTls(Reply),
    /// Send the reply and close the connection.
    Close(Reply),
}

/// The rules a session applies.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Our name, for the greeting and EHLO.
    pub hostname: String,
    /// Largest message accepted, in octets (announced with SIZE).
    pub max_message_size: usize,
    /// Most recipients in one transaction.
    pub max_recipients: usize,
    /// Domains we accept mail for (RCPT TO); anything else is relaying.
    pub local_domains: Vec<String>,
    /// Domains the connected peer may send from (MAIL FROM); `None` for any.
    pub sender_domains: Option<Vec<String>>,
    /// Offer STARTTLS.
    pub starttls: bool,
    /// TLS is already active on this connection.
    pub tls_active: bool,
}

fn domain_of(path: &str) -> Option<&str> {
    path.rsplit_once('@').map(|(_, d)| d.trim_end_matches('.'))
}

fn domain_in(d: &str, list: &[String]) -> bool {
    list.iter()
        .any(|x| x.trim_end_matches('.').eq_ignore_ascii_case(d))
}

/// A message received: envelope and data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The HELO/EHLO name.
    pub helo: String,
    /// MAIL FROM (empty for `<>`).
    pub mail_from: String,
    /// RCPT TO, in order.
    pub rcpt_to: Vec<String>,
    /// The message, dot-unstuffed, CRLF line ends as sent.
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Fresh,
    Ready,
    Mail,
    Rcpt,
    Data,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scan {
    LineStart,
    Middle,
    Cr,
    Dot,
    DotCr,
}

/// Progress of [`Session::data`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataProgress {
    /// All input consumed; more data expected.
    More,
    /// The end of data (`CRLF.CRLF`) was seen after this many input octets;
    /// what follows is commands again. Call [`Session::finish_data`].
    Done(usize),
}

/// One SMTP session.
#[derive(Debug, Clone)]
pub struct Session {
    policy: Policy,
    state: State,
    helo: String,
    mail_from: String,
    rcpts: Vec<String>,
    data: Vec<u8>,
    seen: usize,
    oversize: bool,
    dot: Scan,
    errors: u32,
}

impl Session {
    /// A session under `policy`.
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            state: State::Fresh,
            helo: String::new(),
            mail_from: String::new(),
            rcpts: Vec::new(),
            data: Vec::new(),
            seen: 0,
            oversize: false,
            dot: Scan::LineStart,
            errors: 0,
        }
    }

    /// The 220 greeting.
    pub fn greeting(&self) -> Reply {
        Reply::new(220, format!("{} ESMTP Ferry MM4", self.policy.hostname))
    }

    /// True while DATA is being received.
    pub fn in_data(&self) -> bool {
        self.state == State::Data
    }

    fn reset(&mut self) {
        self.mail_from.clear();
        self.rcpts.clear();
        self.data = Vec::new();
        self.seen = 0;
        self.oversize = false;
        self.dot = Scan::LineStart;
        if self.state != State::Fresh {
            self.state = State::Ready;
        }
    }

    fn error(&mut self, r: Reply) -> Action {
        self.errors += 1;
        if self.errors >= 10 {
            return Action::Close(Reply::new(421, "4.7.0 too many errors, closing"));
        }
        Action::Reply(r)
    }

    /// Handles one command line (without CRLF).
    pub fn command(&mut self, line: &[u8]) -> Action {
        let cmd = match parse_command(line) {
            Ok(c) => c,
            Err(r) => return self.error(r),
        };
        match cmd {
            Command::Helo(d) => {
                self.reset();
                self.helo = d;
                self.state = State::Ready;
                Action::Reply(Reply::new(250, self.policy.hostname.clone()))
            }
            Command::Ehlo(d) => {
                self.reset();
                self.helo = d;
                self.state = State::Ready;
                let mut lines = vec![
                    self.policy.hostname.clone(),
                    format!("SIZE {}", self.policy.max_message_size),
                    "8BITMIME".to_owned(),
                    "PIPELINING".to_owned(),
                    "ENHANCEDSTATUSCODES".to_owned(),
                ];
                if self.policy.starttls && !self.policy.tls_active {
                    lines.push("STARTTLS".to_owned());
                }
                Action::Reply(Reply { code: 250, lines })
            }
            Command::Mail { from, size } => {
                if self.state == State::Fresh {
                    return self.error(Reply::new(503, "5.5.1 send EHLO or HELO first"));
                }
                if self.state != State::Ready {
                    return self.error(Reply::new(503, "5.5.1 nested MAIL command"));
                }
                if let Some(allowed) = &self.policy.sender_domains {
                    let ok = domain_of(&from).is_some_and(|d| domain_in(d, allowed));
                    if !ok {
                        return self.error(Reply::new(
                            550,
                            format!("5.7.1 sender <{from}> is not from this peer's domains"),
                        ));
                    }
                }
                if size.is_some_and(|s| s > self.policy.max_message_size as u64) {
                    return self.error(Reply::new(
                        552,
                        "5.3.4 message size exceeds fixed maximum message size",
                    ));
                }
                self.mail_from = from;
                self.state = State::Mail;
                Action::Reply(Reply::new(250, "2.1.0 sender ok"))
            }
            Command::Rcpt(to) => {
                if !matches!(self.state, State::Mail | State::Rcpt) {
                    return self.error(Reply::new(503, "5.5.1 need MAIL before RCPT"));
                }
                let local =
                    domain_of(&to).is_some_and(|d| domain_in(d, &self.policy.local_domains));
                if !local {
                    return self
                        .error(Reply::new(550, format!("5.7.1 relaying denied for <{to}>")));
                }
                if self.rcpts.len() >= self.policy.max_recipients {
                    return Action::Reply(Reply::new(452, "4.5.3 too many recipients"));
                }
                self.rcpts.push(to);
                self.state = State::Rcpt;
                Action::Reply(Reply::new(250, "2.1.5 recipient ok"))
            }
            Command::Data => {
                if self.state != State::Rcpt {
                    return self.error(Reply::new(503, "5.5.1 need RCPT before DATA"));
                }
                self.state = State::Data;
                self.dot = Scan::LineStart;
                Action::StartData(Reply::new(354, "end data with <CR><LF>.<CR><LF>"))
            }
            Command::Rset => {
                self.reset();
                Action::Reply(Reply::new(250, "2.0.0 ok"))
            }
            Command::Noop => Action::Reply(Reply::new(250, "2.0.0 ok")),
            Command::Vrfy => Action::Reply(Reply::new(252, "2.5.0 cannot verify")),
            Command::Help => Action::Reply(Reply::new(214, "2.0.0 see RFC 5321")),
            Command::Quit => Action::Close(Reply::new(221, "2.0.0 bye")),
            Command::StartTls => {
                if !self.policy.starttls {
                    self.error(Reply::new(502, "5.5.1 STARTTLS not offered"))
                } else if self.policy.tls_active {
                    self.error(Reply::new(503, "5.5.1 TLS already active"))
                } else {
                    Action::StartTls(Reply::new(220, "2.0.0 ready to start TLS"))
                }
            }
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        self.seen = self.seen.saturating_add(bytes.len());
        if self.seen > self.policy.max_message_size {
            self.oversize = true;
            self.data = Vec::new();
        } else {
            self.data.extend_from_slice(bytes);
        }
    }

    /// Feeds message data (after 354). Dot-stuffing is undone; the size is
    /// counted as it streams and nothing past the limit is kept. Accepts
    /// bare LF line ends too.
    pub fn data(&mut self, input: &[u8]) -> DataProgress {
        for (i, &b) in input.iter().enumerate() {
            match (self.dot, b) {
                (Scan::LineStart, b'.') => self.dot = Scan::Dot,
                (Scan::Dot, b'\r') => self.dot = Scan::DotCr,
                (Scan::Dot, b'\n') | (Scan::DotCr, b'\n') => return DataProgress::Done(i + 1),
                (Scan::DotCr, _) => {
                    // ".\r" then something else: keep what was sent.
                    self.push(b".\r");
                    self.dot = Scan::Middle;
                    self.byte(b);
                }
                (Scan::Dot, _) => {
                    // A stuffed dot: drop it, keep the rest of the line.
                    self.dot = Scan::Middle;
                    self.byte(b);
                }
                _ => self.byte(b),
            }
        }
        DataProgress::More
    }

    fn byte(&mut self, b: u8) {
        match (self.dot, b) {
            (Scan::Cr, b'\n') => {
                self.push(b"\n");
                self.dot = Scan::LineStart;
            }
            (_, b'\n') => {
                self.push(b"\n");
                self.dot = Scan::LineStart;
            }
            (_, b'\r') => {
                self.push(b"\r");
                self.dot = Scan::Cr;
            }
            _ => {
                self.push(&[b]);
                self.dot = Scan::Middle;
            }
        }
    }

    /// After [`DataProgress::Done`]: the message, or the 552 reply when it
    /// was too big. The session is ready for the next transaction.
    pub fn finish_data(&mut self) -> Result<Envelope, Reply> {
        let result = if self.oversize {
            Err(Reply::new(
                552,
                "5.3.4 message size exceeds fixed maximum message size",
            ))
        } else {
            Ok(Envelope {
                helo: self.helo.clone(),
                mail_from: std::mem::take(&mut self.mail_from),
                rcpt_to: std::mem::take(&mut self.rcpts),
                data: std::mem::take(&mut self.data),
            })
        };
        self.state = State::Ready;
        self.reset();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            hostname: "mms.a.example".into(),
            max_message_size: 100,
            max_recipients: 2,
            local_domains: vec!["mms.a.example".into()],
            sender_domains: Some(vec!["mms.b.example".into()]),
            starttls: false,
            tls_active: false,
        }
    }

    fn code(a: Action) -> u16 {
        match a {
            Action::Reply(r) | Action::StartData(r) | Action::StartTls(r) | Action::Close(r) => {
                r.code
            }
        }
    }

    #[test]
    fn command_table() {
        let table: &[(&[u8], Result<Command, u16>)] = &[
            (
                b"EHLO mms.b.example",
                Ok(Command::Ehlo("mms.b.example".into())),
            ),
            (b"helo x", Ok(Command::Helo("x".into()))),
            (
                b"MAIL FROM:<a@b> SIZE=123 BODY=8BITMIME",
                Ok(Command::Mail {
                    from: "a@b".into(),
                    size: Some(123),
                }),
            ),
            (
                b"mail from: <>",
                Ok(Command::Mail {
                    from: String::new(),
                    size: None,
                }),
            ),
            (
                b"MAIL FROM:<+1555/TYPE=PLMN@mms.b.example>",
                Ok(Command::Mail {
                    from: "+1555/TYPE=PLMN@mms.b.example".into(),
                    size: None,
                }),
            ),
            (
                b"RCPT TO:<+1555/TYPE=PLMN@mms.a.example>",
                Ok(Command::Rcpt("+1555/TYPE=PLMN@mms.a.example".into())),
            ),
            (b"RCPT TO:<>", Err(501)),
            (b"MAIL FROM:<a@b> SIZE=x", Err(501)),
            (b"MAIL TO:<a@b>", Err(501)),
            (b"DATA", Ok(Command::Data)),
            (b"QUIT", Ok(Command::Quit)),
            (b"STARTTLS", Ok(Command::StartTls)),
            (b"BDAT 10", Err(500)),
            (b"EHLO", Err(501)),
            (b"\xff\xfe", Err(500)),
        ];
        for (line, want) in table {
            let got = parse_command(line).map_err(|r| r.code);
            assert_eq!(&got, want, "{}", String::from_utf8_lossy(line));
        }
        assert_eq!(parse_command(&[b'A'; 1001]).unwrap_err().code, 500);
        assert_eq!(
            Reply {
                code: 250,
                lines: vec!["a".into(), "b".into()]
            }
            .to_bytes(),
            b"250-a\r\n250 b\r\n"
        );
    }

    #[test]
    fn policy_is_applied() {
        let mut s = Session::new(policy());
        assert_eq!(code(s.command(b"MAIL FROM:<x@mms.b.example>")), 503);
        assert_eq!(code(s.command(b"EHLO mms.b.example")), 250);
        assert_eq!(code(s.command(b"MAIL FROM:<x@evil.example>")), 550);
        assert_eq!(
            code(s.command(b"MAIL FROM:<x@mms.b.example> SIZE=101")),
            552
        );
        assert_eq!(code(s.command(b"RCPT TO:<y@mms.a.example>")), 503);
        assert_eq!(
            code(s.command(b"MAIL FROM:<x@mms.b.example> SIZE=100")),
            250
        );
        assert_eq!(
            code(s.command(b"RCPT TO:<y@elsewhere.example>")),
            550,
            "no relaying"
        );
        assert_eq!(
            code(s.command(b"RCPT TO:<+1/TYPE=PLMN@MMS.A.EXAMPLE>")),
            250
        );
        assert_eq!(
            code(s.command(b"RCPT TO:<+2/TYPE=PLMN@mms.a.example>")),
            250
        );
        assert_eq!(
            code(s.command(b"RCPT TO:<+3/TYPE=PLMN@mms.a.example>")),
            452
        );
        assert_eq!(code(s.command(b"STARTTLS")), 502);
        assert_eq!(code(s.command(b"DATA")), 354);
        assert_eq!(
            s.data(b"Subject: x\r\n\r\n..leading dot\r\nline\r\n.\r\nQUIT\r\n"),
            DataProgress::Done(38)
        );
        let env = s.finish_data().unwrap();
        assert_eq!(env.data, b"Subject: x\r\n\r\n.leading dot\r\nline\r\n");
        assert_eq!(env.rcpt_to.len(), 2);
        assert_eq!(env.mail_from, "x@mms.b.example");
        assert_eq!(code(s.command(b"DATA")), 503);
    }

    #[test]
    fn oversize_is_counted_while_streaming() {
        let mut s = Session::new(policy());
        s.command(b"EHLO b");
        s.command(b"MAIL FROM:<x@mms.b.example>");
        s.command(b"RCPT TO:<y@mms.a.example>");
        assert_eq!(code(s.command(b"DATA")), 354);
        for _ in 0..50 {
            assert_eq!(s.data(&[b'a'; 60]), DataProgress::More);
            assert!(s.data.len() <= 100, "nothing kept past the limit");
        }
        assert_eq!(s.data(b"\r\n.\r\n"), DataProgress::Done(5));
        assert_eq!(s.finish_data().unwrap_err().code, 552);
        // The session goes on.
        assert_eq!(code(s.command(b"MAIL FROM:<x@mms.b.example>")), 250);
    }

    #[test]
    fn data_split_anywhere() {
        let msg = b"a\r\n.b\r\n..\r\n\r\n.\r\n";
        for cut in 0..msg.len() {
            let mut s = Session::new(policy());
            s.command(b"HELO b");
            s.command(b"MAIL FROM:<x@mms.b.example>");
            s.command(b"RCPT TO:<y@mms.a.example>");
            s.command(b"DATA");
            let first = s.data(&msg[..cut]);
            let done = match first {
                DataProgress::Done(n) => n,
                DataProgress::More => {
                    cut + match s.data(&msg[cut..]) {
                        DataProgress::Done(n) => n,
                        DataProgress::More => panic!("no end at cut {cut}"),
                    }
                }
            };
            assert_eq!(done, msg.len());
            assert_eq!(
                s.finish_data().unwrap().data,
                b"a\r\nb\r\n.\r\n\r\n",
                "cut {cut}"
            );
        }
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn arbitrary_lines_never_panic(lines in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 0..40)) {
            let mut s = Session::new(Policy { hostname: "h".into(), max_message_size: 64, max_recipients: 3, local_domains: vec!["a".into()], sender_domains: None, starttls: true, tls_active: false });
            for l in &lines {
                let _ = parse_command(l);
                if s.in_data() {
                    if let DataProgress::Done(n) = s.data(l) {
                        prop_assert!(n <= l.len());
                        let _ = s.finish_data();
                    }
                } else if matches!(s.command(l), Action::Close(_)) {
                    break;
                }
            }
        }

        #[test]
        fn dot_stuffing_round_trips(body in proptest::collection::vec(prop_oneof![Just(b'.'), Just(b'\r'), Just(b'\n'), Just(b'a')], 0..200)) {
            // Normalise to CRLF lines, stuff as a client would, and read back.
            let text = String::from_utf8(body).unwrap().replace('\r', "");
            let mut msg = String::new();
            for line in text.split('\n') {
                msg.push_str(line);
                msg.push_str("\r\n");
            }
            let mut wire = Vec::new();
            for line in msg.split_inclusive("\r\n") {
                if line.starts_with('.') {
                    wire.push(b'.');
                }
                wire.extend_from_slice(line.as_bytes());
            }
            wire.extend_from_slice(b".\r\n");
            let mut s = Session::new(Policy { hostname: "h".into(), max_message_size: 1 << 20, max_recipients: 3, local_domains: vec!["a".into()], sender_domains: None, starttls: false, tls_active: false });
            s.command(b"HELO x");
            s.command(b"MAIL FROM:<a@a>");
            s.command(b"RCPT TO:<b@a>");
            s.command(b"DATA");
            prop_assert_eq!(s.data(&wire), DataProgress::Done(wire.len()));
            prop_assert_eq!(s.finish_data().unwrap().data, msg.into_bytes());
        }
    }
}
