//! SQLite set up for durability.
//!
//! WAL journal, `synchronous = FULL` (a returned commit survives a power
//! cut, not only a killed process), foreign keys on, a busy timeout. Writes go
//! through one connection ([`Db::writer`]) so they never contend for the
//! lock; reads use a small pool.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

/// A database: one writer connection and a pool of readers.
#[derive(Clone, Debug)]
pub struct Db {
    /// The single writer (a pool of one connection).
    pub writer: SqlitePool,
    /// Readers.
    pub readers: SqlitePool,
    /// The database file.
    pub path: PathBuf,
}

/// Octets available to an unprivileged writer on the file system holding
/// `path` (a file or a directory): `statvfs(2)`, `f_bavail × f_frsize`.
pub fn free_bytes(path: &Path) -> std::io::Result<u64> {
    let dir = if path.is_dir() {
        path
    } else {
        match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    };
    let st = rustix::fs::statvfs(dir)?;
    Ok(st.f_bavail.saturating_mul(st.f_frsize))
}

fn options(path: &Path) -> Result<SqliteConnectOptions> {
    let url = format!("sqlite://{}", path.display());
    Ok(SqliteConnectOptions::from_str(&url)
        .context("bad database path")?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10)))
}

impl Db {
    /// Opens (creating if needed) the database at `path`.
    pub async fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let opts = options(path)?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts.clone())
            .await
            .with_context(|| format!("opening {}", path.display()))?;
        let readers = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts.read_only(true))
            .await
            .with_context(|| format!("opening {} for reading", path.display()))?;
        Ok(Self { writer, readers, path: path.to_owned() })
    }

    /// Closes both pools (waits for connections to return).
    pub async fn close(&self) {
        self.writer.close().await;
        self.readers.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn wal_and_full_sync() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("x/t.db")).await.unwrap();
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&db.writer).await.unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&db.writer).await.unwrap();
        assert_eq!(sync, 2);
        sqlx::query("CREATE TABLE t (x INTEGER)").execute(&db.writer).await.unwrap();
        sqlx::query("INSERT INTO t VALUES (1)").execute(&db.writer).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM t").fetch_one(&db.readers).await.unwrap();
        assert_eq!(n, 1);
        db.close().await;
    }
}
