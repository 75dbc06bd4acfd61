//! Configuration files: TOML into a typed struct, then environment overrides.
//!
//! Overrides use `PREFIX__SECTION__KEY=value` (double underscores between
//! levels, case-insensitive keys): `FERRY_MMSC__LISTEN=127.0.0.1:8080`
//! replaces `listen` at the top of the MMSC's file, and
//! `FERRY_MMSC__LIMITS__MAX_MESSAGE_SIZE=300000` replaces
//! `[limits] max_message_size`. A value is read as TOML when it parses as
//! one (numbers, booleans, arrays) and as a string otherwise.

use std::path::Path;

use anyhow::{Context, Result};
use serde::de::DeserializeOwned;

/// Reads `path`, applies overrides from the environment under `env_prefix`,
/// and deserializes. The error names the file and every problem found.
pub fn load<T: DeserializeOwned>(path: &Path, env_prefix: &str) -> Result<T> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading configuration {}", path.display()))?;
    from_str_with_env(&text, env_prefix, std::env::vars())
        .with_context(|| format!("in configuration {}", path.display()))
}

/// Parses configuration text with overrides taken from `vars` (for tests).
pub fn from_str_with_env<T: DeserializeOwned>(
    text: &str,
    env_prefix: &str,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<T> {
    let mut doc: toml::Table = text.parse().context("not valid TOML")?;
    let prefix = format!("{}__", env_prefix.to_ascii_uppercase());
    for (k, v) in vars {
        let Some(path) = k.to_ascii_uppercase().strip_prefix(&prefix).map(str::to_owned) else {
            continue;
        };
        let keys: Vec<String> = path.split("__").map(str::to_ascii_lowercase).collect();
        set_path(&mut doc, &keys, parse_value(&v))
            .with_context(|| format!("applying environment override {k}"))?;
    }
    T::deserialize(toml::Value::Table(doc)).map_err(|e| anyhow::anyhow!("{e}"))
}

fn parse_value(v: &str) -> toml::Value {
    let probe = format!("v = {v}");
    match probe.parse::<toml::Table>() {
        Ok(mut t) => t.remove("v").unwrap_or_else(|| toml::Value::String(v.to_owned())),
        Err(_) => toml::Value::String(v.to_owned()),
    }
}

fn set_path(t: &mut toml::Table, keys: &[String], v: toml::Value) -> Result<()> {
    match keys {
        [] => anyhow::bail!("empty key"),
        [last] => {
            t.insert(last.clone(), v);
            Ok(())
        }
        [first, rest @ ..] => {
            let e = t.entry(first.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match e {
                toml::Value::Table(sub) => set_path(sub, rest, v),
                _ => anyhow::bail!("{first} is not a table"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Cfg {
        listen: String,
        limits: Limits,
    }
    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Limits {
        max: u64,
        names: Vec<String>,
    }

    #[test]
    fn overrides_and_errors() {
        let text = "listen = \"127.0.0.1:1\"\n[limits]\nmax = 5\nnames = []\n";
        let env = vec![
            ("FERRY_X__LIMITS__MAX".to_owned(), "7".to_owned()),
            ("FERRY_X__LISTEN".to_owned(), "127.0.0.1:9".to_owned()),
            ("OTHER".to_owned(), "1".to_owned()),
        ];
        let c: Cfg = from_str_with_env(text, "FERRY_X", env).unwrap();
        assert_eq!(c.listen, "127.0.0.1:9");
        assert_eq!(c.limits.max, 7);
        assert!(c.limits.names.is_empty());
        let e = from_str_with_env::<Cfg>("listen = \"a\"\nbogus = 1\n[limits]\nmax=1\nnames=[]", "P", vec![])
            .unwrap_err();
        assert!(format!("{e:#}").contains("bogus"), "{e:#}");
    }
}
