//! Kannel as a peer, for the interop tests and the benchmark: writes a
//! minimal `kannel.conf` (core, wapbox, ppg, wap-push-user, smsbox, one SMPP
//! smsc), starts `bearerbox` and `wapbox` with the loopback bind shim, and
//! stops them (by their own process ids) when dropped.
//!
//! The peers come from `scripts/peers/install.sh`; [`check_installed`]
//! fails with that instruction when they are missing.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// Where Kannel's programs are.
pub const BEARERBOX: &str = "/usr/sbin/bearerbox";
/// Kannel's WAP box (holds the PPG).
pub const WAPBOX: &str = "/usr/sbin/wapbox";
/// Kannel's push initiator test tool (`kannel-extras`).
pub const TEST_PPG: &str = "/usr/lib/kannel/test/test_ppg";

/// The LD_PRELOAD shim that keeps Kannel's wildcard binds on 127.0.0.1:
/// `$FERRY_BIND_SHIM`, else `target/peers/bind-loopback.so` in the checkout.
pub fn bind_shim() -> PathBuf {
    std::env::var_os("FERRY_BIND_SHIM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/peers/bind-loopback.so")))
}

/// Fails, saying what to run, unless Kannel, test_ppg and the shim are present.
pub fn check_installed() -> Result<()> {
    for p in [BEARERBOX, WAPBOX, TEST_PPG] {
        if !Path::new(p).exists() {
            bail!("{p} is missing: run scripts/peers/install.sh (installs Kannel and kannel-extras)");
        }
    }
    let shim = bind_shim();
    if !shim.exists() {
        bail!("{} is missing: run scripts/peers/install.sh (builds the loopback bind shim)", shim.display());
    }
    Ok(())
}

/// A free TCP port on 127.0.0.1 (bound then released).
pub fn free_port() -> Result<u16> {
    Ok(ferry_service::ports::free_port()?)
}

/// How to run Kannel.
#[derive(Debug, Clone)]
pub struct KannelOptions {
    /// Port of the SMSC Kannel binds to (SMPP, transceiver).
    pub smsc_port: u16,
    /// SMPP system_id and password at that SMSC.
    pub smsc_credentials: (String, String),
    /// The push initiator's user name and password at Kannel's PPG.
    pub ppg_credentials: (String, String),
    /// `global-sender` (the SMS source address).
    pub sender: String,
    /// Kannel log level: 0 debug, 1 info, 2 warning, 3 error; for the log
    /// files (`log-level`) and for what each box writes to stderr (`-v`,
    /// which is debug when not given).
    pub log_level: u8,
    /// Directory for the configuration and logs.
    pub dir: PathBuf,
}

/// A running bearerbox + wapbox.
#[derive(Debug)]
pub struct Kannel {
    bearerbox: Child,
    wapbox: Child,
    /// The PPG's push URL with the credentials as query parameters.
    pub ppg_url: String,
    /// The PPG's push URL without credentials.
    pub ppg_base_url: String,
    /// The directory with `kannel.conf` and the logs.
    pub dir: PathBuf,
}

