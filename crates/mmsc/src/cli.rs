//! What `ferry mmsc` runs: blocking entry points that build their own tokio
//! runtime, so the `ferry` binary needs no async code of its own.

use std::path::Path;

use anyhow::Context;
use ferry_store::{NewSubscriber, Store, Subscriber};

use crate::Config;

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")
}

/// `ferry mmsc --config FILE`: runs the server until SIGINT/SIGTERM.
pub fn serve(config_path: &Path) -> anyhow::Result<()> {
    let config = Config::load(config_path)?;
    runtime()?.block_on(crate::run(config))
}

async fn open_store(config_path: &Path) -> anyhow::Result<Store> {
    let config = Config::load(config_path)?;
    Store::open_sqlite(ferry_store::sqlite::SqliteConfig::new(&config.store_dir))
        .await
        .with_context(|| format!("opening the store in {}", config.store_dir.display()))
}

/// `ferry mmsc subscriber add`: adds a subscriber (MSISDN normalised).
pub fn subscriber_add(config_path: &Path, mut subscriber: NewSubscriber) -> anyhow::Result<Subscriber> {
    subscriber.msisdn = crate::identity::normalize_msisdn(&subscriber.msisdn);
    anyhow::ensure!(
        crate::identity::is_msisdn(&subscriber.msisdn),
        "{:?} is not a phone number (write it as +15551234567)",
        subscriber.msisdn
    );
    anyhow::ensure!(
        subscriber.password.is_none() || subscriber.username.is_some(),
        "a password needs a user name (--username)"
    );
    runtime()?.block_on(async {
        let store = open_store(config_path).await?;
        let s = store.add_subscriber(subscriber, crate::unix_now()).await;
        store.close().await?;
        Ok(s?)
    })
}

/// `ferry mmsc subscriber list`.
pub fn subscriber_list(config_path: &Path) -> anyhow::Result<Vec<Subscriber>> {
    runtime()?.block_on(async {
        let store = open_store(config_path).await?;
        let s = store.subscribers().await;
        store.close().await?;
        Ok(s?)
    })
}

/// `ferry mmsc subscriber remove MSISDN`: false if there was none.
pub fn subscriber_remove(config_path: &Path, msisdn: &str) -> anyhow::Result<bool> {
    let msisdn = crate::identity::normalize_msisdn(msisdn);
    runtime()?.block_on(async {
        let store = open_store(config_path).await?;
        let s = store.remove_subscriber(&msisdn).await;
        store.close().await?;
        Ok(s?)
    })
}

/// One line per subscriber, for `subscriber list`.
pub fn format_subscriber(s: &Subscriber) -> String {
    format!(
        "{}\tuser={}\tpassword={}\tsend={}\thide={}\tmax_size={}\tprofile={}",
        s.msisdn,
        s.username.as_deref().unwrap_or("-"),
        if s.has_password { "set" } else { "-" },
        if s.may_send { "yes" } else { "barred" },
        if s.may_hide_sender { "yes" } else { "no" },
        s.max_message_size.map_or("-".to_owned(), |n| n.to_string()),
        s.profile.as_deref().unwrap_or("-"),
    )
}

async fn portability_router(
    config_path: &Path,
) -> anyhow::Result<(ferry_interconnect::Router, ferry_interconnect::Portability)> {
    let config = Config::load(config_path)?;
    let routing = config
        .routing
        .clone()
        .ok_or_else(|| anyhow::anyhow!("{} has no [routing] section", config_path.display()))?;
    let p = crate::interconnect::open_portability(&config).await?;
    let router = ferry_interconnect::Router::with_portability(routing, &p).await?;
    Ok((router, p))
}

/// `ferry mmsc portability add NUMBER OPERATOR`: the number is served by
/// this operator (a name from `routing.operators`, or `routing.own_name`
/// for us) whatever its range says. Returns the number, normalised.
pub fn portability_add(config_path: &Path, number: &str, operator: &str) -> anyhow::Result<String> {
    runtime()?.block_on(async {
        let (router, p) = portability_router(config_path).await?;
        router.port(&p, number, Some(operator)).await
    })
}

/// `ferry mmsc portability remove NUMBER`: the number goes back to its
/// range's operator. False if it was not in the table.
pub fn portability_remove(config_path: &Path, number: &str) -> anyhow::Result<bool> {
    runtime()?.block_on(async {
        let (router, p) = portability_router(config_path).await?;
        let msisdn = router.normalise(number).map_err(anyhow::Error::msg)?;
        let was = p.get(&msisdn).await?.is_some();
        router.port(&p, &msisdn, None).await?;
        Ok(was)
    })
}

/// `ferry mmsc portability list`: (number, operator), by number.
pub fn portability_list(config_path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    runtime()?.block_on(async {
        let (_router, p) = portability_router(config_path).await?;
        p.list().await
    })
}
