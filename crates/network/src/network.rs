//! Starting and stopping a whole network in one process.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use ferry_esme::Esme;
use ferry_handset::config::{PhoneConfig, SmscConfig};
use ferry_handset::esme_link::EsmeLink;
use ferry_handset::retrieval::Report;
use ferry_handset::{Alert, Event, Phone, PhoneHandle, RetrievalMode};
use ferry_mmsc::store::sqlite::SqliteConfig;
use ferry_mmsc::store::{NewSubscriber, Store};
use ferry_service::Shutdown;
use ferry_service::shutdown::Finished;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::config::{NetworkConfig, OperatorConfig, PhoneEntry};
use crate::link::TapLink;
use crate::notifier::RecordingNotifier;
use crate::proxy::{Names, Proxy};
use crate::trace::{Step, Tracer};

/// The SMPP account the push gateway binds with at its SMSC.
const PPG_SYSTEM_ID: &str = "ppg";
const PPG_PASSWORD: &str = "ppgpass";
/// The SMPP account every phone binds with (its MSISDN as address_range).
pub const PHONE_SYSTEM_ID: &str = "phones";
/// Its password.
pub const PHONE_PASSWORD: &str = "phones";
const PEER_PASSWORD: &str = "peerpass";
/// The PAP initiator the MMSC pushes as.
const PAP_USER: &str = "mmsc";
const PAP_PASSWORD: &str = "mmsc-pass";

/// How long start-up waits for each SMPP bind.
const BIND_WAIT: Duration = Duration::from_secs(10);

/// The file in the data directory that says what runs where.
pub const STATE_FILE: &str = "network.json";

/// What `network.json` holds: where everything listens and where each
/// phone's directory is (read by `ferry phone --network DIR`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetworkState {
    /// The process that runs the network.
    pub pid: u32,
    /// The operators.
    pub operators: Vec<OperatorState>,
}

/// One operator in `network.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OperatorState {
    /// Name.
    pub name: String,
    /// Number range (prefix).
    pub numbers: String,
    /// SMSC (SMPP).
    pub smsc: SocketAddr,
    /// Push gateway (PAP URL base).
    pub ppg: SocketAddr,
    /// MMSC (MM1).
    pub mmsc: SocketAddr,
    /// MMS proxy.
    pub proxy: SocketAddr,
    /// Phones.
    pub phones: Vec<PhoneState>,
}

/// One phone in `network.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhoneState {
    /// Name.
    pub name: String,
    /// Number.
    pub msisdn: String,
    /// Its directory (phone.toml, index.sqlite, messages/).
    pub dir: PathBuf,
    /// `immediate` or `deferred`.
    pub retrieval: String,
}