impl Kannel {
    /// Writes the configuration and starts both boxes; returns once the PPG
    /// port accepts connections.
    pub fn start(o: &KannelOptions) -> Result<Kannel> {
        check_installed()?;
        std::fs::create_dir_all(&o.dir)?;
        let (admin, smsbox, wapbox_port, ppg) = (free_port()?, free_port()?, free_port()?, free_port()?);
        let d = o.dir.display();
        let conf = format!(
            r#"group = core
admin-port = {admin}
admin-password = ferry
smsbox-port = {smsbox}
wapbox-port = {wapbox_port}
box-allow-ip = 127.0.0.1
log-file = "{d}/bearerbox.log"
log-level = {lvl}
access-log = "{d}/access.log"

group = wapbox
bearerbox-host = 127.0.0.1
log-file = "{d}/wapbox.log"
log-level = {lvl}
syslog-level = none

group = ppg
ppg-url = /cgi-bin/wap-push.cgi
ppg-port = {ppg}
concurrent-pushes = 10000
users = 1024
trusted-pi = false
ppg-allow-ip = "127.0.0.1"
default-smsc = ferry
global-sender = {sender}
service-name = ppg

group = wap-push-user
wap-push-user = initiator
ppg-username = {pu}
ppg-password = {pp}
allowed-prefix = "+;0;1;2;3;4;5;6;7;8;9"

group = smsbox
bearerbox-host = 127.0.0.1

group = smsc
smsc = smpp
smsc-id = ferry
host = 127.0.0.1
port = {sp}
receive-port = 0
transceiver-mode = true
smsc-username = "{su}"
smsc-password = "{ss}"
system-type = ""
interface-version = 34
source-addr-ton = 0
source-addr-npi = 1
dest-addr-ton = 1
dest-addr-npi = 1
enquire-link-interval = 30
reconnect-delay = 2
msg-id-type = 0x01
max-pending-submits = 100
"#,
            lvl = o.log_level,
            sender = o.sender,
            pu = o.ppg_credentials.0,
            pp = o.ppg_credentials.1,
            sp = o.smsc_port,
            su = o.smsc_credentials.0,
            ss = o.smsc_credentials.1,
        );
        let conf_path = o.dir.join("kannel.conf");
        std::fs::write(&conf_path, conf)?;
        let shim = bind_shim();
        let spawn = |prog: &str, name: &str| -> Result<Child> {
            let out = std::fs::File::create(o.dir.join(format!("{name}.stderr")))?;
            // `-v`: the level of what the box writes to stderr, which is
            // debug unless set; `log-level` above is only the log file's.
            Command::new(prog)
                .arg("-v")
                .arg(o.log_level.to_string())
                .arg(&conf_path)
                .env("LD_PRELOAD", &shim)
                .stdin(Stdio::null())
                .stdout(out.try_clone()?)
                .stderr(out)
                .spawn()
                .with_context(|| format!("starting {prog}"))
        };
        let bearerbox = spawn(BEARERBOX, "bearerbox")?;
        wait_port(wapbox_port, Duration::from_secs(10)).context("bearerbox did not open its wapbox port")?;
        let wapbox = spawn(WAPBOX, "wapbox")?;
        let base = format!("http://127.0.0.1:{ppg}/cgi-bin/wap-push.cgi");
        let k = Kannel {
            bearerbox,
            wapbox,
            ppg_url: format!("{base}?username={}&password={}", o.ppg_credentials.0, o.ppg_credentials.1),
            ppg_base_url: base,
            dir: o.dir.clone(),
        };
        wait_port(ppg, Duration::from_secs(10)).with_context(|| format!("wapbox did not open the PPG port; see {}", k.dir.display()))?;
        Ok(k)
    }

    /// The text of a log file in the directory (`bearerbox.log`, `wapbox.log`).
    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap_or_default()
    }
}

impl Drop for Kannel {
    fn drop(&mut self) {
        for c in [&mut self.wapbox, &mut self.bearerbox] {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Waits until something listens on 127.0.0.1:`port`.
pub fn wait_port(port: u16, timeout: Duration) -> Result<()> {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("nothing listens on 127.0.0.1:{port} after {timeout:?}")
}

/// Runs Kannel's `test_ppg` once: pushes `content` (bytes, written as hex)
/// of content qualifier `mms` with the PAP document `pap_xml` to `url`.
/// Returns its whole output: test_ppg exits 0 even when the push fails, so
/// callers read the push response from it.
pub fn run_test_ppg(url: &str, content: &[u8], pap_xml: &str, dir: &Path) -> Result<String> {
    check_installed()?;
    std::fs::create_dir_all(dir)?;
    let hex: String = content.iter().map(|b| format!("{b:02x}")).collect();
    let content_path = dir.join("content.hex");
    let pap_path = dir.join("pap.xml");
    std::fs::write(&content_path, hex)?;
    std::fs::write(&pap_path, pap_xml)?;
    let out = Command::new(TEST_PPG)
        .args(["-c", "mms", "-s", "X-WAP-Application-Id: x-wap-application:mms.ua", "-B", url])
        .arg(&content_path)
        .arg(&pap_path)
        .stdin(Stdio::null())
        .output()
        .context("running test_ppg")?;
    Ok(format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}
