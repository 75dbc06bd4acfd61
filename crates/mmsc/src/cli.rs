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
