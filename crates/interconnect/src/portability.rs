//! The number-portability table (MSISDN → operator) in SQLite, through
//! `ferry-service`'s durable [`Db`]. The router keeps a copy in memory;
//! this store is what the CLI edits.

use anyhow::Result;
use ferry_service::db::Db;

/// The table.
#[derive(Debug, Clone)]
pub struct Portability {
    db: Db,
}

impl Portability {
    /// Opens the table in `db`, creating it if needed.
    pub async fn open(db: Db) -> Result<Self> {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS number_portability (
                msisdn TEXT PRIMARY KEY NOT NULL,
                operator TEXT NOT NULL,
                updated_at INTEGER NOT NULL DEFAULT (unixepoch())
            )",
        )
        .execute(&db.writer)
        .await?;
        Ok(Self { db })
    }

    /// Sets the operator of `msisdn` (international form).
    pub async fn set(&self, msisdn: &str, operator: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO number_portability (msisdn, operator) VALUES (?1, ?2)
             ON CONFLICT(msisdn) DO UPDATE SET operator = excluded.operator, updated_at = unixepoch()",
        )
        .bind(msisdn)
        .bind(operator)
        .execute(&self.db.writer)
        .await?;
        Ok(())
    }

    /// Removes `msisdn`; true if it was there.
    pub async fn remove(&self, msisdn: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM number_portability WHERE msisdn = ?1")
            .bind(msisdn)
            .execute(&self.db.writer)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    /// The operator of `msisdn`, if ported.
    pub async fn get(&self, msisdn: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT operator FROM number_portability WHERE msisdn = ?1")
                .bind(msisdn)
                .fetch_optional(&self.db.readers)
                .await?,
        )
    }

    /// Every entry, by MSISDN.
    pub async fn list(&self) -> Result<Vec<(String, String)>> {
        Ok(
            sqlx::query_as("SELECT msisdn, operator FROM number_portability ORDER BY msisdn")
                .fetch_all(&self.db.readers)
                .await?,
        )
    }
}
