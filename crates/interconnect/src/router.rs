//! Recipient routing: which MMSC serves an address.
//!
//! ```text
//!   address ──► e-mail? (not a number at one of our domains) ──► Route::Email
//!          └──► number (strip /TYPE=PLMN, @domain, separators)
//!                 ──► normalise: +CC…, IDD 00…, trunk 0… → +CC…, bare digits taken as international
//!                 ──► number-portability table (MSISDN → operator) overrides prefixes
//!                 ──► longest E.164 prefix among our ranges and the other operators'
//!                 ──► Route::Local | Route::Operator{..} | Route::Unroutable(reason)
//! ```

use std::collections::HashMap;
use std::sync::RwLock;

use serde::Deserialize;

use crate::portability::Portability;

/// How a message reaches another operator's subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryMethod {
    /// Our MMSC keeps the message and notifies the recipient itself (the
    /// handset fetches from us).
    SenderHosted,
    /// MM4: forwarded over SMTP to the operator's MMSC.
    Mm4,
}

/// Another operator.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorConfig {
    /// Its name (what the portability table refers to).
    pub name: String,
    /// Its E.164 prefixes (`+4917`, `4917`).
    pub ranges: Vec<String>,
    /// Its MMSC: `smtp://host:port` for MM4, the MMSC URL otherwise.
    pub mmsc_url: String,
    /// How to deliver to it.
    pub method: DeliveryMethod,
    /// Its MM4 domain (`mms.b.example`): appended to numbers in MM4 addresses.
    #[serde(default)]
    pub mm4_domain: Option<String>,
}

fn default_intl() -> String {
    "00".to_owned()
}
fn default_own_name() -> String {
    "local".to_owned()
}

/// The routing section of the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingConfig {
    /// Country calling code, without `+` (`49`).
    pub country_code: String,
    /// National trunk prefix (`0`); empty if the country has none.
    #[serde(default)]
    pub trunk_prefix: String,
    /// International (IDD) prefix (`00`).
    #[serde(default = "default_intl")]
    pub international_prefix: String,
    /// Our own E.164 prefixes.
    pub own_ranges: Vec<String>,
    /// The name the portability table uses for us.
    #[serde(default = "default_own_name")]
    pub own_name: String,
    /// Our domains: `+number@` one of them is a subscriber, not an e-mail
    /// address (the MM3 mail domain, the MM4 domain).
    #[serde(default)]
    pub local_domains: Vec<String>,
    /// Other operators.
    #[serde(default)]
    pub operators: Vec<OperatorConfig>,
}

/// Where a recipient is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// One of our subscribers.
    Local {
        /// The MSISDN, international form (`+4915112345678`).
        msisdn: String,
    },
    /// Another operator's subscriber.
    Operator {
        /// The operator's name.
        name: String,
        /// The MSISDN, international form.
        msisdn: String,
        /// Its MMSC.
        mmsc_url: String,
        /// How to deliver.
        method: DeliveryMethod,
        /// Its MM4 domain.
        mm4_domain: Option<String>,
    },
    /// An Internet e-mail address (MM3).
    Email(String),
    /// Nothing serves it: the reason, for the per-recipient failure and the
    /// delivery report.
    Unroutable(String),
}

/// The router: configuration plus an in-memory copy of the portability table.
#[derive(Debug)]
pub struct Router {
    config: RoutingConfig,
    ported: RwLock<HashMap<String, String>>,
}

fn digits_of_prefix(p: &str) -> String {
    p.chars().filter(char::is_ascii_digit).collect()
}

impl Router {
    /// A router with an empty portability table.
    pub fn new(config: RoutingConfig) -> Self {
        Self {
            config,
            ported: RwLock::new(HashMap::new()),
        }
    }

    /// A router with the portability table loaded from `store`.
    pub async fn with_portability(
        config: RoutingConfig,
        store: &Portability,
    ) -> anyhow::Result<Self> {
        let r = Self::new(config);
        r.reload(store).await?;
        Ok(r)
    }

    /// Reloads the portability table (after another process changed it).
    pub async fn reload(&self, store: &Portability) -> anyhow::Result<usize> {
        let all: HashMap<String, String> = store.list().await?.into_iter().collect();
        let n = all.len();
        *self.ported.write().unwrap_or_else(|e| e.into_inner()) = all;
        Ok(n)
    }

    /// The configuration.
    pub fn config(&self) -> &RoutingConfig {
        &self.config
    }

    /// True for our own operator name or a configured operator's.
    pub fn knows_operator(&self, name: &str) -> bool {
        name == self.config.own_name || self.config.operators.iter().any(|o| o.name == name)
    }