/// Finds the directory of phone `who` (name or number) of the network
/// whose data directory is `network_dir`.
pub fn phone_dir(network_dir: &Path, who: &str) -> Result<PathBuf> {
    let path = network_dir.join(STATE_FILE);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "reading {}: is `ferry network up` running with this data directory?",
            path.display()
        )
    })?;
    let state: NetworkState =
        serde_json::from_str(&text).with_context(|| format!("in {}", path.display()))?;
    let all: Vec<&PhoneState> = state.operators.iter().flat_map(|o| &o.phones).collect();
    match all
        .iter()
        .find(|p| p.name == who || p.msisdn == who || p.msisdn.trim_start_matches('+') == who)
    {
        Some(p) => Ok(p.dir.clone()),
        None => bail!(
            "no phone {who:?} in {}; phones: {}",
            path.display(),
            all.iter()
                .map(|p| format!("{} ({})", p.name, p.msisdn))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A phone of the network.
#[derive(Debug)]
pub struct NetPhone {
    /// Its name.
    pub name: String,
    /// Its number.
    pub msisdn: String,
    /// Its operator.
    pub operator: Arc<str>,
    /// Its directory.
    pub dir: PathBuf,
    /// Its settings (also written to `phone.toml`).
    pub config: PhoneConfig,
    running: Option<RunningPhone>,
}

#[derive(Debug)]
struct RunningPhone {
    handle: PhoneHandle,
    esme: Esme,
    shutdown: Shutdown,
    finished: Finished,
}

impl NetPhone {
    /// The running phone (None while detached).
    pub fn handle(&self) -> Option<&PhoneHandle> {
        self.running.as_ref().map(|r| &r.handle)
    }

    /// The running phone, or an error naming it.
    pub fn running(&self) -> Result<&PhoneHandle> {
        self.handle()
            .with_context(|| format!("phone {} is not attached", self.name))
    }

    /// Whether it is attached to its SMSC.
    pub fn is_attached(&self) -> bool {
        self.running.is_some()
    }
}

/// One operator's running parts.
#[derive(Debug)]
pub struct Operator {
    /// Name.
    pub name: Arc<str>,
    /// Number range.
    pub numbers: String,
    /// The SMSC's SMPP address.
    pub smsc_addr: SocketAddr,
    /// The push gateway's HTTP address.
    pub ppg_addr: SocketAddr,
    /// The MMSC's MM1 address.
    pub mmsc_addr: SocketAddr,
    /// The MMS proxy in front of the MMSC.
    pub proxy: Proxy,
    /// The MMSC's store.
    pub mmsc_store: Arc<Store>,
    /// The counters of the MMSC store's writer.
    pub mmsc_writer: Arc<ferry_mmsc::store::sqlite::WriterStats>,
    /// The phones.
    pub phones: Vec<NetPhone>,
    smsc: Option<ferry_smsc::Smsc>,
    mmsc: Option<ferry_mmsc::Running>,
    ppg: Option<ferry_ppg::server::Running>,
    peer_secrets: HashMap<String, String>,
}

impl Operator {
    /// The MM1 URL phones POST to.
    pub fn mmsc_url(&self) -> String {
        format!("http://{}/mms", self.mmsc_addr)
    }

    /// The SMSC (queue size, bound sessions).
    pub fn smsc(&self) -> Option<&ferry_smsc::Smsc> {
        self.smsc.as_ref()
    }

    /// The shared secret of its peering with operator `peer` (made at
    /// start; tests sign requests with it).
    pub fn peer_secret(&self, peer: &str) -> Option<&str> {
        self.peer_secrets.get(peer).map(String::as_str)
    }

    /// The copies its MMSC kept of messages fetched from peer operators
    /// for its subscribers (sender-hosted retrieval).
    pub fn peer_copies(&self) -> Vec<ferry_mmsc::peer::CopyMeta> {
        self.mmsc
            .as_ref()
            .map(|m| m.peer_copies())
            .unwrap_or_default()
    }
}

/// A running network.
#[derive(Debug)]
pub struct Network {
    config: NetworkConfig,
    data_dir: PathBuf,
    tracer: Tracer,
    names: Names,
    shutdown: Shutdown,
    finished: Option<Finished>,
    operators: Vec<Operator>,
    /// Each operator's SMTP listener port (MM4 between the MMSCs).
    smtp_ports: Vec<u16>,
    /// The mail sink every MMSC relays e-mail to (MM3).
    mail: Option<crate::mail::MailSink>,
}

/// A port that is free now, for a listener that is bound later (each MMSC
/// must know the others' SMTP ports before any starts).
fn free_port(host: std::net::IpAddr) -> Result<u16> {
    ferry_service::ports::free_port_on(host).context("finding a free port")
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

fn digits(n: &str) -> &str {
    n.trim_start_matches('+')
}

impl Network {
    /// Starts everything `config` describes, keeping data in
    /// `config.data_dir`, recording the timeline with `tracer`; phones
    /// marked `attached = false` stay off.
    pub async fn start(config: NetworkConfig, tracer: Tracer) -> Result<Network> {
        config.check()?;
        let data_dir = config.data_dir.clone();
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("creating {}", data_dir.display()))?;
        let data_dir = data_dir
            .canonicalize()
            .with_context(|| format!("resolving {}", data_dir.display()))?;
        let _ = ferry_service::telemetry::metrics();
        ferry_service::tls::install_ring_provider();
        let names: Names = Arc::new(
            config
                .operators
                .iter()
                .flat_map(|o| &o.phones)
                .map(|p| (p.msisdn.clone(), p.name.clone()))
                .collect(),
        );
        let (shutdown, finished) = Shutdown::new();
        let mut net = Network {
            config: config.clone(),
            data_dir,
            tracer,
            names,
            shutdown,
            finished: Some(finished),
            operators: Vec::new(),
            smtp_ports: Vec::new(),
            mail: None,
        };
        // SMSCs first, on known ports so that each can route to the others.
        let host = config.host;
        let mut smsc_ports = Vec::new();
        for o in &config.operators {
            smsc_ports.push(if o.ports.smsc == 0 {
                free_port(host)?
            } else {
                o.ports.smsc
            });
        }
        // Every MMSC's listener too: peers need each other's URLs.
        let mut mmsc_listeners = Vec::new();
        for o in &config.operators {
            let l = tokio::net::TcpListener::bind((host, o.ports.mmsc))
                .await
                .with_context(|| {
                    format!(
                        "binding the MMSC of {:?} on {host}:{}",
                        o.name, o.ports.mmsc
                    )
                })?;
            mmsc_listeners.push(Some(l));
        }
        let mmsc_addrs: Vec<SocketAddr> = mmsc_listeners
            .iter()
            .map(|l| l.as_ref().and_then(|l| l.local_addr().ok()))
            .collect::<Option<_>>()
            .context("reading the MMSC listeners' addresses")?;
        // One shared secret per pair of peers, new at every start.
        let mut secrets: HashMap<(String, String), String> = HashMap::new();
        for o in &config.operators {
            for p in &o.peers {
                let pair = if o.name < *p {
                    (o.name.clone(), p.clone())
                } else {
                    (p.clone(), o.name.clone())
                };
                secrets
                    .entry(pair)
                    .or_insert_with(|| format!("{:032x}", rand::random::<u128>()));
            }
        }
        // Each MMSC's SMTP listener (MM4), known before any starts so that
        // each can name the others as peers.
        for _ in &config.operators {
            let p = free_port(host)?;
            net.smtp_ports.push(p);
        }
        let mail_dir = net.data_dir.join("mail");
        net.mail = Some(crate::mail::MailSink::start(host, &mail_dir, net.shutdown.clone()).await?);
        let result = async {
            // Every SMSC first, so that their routes to each other connect at once.
            let mut smscs = Vec::new();
            for (i, o) in config.operators.iter().enumerate() {
                let s = net
                    .start_smsc(i, o, &smsc_ports)
                    .await
                    .with_context(|| format!("starting operator {:?}'s SMSC", o.name));
                match s {
                    Ok(s) => smscs.push(s),
                    Err(e) => {
                        for s in smscs {
                            s.shutdown().await;
                        }
                        return Err(e);
                    }
                }
            }
            for (i, (o, smsc)) in config.operators.iter().zip(smscs).enumerate() {
                let listener = mmsc_listeners[i]
                    .take()
                    .context("the MMSC listener was taken")?;
                let peering = peering_text(&config, o, &mmsc_addrs, &secrets);
                let mut op = net
                    .start_operator(o, smsc, listener, &peering)
                    .await
                    .with_context(|| format!("starting operator {:?}", o.name))?;
                for p in &o.peers {
                    let pair = if o.name < *p {
                        (o.name.clone(), p.clone())
                    } else {
                        (p.clone(), o.name.clone())
                    };
                    if let Some(s) = secrets.get(&pair) {
                        op.peer_secrets.insert(p.clone(), s.clone());
                    }
                }
                net.operators.push(op);
            }
            for i in 0..net.operators.len() {
                let names: Vec<String> = net.operators[i]
                    .phones
                    .iter()
                    .map(|p| p.name.clone())
                    .collect();
                for (j, name) in names.iter().enumerate() {
                    if config.operators[i].phones[j].attached {
                        net.attach(name).await?;
                    }
                }
            }
            net.write_state()
        }
        .await;
        match result {
            Ok(()) => Ok(net),
            Err(e) => {
                net.shutdown().await;
                Err(e)
            }
        }
    }

    async fn start_smsc(
        &self,
        index: usize,
        o: &OperatorConfig,
        smsc_ports: &[u16],
    ) -> Result<ferry_smsc::Smsc> {
        let host = self.config.host;
        let t = &self.config.tuning;
        let dir = self.data_dir.join(&o.name);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;

        // SMSC: the push gateway's account, the phones' account (this
        // operator's range), one peer account per other operator, and a
        // route to each other operator's SMSC.
        let mut accounts = vec![
            ferry_smsc::Account {
                system_id: PPG_SYSTEM_ID.into(),
                password: PPG_PASSWORD.into(),
                role: ferry_smsc::AccountRole::Gateway,
                bind_types: Vec::new(),
                msisdns: Vec::new(),
                prefixes: Vec::new(),
            },
            ferry_smsc::Account {
                system_id: PHONE_SYSTEM_ID.into(),
                password: PHONE_PASSWORD.into(),
                role: ferry_smsc::AccountRole::Handset,
                bind_types: Vec::new(),
                msisdns: Vec::new(),
                prefixes: vec![digits(&o.numbers).to_owned()],
            },
        ];
        let mut routes = Vec::new();
        for (j, other) in self.config.operators.iter().enumerate() {
            if j == index {
                continue;
            }
            accounts.push(ferry_smsc::Account {
                system_id: format!("peer{j}"),
                password: PEER_PASSWORD.into(),
                role: ferry_smsc::AccountRole::Peer,
                bind_types: Vec::new(),
                msisdns: Vec::new(),
                prefixes: Vec::new(),
            });
            routes.push(ferry_smsc::Route {
                prefix: digits(&other.numbers).to_owned(),
                host: host.to_string(),
                port: smsc_ports[j],
                system_id: format!("peer{index}"),
                password: PEER_PASSWORD.into(),
                timeout_seconds: 10,
            });
        }
        let smsc_config = ferry_smsc::Config {
            listen: SocketAddr::new(host, smsc_ports[index]),
            admin: None,
            system_id: "ferry".into(),
            store: ferry_smsc::Store::Sqlite(dir.join("smsc.sqlite")),
            accounts,
            routes,
            delivery: ferry_smsc::Delivery {
                retry_seconds: t.sms_retry_secs.clone(),
                response_timeout_seconds: 10,
                ..ferry_smsc::Delivery::default()
            },
            limits: ferry_smsc::Limits {
                max_pending_submits: 16_384,
                ..ferry_smsc::Limits::default()
            },
        };
        ferry_smsc::Smsc::start(smsc_config).await
    }

    /// The MMSC's interconnect sections: its own number range, every other
    /// operator either as a sender-hosted peer (listed in `peers`) or as an
    /// MM4 peer (its SMTP listener on a loopback port), and its own SMTP
    /// listener accepting MM4 from them; the mail sink as e-mail relay.
    fn interconnect_sections(&self, o: &OperatorConfig) -> String {
        let host = self.config.host;
        // E-mail recipients go to the network's mail sink.
        let mm3 = match &self.mail {
            Some(m) => format!(
                "[mm3]\ndomain = {d}\nrelay = {{ host = \"{ip}\", port = {p}, tls = \"none\" }}\nretry_secs = [1, 5, 30]\n",
                d = toml_str(&format!("mail.{}.ferry", o.name)),
                ip = m.addr.ip(),
                p = m.addr.port(),
            ),
            None => String::new(),
        };
        if self.config.operators.len() < 2 {
            return mm3;
        }
        let port_of = |name: &str| {
            let i = self
                .config
                .operators
                .iter()
                .position(|x| x.name == name)
                .unwrap_or(0);
            self.smtp_ports.get(i).copied().unwrap_or(0)
        };
        let domain = |name: &str| format!("mms.{name}.ferry");
        // The country code: the first digit of the number range (the
        // example's +1555…); numbers travel in international form anyway.
        let cc: String = digits(&o.numbers).chars().take(1).collect();
        let mut t = format!(
            "[routing]\ncountry_code = {cc}\nown_ranges = [{own}]\nlocal_domains = [{d}]\n",
            cc = toml_str(&cc),
            own = toml_str(&o.numbers),
            d = toml_str(&domain(&o.name)),
        );
        let others: Vec<&OperatorConfig> = self
            .config
            .operators
            .iter()
            .filter(|x| x.name != o.name)
            .collect();
        for x in &others {
            if o.peers.contains(&x.name) {
                // A peer: its numbers stay here and are notified by us; its
                // MMSC fetches them (the `[[peers]]` sections).
                t.push_str(&format!(
                    "[[routing.operators]]\nname = {n}\nranges = [{r}]\nmmsc_url = \"http://{host}:{p}\"\nmethod = \"sender-hosted\"\n",
                    n = toml_str(&x.name),
                    r = toml_str(&x.numbers),
                    p = x.ports.mmsc,
                ));
                continue;
            }
            t.push_str(&format!(
                "[[routing.operators]]\nname = {n}\nranges = [{r}]\nmmsc_url = \"smtp://{host}:{p}\"\nmethod = \"mm4\"\nmm4_domain = {d}\n",
                n = toml_str(&x.name),
                r = toml_str(&x.numbers),
                p = port_of(&x.name),
                d = toml_str(&domain(&x.name)),
            ));
        }
        t.push_str(&format!(
            "[mm4]\ndomain = {d}\ntls = \"none\"\nretry_secs = [1, 5, 30, 120]\npoll_ms = {poll}\n\
             [smtp]\nlisten = \"{host}:{p}\"\nhostname = {d}\nlocal_domains = [{d}]\n",
            d = toml_str(&domain(&o.name)),
            poll = self.config.tuning.poll_ms,
            p = port_of(&o.name),
        ));
        for x in &others {
            t.push_str(&format!(
                "[[smtp.peers]]\nname = {n}\naddresses = [\"{host}\"]\nsender_domains = [{d}]\n",
                n = toml_str(&x.name),
                d = toml_str(&domain(&x.name)),
            ));
        }
        t.push_str(&mm3);
        t
    }

    async fn start_operator(
        &self,
        o: &OperatorConfig,
        smsc: ferry_smsc::Smsc,
        mmsc_listener: tokio::net::TcpListener,
        peering: &str,
    ) -> Result<Operator> {
        let host = self.config.host;
        let t = &self.config.tuning;
        let name: Arc<str> = o.name.as_str().into();
        let dir = self.data_dir.join(&o.name);
        let smsc_addr = smsc.local_addr();

        // Push gateway: the MMSC as initiator, one link to this SMSC for
        // this operator's numbers.
        let ppg_config = ferry_ppg::Config {
            listen: SocketAddr::new(host, o.ports.ppg),
            database: dir.join("ppg.sqlite"),
            sender_name: format!("Ferry PPG ({})", o.name),
            initiators: vec![ferry_ppg::config::InitiatorConfig {
                name: PAP_USER.into(),
                username: PAP_USER.into(),
                password: PAP_PASSWORD.into(),
                allowed_addresses: Vec::new(),
            }],
            anonymous: None,
            links: vec![ferry_ppg::config::LinkConfig {
                name: "smsc".into(),
                address: smsc_addr.to_string(),
                system_id: PPG_SYSTEM_ID.into(),
                password: PPG_PASSWORD.into(),
                system_type: String::new(),
                source_addr: "9200".into(),
                // Its own numbers, and its peers' (notified directly: the
                // SMSC routes their SMS on to their SMSC).
                prefixes: std::iter::once(&o.numbers)
                    .chain(
                        self.config
                            .operators
                            .iter()
                            .filter(|x| o.peers.contains(&x.name))
                            .map(|x| &x.numbers),
                    )
                    .cloned()
                    .collect(),
                window: 256,
                receipts: true,
            }],
            delivery: ferry_ppg::config::DeliveryConfig::default(),
            tls: None,
            http: Default::default(),
            // In the network's own runtime: not used.
            worker_threads: 0,
        };
        let ppg = match ferry_ppg::server::start(ppg_config, self.shutdown.clone()).await {
            Ok(p) => p,
            Err(e) => {
                smsc.shutdown().await;
                return Err(e.context("starting the push gateway"));
            }
        };
        let ppg_addr = ppg.addr;
        for l in &ppg.links {
            tokio::time::timeout(BIND_WAIT, l.esme().bound())
                .await
                .context("the push gateway's SMPP link did not bind in time")?
                .context("the push gateway's SMPP link")?;
        }

        // MMSC, behind the recording proxy, pushing through the recording
        // PAP client.
        let mmsc_addr = mmsc_listener.local_addr()?;
        let mmsc_dir = dir.join("mmsc");
        let text = format!(
            r#"
listen = "{mmsc_addr}"
public_url = "http://{mmsc_addr}"
store_dir = {store}
[identity]
msisdn_header = "X-MSISDN"
trusted_proxies = ["127.0.0.1", "::1", "{host}"]
basic_auth = true
require_subscriber = true
[notify]
retry_secs = {retry:?}
poll_ms = {poll}
concurrency = {conc}
[reports]
retry_secs = [2, 10, 60, 300]
ack_grace_secs = {grace}
poll_ms = {poll}
[gateway]
kind = "pap"
url = "http://{ppg_addr}/pap"
username = "{PAP_USER}"
password = "{PAP_PASSWORD}"
{peering}
{interconnect}
"#,
            interconnect = self.interconnect_sections(o),
            store = toml_str(&mmsc_dir.display().to_string()),
            retry = t.notify_retry_secs,
            poll = t.poll_ms,
            conc = t.notify_concurrency,
            grace = t.report_grace_secs,
        );
        let mmsc_config =
            ferry_mmsc::Config::from_toml(&text).context("the MMSC's configuration")?;
        let backend = ferry_mmsc::store::sqlite::SqliteBackend::open(SqliteConfig::new(&mmsc_dir))
            .await
            .with_context(|| format!("opening the MMSC store in {}", mmsc_dir.display()))?;
        let mmsc_writer = backend.writer_stats();
        let store = Arc::new(Store::new(backend));
        for p in &o.phones {
            if store.subscriber(&p.msisdn).await?.is_none() {
                store
                    .add_subscriber(NewSubscriber::new(p.msisdn.clone()), ferry_mmsc::unix_now())
                    .await?;
            }
        }
        let pap = ferry_mmsc::notifier_from_config(&mmsc_config)?;
        let notifier = Arc::new(RecordingNotifier::new(
            name.clone(),
            pap,
            self.tracer.clone(),
            self.names.clone(),
        ));
        let mmsc = ferry_mmsc::Mmsc::new(mmsc_config)
            .store(store.clone())
            .notifier(notifier)
            .listener(mmsc_listener)
            .peer_observer(Arc::new(crate::peering::RecordingPeers::new(
                name.clone(),
                self.tracer.clone(),
                self.names.clone(),
            )))
            .metrics(ferry_service::telemetry::metrics())
            .start(self.shutdown.clone())
            .await
            .context("starting the MMSC")?;

        let proxy_listener = tokio::net::TcpListener::bind((host, o.ports.proxy))
            .await
            .with_context(|| format!("binding the MMS proxy on {host}:{}", o.ports.proxy))?;
        let proxy = Proxy::start(
            name.clone(),
            proxy_listener,
            mmsc_addr,
            self.tracer.clone(),
            self.names.clone(),
            self.shutdown.clone(),
        )?;

        let phones_dir = dir.join("phones");
        let phones = o
            .phones
            .iter()
            .map(|p| self.phone_entry(&name, p, &phones_dir, smsc_addr, mmsc_addr, proxy.addr()))
            .collect::<Result<Vec<_>>>()?;
        Ok(Operator {
            name,
            numbers: o.numbers.clone(),
            smsc_addr,
            ppg_addr,
            mmsc_addr,
            proxy,
            mmsc_store: store,
            mmsc_writer,
            phones,
            smsc: Some(smsc),
            mmsc: Some(mmsc),
            ppg: Some(ppg),
            peer_secrets: HashMap::new(),
        })
    }

    fn phone_entry(
        &self,
        operator: &Arc<str>,
        p: &PhoneEntry,
        phones_dir: &Path,
        smsc: SocketAddr,
        mmsc: SocketAddr,
        proxy: SocketAddr,
    ) -> Result<NetPhone> {
        let mut c = PhoneConfig::new(p.msisdn.clone(), format!("http://{mmsc}/mms"));
        c.mmsc.proxy = Some(proxy.to_string());
        c.mmsc.timeout_secs = 10;
        c.smsc = Some(SmscConfig {
            address: smsc.to_string(),
            system_id: PHONE_SYSTEM_ID.into(),
            password: PHONE_PASSWORD.into(),
            system_type: String::new(),
            transceiver: false,
        });
        c.retrieval.mode = p.retrieval;
        c.retrieval.retry_backoff_ms = self.config.tuning.fetch_retry_ms;
        c.retrieval.retry_backoff_max_ms = self
            .config
            .tuning
            .fetch_retry_ms
            .saturating_mul(16)
            .max(1000);
        let dir = phones_dir.join(&p.name);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        // Written at every start: the addresses may have changed.
        let path = dir.join("phone.toml");
        std::fs::write(&path, c.to_toml())
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(NetPhone {
            name: p.name.clone(),
            msisdn: p.msisdn.clone(),
            operator: operator.clone(),
            dir,
            config: c,
            running: None,
        })
    }

    fn find(&self, who: &str) -> Option<(usize, usize)> {
        for (i, o) in self.operators.iter().enumerate() {
            for (j, p) in o.phones.iter().enumerate() {
                if p.name == who || p.msisdn == who {
                    return Some((i, j));
                }
            }
        }
        None
    }

    /// Phone `who` (name or number).
    pub fn phone(&self, who: &str) -> Result<&NetPhone> {
        let (i, j) = self
            .find(who)
            .with_context(|| format!("no phone {who:?} in the network"))?;
        Ok(&self.operators[i].phones[j])
    }

    /// The running phone `who`.
    pub fn handle(&self, who: &str) -> Result<&PhoneHandle> {
        self.phone(who)?.running()
    }

    /// Switches phone `who` on: it binds to its SMSC (which then hands over
    /// what it kept for it) and starts acting on notifications.
    pub async fn attach(&mut self, who: &str) -> Result<()> {
        let (i, j) = self
            .find(who)
            .with_context(|| format!("no phone {who:?} in the network"))?;
        let tracer = self.tracer.clone();
        let p = &mut self.operators[i].phones[j];
        if p.running.is_some() {
            return Ok(());
        }
        let (shutdown, finished) = Shutdown::new();
        let smsc = p.config.smsc.clone().context("phone without an SMSC")?;
        let link = EsmeLink::start(&smsc, &p.msisdn, shutdown.clone())?;
        let esme = link.esme().clone();
        let link = TapLink::new(link, p.operator.clone(), p.name.clone(), tracer.clone());
        let handle = Phone::start(p.config.clone(), &p.dir, link, shutdown.clone())
            .await
            .with_context(|| format!("starting phone {}", p.name))?;
        tokio::spawn(forward_events(
            handle.events(),
            p.operator.clone(),
            p.name.clone(),
            tracer,
            shutdown.clone(),
        ));
        let bound = tokio::time::timeout(BIND_WAIT, esme.bound()).await;
        p.running = Some(RunningPhone {
            handle,
            esme,
            shutdown,
            finished,
        });
        match bound {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => bail!("phone {} could not bind to its SMSC: {e}", p.name),
            Err(_) => bail!("phone {} did not bind to its SMSC in time", p.name),
        }
    }

    /// Switches phone `who` off (its SMPP session closes; the SMSC keeps
    /// its messages until it attaches again).
    pub async fn detach(&mut self, who: &str) -> Result<()> {
        let (i, j) = self
            .find(who)
            .with_context(|| format!("no phone {who:?} in the network"))?;
        if let Some(r) = self.operators[i].phones[j].running.take() {
            stop_phone(r).await;
        }
        Ok(())
    }

    /// The operators.
    pub fn operators(&self) -> &[Operator] {
        &self.operators
    }

    /// Operator `name`.
    pub fn operator(&self, name: &str) -> Result<&Operator> {
        self.operators
            .iter()
            .find(|o| &*o.name == name)
            .with_context(|| format!("no operator {name:?}"))
    }

    /// The timeline recorder.
    pub fn tracer(&self) -> &Tracer {
        &self.tracer
    }

    /// The mail sink (e-mail recipients' messages land in its folder).
    pub fn mail(&self) -> Option<&crate::mail::MailSink> {
        self.mail.as_ref()
    }

    /// The data directory (absolute).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The configuration it runs.
    pub fn config(&self) -> &NetworkConfig {
        &self.config
    }

    /// A handle that stops the network's servers when triggered.
    pub fn shutdown_handle(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// What `network.json` says.
    pub fn state(&self) -> NetworkState {
        NetworkState {
            pid: std::process::id(),
            operators: self
                .operators
                .iter()
                .map(|o| OperatorState {
                    name: o.name.to_string(),
                    numbers: o.numbers.clone(),
                    smsc: o.smsc_addr,
                    ppg: o.ppg_addr,
                    mmsc: o.mmsc_addr,
                    proxy: o.proxy.addr(),
                    phones: o
                        .phones
                        .iter()
                        .map(|p| PhoneState {
                            name: p.name.clone(),
                            msisdn: p.msisdn.clone(),
                            dir: p.dir.clone(),
                            retrieval: match p.config.retrieval.mode {
                                RetrievalMode::Deferred => "deferred".into(),
                                _ => "immediate".into(),
                            },
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    fn write_state(&self) -> Result<()> {
        let path = self.data_dir.join(STATE_FILE);
        let text = serde_json::to_string_pretty(&self.state())?;
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
    }

    /// A few lines saying what runs where.
    pub fn describe(&self) -> String {
        let mut s = format!("data in {}\n", self.data_dir.display());
        for o in &self.operators {
            s.push_str(&format!(
                "operator {} ({}…): SMSC smpp://{}  PPG http://{}/pap  MMSC {}  MMS proxy {}\n",
                o.name,
                o.numbers,
                o.smsc_addr,
                o.ppg_addr,
                o.mmsc_url(),
                o.proxy.addr()
            ));
            for p in &o.phones {
                s.push_str(&format!(
                    "  phone {:<8} {}  {:<9} {}  {}\n",
                    p.name,
                    p.msisdn,
                    match p.config.retrieval.mode {
                        RetrievalMode::Deferred => "deferred",
                        _ => "immediate",
                    },
                    if p.is_attached() { "attached" } else { "off" },
                    p.dir.display()
                ));
            }
        }
        s
    }

    /// Stops everything: phones, then MMSCs, push gateways and SMSCs (their
    /// stores committed and closed).
    pub async fn shutdown(mut self) {
        for o in &mut self.operators {
            for p in &mut o.phones {
                if let Some(r) = p.running.take() {
                    stop_phone(r).await;
                }
            }
        }
        self.shutdown.trigger();
        for o in &mut self.operators {
            if let Some(m) = o.mmsc.take()
                && tokio::time::timeout(Duration::from_secs(10), m.join())
                    .await
                    .is_err()
            {
                tracing::warn!(operator = %o.name, "the MMSC did not stop in time");
            }
            if let Err(e) = o.mmsc_store.close().await {
                tracing::warn!(operator = %o.name, "closing the MMSC store: {e}");
            }
            if let Some(p) = o.ppg.take() {
                let _ = tokio::time::timeout(Duration::from_secs(10), p.server).await;
            }
            if let Some(s) = o.smsc.take() {
                s.shutdown().await;
            }
        }
        let Network {
            shutdown,
            finished,
            operators,
            ..
        } = self;
        drop(operators);
        drop(shutdown);
        if let Some(f) = finished
            && tokio::time::timeout(Duration::from_secs(10), f.wait())
                .await
                .is_err()
        {
            tracing::warn!("some tasks did not stop in time");
        }
    }
}

/// The `[peering]` and `[[peers]]` sections of operator `o`'s MMSC.
fn peering_text(
    config: &NetworkConfig,
    o: &OperatorConfig,
    mmsc_addrs: &[SocketAddr],
    secrets: &HashMap<(String, String), String>,
) -> String {
    if o.peers.is_empty() {
        return String::new();
    }
    let mut s = format!("[peering]\nname = {}\n", toml_str(&o.name));
    for (j, other) in config.operators.iter().enumerate() {
        if !o.peers.contains(&other.name) {
            continue;
        }
        let pair = if o.name < other.name {
            (o.name.clone(), other.name.clone())
        } else {
            (other.name.clone(), o.name.clone())
        };
        let secret = secrets.get(&pair).cloned().unwrap_or_default();
        s.push_str(&format!(
            "[[peers]]\nname = {}\nurl = \"http://{}\"\nranges = [{}]\nsecret = {}\n",
            toml_str(&other.name),
            mmsc_addrs[j],
            toml_str(&other.numbers),
            toml_str(&secret)
        ));
    }
    s
}

async fn stop_phone(r: RunningPhone) {
    let RunningPhone {
        handle,
        esme,
        shutdown,
        finished,
    } = r;
    shutdown.trigger();
    drop(handle);
    drop(esme);
    drop(shutdown);
    if tokio::time::timeout(Duration::from_secs(10), finished.wait())
        .await
        .is_err()
    {
        tracing::warn!("a phone did not stop in time");
    }
}

/// Puts a phone's own alerts in the timeline.
async fn forward_events(
    mut events: broadcast::Receiver<Event>,
    operator: Arc<str>,
    phone: String,
    tracer: Tracer,
    shutdown: Shutdown,
) {
    loop {
        let e = tokio::select! {
            _ = shutdown.wait() => break,
            e = events.recv() => e,
        };
        let e = match e {
            Ok(e) => e,
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => break,
        };
        let at = format!("at {phone}");
        let id = |i: &Option<i64>| i.map_or_else(String::new, |i| format!("[{i}] "));
        if let Event::Mms { id: i, alert } = e {
            match alert {
                Alert::Received { from, subject, .. } => tracer.now(
                    &operator,
                    Step::Stored,
                    at,
                    None,
                    None,
                    format!(
                        "{}received from {}: {}",
                        id(&i),
                        from.unwrap_or_default(),
                        subject.unwrap_or_default()
                    ),
                ),
                Alert::Pending(n) => tracer.now(
                    &operator,
                    Step::Pending,
                    at,
                    n.size.map(|s| s as usize),
                    None,
                    format!(
                        "{}waiting from {}: {}",
                        id(&i),
                        n.from.unwrap_or_default(),
                        n.subject.unwrap_or_default()
                    ),
                ),
                Alert::Report(Report::Delivery {
                    message_id,
                    recipient,
                    status,
                }) => tracer.now(
                    &operator,
                    Step::DeliveryReport,
                    at,
                    None,
                    None,
                    format!("{message_id} to {recipient}: {status}"),
                ),
                Alert::Report(Report::Read {
                    message_id,
                    recipient,
                    status,
                }) => tracer.now(
                    &operator,
                    Step::ReadReport,
                    at,
                    None,
                    None,
                    format!("{message_id} by {recipient}: {status}"),
                ),
                Alert::Duplicate { transaction_id } => tracer.now(
                    &operator,
                    Step::Duplicate,
                    at,
                    None,
                    None,
                    format!("notification {transaction_id} seen before: not fetched again"),
                ),
                Alert::Failed {
                    transaction_id,
                    reason,
                } => tracer.now(
                    &operator,
                    Step::Failed,
                    at,
                    None,
                    None,
                    format!("fetch of {transaction_id}: {reason}"),
                ),
                Alert::Rejected { reason, .. } => tracer.now(
                    &operator,
                    Step::Failed,
                    at,
                    None,
                    None,
                    format!("rejected: {reason}"),
                ),
                _ => {}
            }
        }
    }
}

/// Every phone's events in one stream: `(phone name, event)`.
pub fn all_events(net: &Network) -> tokio::sync::mpsc::UnboundedReceiver<(String, Event)> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut by: HashMap<String, broadcast::Receiver<Event>> = HashMap::new();
    for o in &net.operators {
        for p in &o.phones {
            if let Some(h) = p.handle() {
                by.insert(p.name.clone(), h.events());
            }
        }
    }
    for (name, mut rx_ev) in by {
        let tx = tx.clone();
        tokio::spawn(async move {
            loop {
                match rx_ev.recv().await {
                    Ok(e) => {
                        if tx.send((name.clone(), e)).is_err() {
                            break;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        });
    }
    rx
}

/// `ferry network up`: starts the network, prints what runs where and then
/// each timeline event as a line through `print` until SIGINT/SIGTERM, and
/// stops it.
pub fn up_blocking(config: NetworkConfig, quiet: bool, mut print: impl FnMut(&str)) -> Result<()> {
    crate::block_on(async move {
        let tracer = if quiet {
            Tracer::disabled()
        } else {
            Tracer::new()
        };
        let mut live = tracer.subscribe();
        let net = Network::start(config, tracer).await?;
        let dir = net.data_dir().display().to_string();
        print(&format!("Ferry network up\n{}", net.describe()));
        print(&format!(
            "drive a phone from another terminal:  ferry phone --network {dir} --phone NAME inbox|show ID|send --to NUMBER …|fetch ID|read ID"
        ));
        print("Ctrl-C to stop\n");
        let shutdown = net.shutdown_handle();
        shutdown.on_signals();
        let zero = std::time::Instant::now();
        loop {
            tokio::select! {
                _ = shutdown.wait() => break,
                e = live.recv() => match e {
                    Ok(e) => print(&e.line(zero)),
                    Err(broadcast::error::RecvError::Lagged(n)) => print(&format!("({n} timeline events missed)")),
                    Err(broadcast::error::RecvError::Closed) => break,
                },
            }
        }
        drop(shutdown);
        print("stopping…");
        net.shutdown().await;
        Ok(())
    })?
}