    /// Records that `number` now belongs to `operator` (`None`: back to its
    /// range's operator), in the store and in memory. Returns the
    /// normalised MSISDN.
    pub async fn port(
        &self,
        store: &Portability,
        number: &str,
        operator: Option<&str>,
    ) -> anyhow::Result<String> {
        let msisdn = self.normalise(number).map_err(anyhow::Error::msg)?;
        match operator {
            Some(op) => {
                anyhow::ensure!(self.knows_operator(op), "unknown operator {op:?}");
                store.set(&msisdn, op).await?;
                self.ported
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(msisdn.clone(), op.to_owned());
            }
            None => {
                store.remove(&msisdn).await?;
                self.ported
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&msisdn);
            }
        }
        Ok(msisdn)
    }

    /// A number in international form (`+` and 3 to 15 digits): `+CC…`
    /// kept, the international prefix replaced by `+`, the trunk prefix by
    /// `+CC`; digits without any prefix are taken as international already.
    /// Separators (space, `-`, `.`, `(`, `)`), `tel:` and `/TYPE=PLMN` go.
    pub fn normalise(&self, input: &str) -> Result<String, String> {
        let mut s = input.trim();
        if let Some(i) = s.to_ascii_uppercase().find("/TYPE=") {
            s = &s[..i];
        }
        if s.len() > 4 && s[..4].eq_ignore_ascii_case("tel:") {
            s = &s[4..];
        }
        let cleaned: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
            .collect();
        let c = &self.config;
        let digits = if let Some(rest) = cleaned.strip_prefix('+') {
            rest.to_owned()
        } else if !c.international_prefix.is_empty() && cleaned.starts_with(&c.international_prefix)
        {
            cleaned[c.international_prefix.len()..].to_owned()
        } else if !c.trunk_prefix.is_empty() && cleaned.starts_with(&c.trunk_prefix) {
            format!("{}{}", c.country_code, &cleaned[c.trunk_prefix.len()..])
        } else {
            cleaned.clone()
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{input:?} is not a phone number"));
        }
        if !(3..=15).contains(&digits.len()) {
            return Err(format!(
                "{input:?} has {} digits; an E.164 number has 3 to 15",
                digits.len()
            ));
        }
        Ok(format!("+{digits}"))
    }

    /// Where `addr` is served: a number (`+1555…`, `+1555…/TYPE=PLMN`,
    /// national forms, `+1555…@` one of our domains, MM4 form
    /// `…/TYPE=PLMN@domain`) or an e-mail address.
    pub fn resolve(&self, addr: &str) -> Route {
        let a = addr.trim();
        let a = a
            .strip_prefix('<')
            .and_then(|x| x.strip_suffix('>'))
            .unwrap_or(a);
        if a.is_empty() {
            return Route::Unroutable("empty address".to_owned());
        }
        let upper = a.to_ascii_uppercase();
        if let Some((local, domain)) = a.rsplit_once('@') {
            let local_upper = local.to_ascii_uppercase();
            if local_upper.contains("/TYPE=") {
                if !local_upper.contains("/TYPE=PLMN") {
                    return Route::Unroutable(format!("{a}: only PLMN addresses are routed"));
                }
                return self.resolve_number(local);
            }
            let ours = self
                .config
                .local_domains
                .iter()
                .any(|d| d.eq_ignore_ascii_case(domain));
            let numeric = local
                .trim_start_matches('+')
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'-' || b == b'.');
            if ours && numeric {
                return self.resolve_number(local);
            }
            if local.is_empty()
                || !domain.contains('.')
                || domain.starts_with('.')
                || domain.ends_with('.')
            {
                return Route::Unroutable(format!("{a}: not a valid e-mail address"));
            }
            return Route::Email(a.to_owned());
        }
        if upper.contains("/TYPE=") && !upper.contains("/TYPE=PLMN") {
            return Route::Unroutable(format!("{a}: only PLMN addresses are routed"));
        }
        self.resolve_number(a)
    }

    fn resolve_number(&self, number: &str) -> Route {
        let msisdn = match self.normalise(number) {
            Ok(m) => m,
            Err(e) => return Route::Unroutable(e),
        };
        let ported = self
            .ported
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&msisdn)
            .cloned();
        if let Some(op) = ported {
            if op == self.config.own_name {
                return Route::Local { msisdn };
            }
            return match self.config.operators.iter().find(|o| o.name == op) {
                Some(o) => self.operator(o, msisdn),
                None => Route::Unroutable(format!(
                    "{msisdn} is ported to {op:?}, which is not configured"
                )),
            };
        }
        let digits = &msisdn[1..];
        let mut best: Option<(usize, Option<&OperatorConfig>)> = None;
        for r in &self.config.own_ranges {
            let p = digits_of_prefix(r);
            if !p.is_empty() && digits.starts_with(&p) && best.is_none_or(|(l, _)| p.len() > l) {
                best = Some((p.len(), None));
            }
        }
        for o in &self.config.operators {
            for r in &o.ranges {
                let p = digits_of_prefix(r);
                if !p.is_empty() && digits.starts_with(&p) && best.is_none_or(|(l, _)| p.len() > l)
                {
                    best = Some((p.len(), Some(o)));
                }
            }
        }
        match best {
            Some((_, None)) => Route::Local { msisdn },
            Some((_, Some(o))) => self.operator(o, msisdn),
            None => Route::Unroutable(format!("no operator serves {msisdn}")),
        }
    }

    fn operator(&self, o: &OperatorConfig, msisdn: String) -> Route {
        Route::Operator {
            name: o.name.clone(),
            msisdn,
            mmsc_url: o.mmsc_url.clone(),
            method: o.method,
            mm4_domain: o.mm4_domain.clone(),
        }
    }
}
