//! A phone's directory: its settings, its SQLite index, a folder per
//! message.
//!
//! ```text
//!  DIR/phone.toml                 settings (crate::config)
//!  DIR/index.sqlite               the index `inbox` reads (WAL: readable while a phone runs)
//!  DIR/messages/<id>/message.mms  the PDU as fetched (M-Retrieve.conf) or sent (M-Send.req)
//!  DIR/messages/<id>/<part name>  each part, transfer encoding undone, under its own (safe) name
//!  DIR/messages/.tmp-<id>-<n>/    a folder being written (removed at open)
//! ```
//!
//! Nothing half-fetched shows up as received: the folder is written under
//! a temporary name, its files synced, renamed into place, and only then is
//! the index row switched to `received` with its parts, in one transaction.
//! A crash before the commit leaves the row as it was (the notification
//! is fetched again) and at most a stray folder, replaced on the next try.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use ferry_mms::Pdu;
use ferry_service::db::Db;
use sqlx::Row;

use crate::compose::safe_name;
use crate::retrieval::{Notice, Recorded};
use crate::sniff;

/// The files of a phone directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneDir {
    root: PathBuf,
}

impl PhoneDir {
    /// The directory at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }
    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
    /// `phone.toml`.
    pub fn config_path(&self) -> PathBuf {
        self.root.join("phone.toml")
    }
    /// `index.sqlite`.
    pub fn index_path(&self) -> PathBuf {
        self.root.join("index.sqlite")
    }
    /// `messages/`.
    pub fn messages(&self) -> PathBuf {
        self.root.join("messages")
    }
    /// `messages/<id>/`.
    pub fn folder(&self, id: i64) -> PathBuf {
        self.messages().join(id.to_string())
    }
}

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Received (or announced).
    In,
    /// Sent.
    Out,
}

/// One line of the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Local id (what `show`, `fetch` and `read` take).
    pub id: i64,
    /// In or out.
    pub direction: Direction,
    /// `received`, `deferred`, `fetching`, `failed`, `rejected` (in);
    /// `sent`, `refused`, `send-failed` (out).
    pub state: String,
    /// Transaction id (of the notification, or of the M-Send.req).
    pub transaction_id: String,
    /// Message-ID, once known.
    pub message_id: Option<String>,
    /// From (in) or this phone (out).
    pub from: Option<String>,
    /// Recipients, comma separated.
    pub to: Option<String>,
    /// Subject.
    pub subject: Option<String>,
    /// Size in octets (announced, or of the PDU).
    pub size: Option<u64>,
    /// Date, seconds since the epoch (of the message, else when recorded).
    pub date: i64,
    /// The sender asked for a read report.
    pub read_report_requested: bool,
    /// When it was opened (`read`), seconds since the epoch.
    pub read_at: Option<i64>,
    /// Why it failed or was refused, or the M-Send.conf text.
    pub detail: Option<String>,
    /// X-Mms-Content-Location of the notification.
    pub content_location: Option<String>,
}

/// A stored part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartInfo {
    /// Index in the message.
    pub index: i64,
    /// Content-Type as text.
    pub content_type: String,
    /// File name in the folder.
    pub name: String,
    /// Content-ID, if any.
    pub content_id: Option<String>,
    /// Content-Location, if any.
    pub content_location: Option<String>,
    /// The file.
    pub path: PathBuf,
    /// Size of the file.
    pub size: u64,
}

/// Everything `show` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageInfo {
    /// The index line.
    pub summary: Summary,
    /// Headers of the stored PDU (or of the notification), in order.
    pub headers: Vec<(String, String)>,
    /// Parts.
    pub parts: Vec<PartInfo>,
    /// The folder, if the message has one.
    pub folder: Option<PathBuf>,
}

/// A phone's index and folders.
#[derive(Debug, Clone)]
pub struct Mailbox {
    dir: PhoneDir,
    db: Db,
}

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        direction TEXT NOT NULL,
        state TEXT NOT NULL,
        transaction_id TEXT NOT NULL,
        message_id TEXT,
        sender TEXT,
        recipients TEXT,
        subject TEXT,
        size INTEGER,
        content_location TEXT,
        date INTEGER NOT NULL,
        recorded_at INTEGER NOT NULL,
        deferred_sent INTEGER NOT NULL DEFAULT 0,
        read_report_requested INTEGER NOT NULL DEFAULT 0,
        read_at INTEGER,
        read_report_sent INTEGER NOT NULL DEFAULT 0,
        detail TEXT,
        folder TEXT,
        notification BLOB,
        UNIQUE (direction, transaction_id)
    )",
    "CREATE TABLE IF NOT EXISTS parts (
        message INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        content_type TEXT NOT NULL,
        name TEXT NOT NULL,
        content_id TEXT,
        content_location TEXT,
        size INTEGER NOT NULL,
        PRIMARY KEY (message, idx)
    )",
];

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

static TMP_SEQ: AtomicU64 = AtomicU64::new(0);

fn recorded_state(s: Recorded) -> &'static str {
    match s {
        Recorded::Fetching => "fetching",
        Recorded::Deferred => "deferred",
        Recorded::Rejected => "rejected",
    }
}

fn address_list<'a>(it: impl Iterator<Item = &'a ferry_mms::Address<'a>>) -> Option<String> {
    let v: Vec<String> = it.map(|a| a.value().into_owned()).collect();
    if v.is_empty() {
        None
    } else {
        Some(v.join(", "))
    }
}

impl Mailbox {
    /// Opens (creating) the index of the phone directory `root` and removes
    /// folders a crash left half-written.
    pub async fn open(root: &Path) -> Result<Self> {
        let dir = PhoneDir::new(root);
        std::fs::create_dir_all(dir.messages())
            .with_context(|| format!("creating {}", dir.messages().display()))?;
        for e in std::fs::read_dir(dir.messages())?.flatten() {
            if e.file_name().to_string_lossy().starts_with(".tmp-") {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
        let db = Db::open(&dir.index_path()).await?;
        for s in SCHEMA {
            sqlx::query(*s)
                .execute(&db.writer)
                .await
                .context("creating the index")?;
        }
        Ok(Self { dir, db })
    }

    /// The directory.
    pub fn dir(&self) -> &PhoneDir {
        &self.dir
    }

    /// Closes the index.
    pub async fn close(&self) {
        self.db.close().await;
    }

    /// Records a notification. `None` if its transaction id is already
    /// known (a repeated push).
    pub async fn record_notification(
        &self,
        notice: &Notice,
        raw: &[u8],
        state: Recorded,
    ) -> Result<Option<i64>> {
        let now = unix_now();
        let r = sqlx::query(
            "INSERT INTO messages (direction, state, transaction_id, sender, subject, size, content_location, date, recorded_at, deferred_sent, notification)
             VALUES ('in', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(recorded_state(state))
        .bind(&notice.transaction_id)
        .bind(&notice.from)
        .bind(&notice.subject)
        .bind(notice.size.map(|s| s as i64))
        .bind(&notice.content_location)
        .bind(now)
        .bind(now)
        .bind(state == Recorded::Deferred)
        .bind(raw)
        .execute(&self.db.writer)
        .await?;
        Ok((r.rows_affected() == 1).then(|| r.last_insert_rowid()))
    }

    /// Sets the state (and detail) of a received message's row.
    pub async fn mark(
        &self,
        transaction_id: &str,
        state: &str,
        detail: Option<&str>,
    ) -> Result<()> {
        sqlx::query("UPDATE messages SET state = ?, detail = ? WHERE direction = 'in' AND transaction_id = ? AND state != 'received'")
            .bind(state)
            .bind(detail)
            .bind(transaction_id)
            .execute(&self.db.writer)
            .await?;
        Ok(())
    }

    /// Every incoming transaction id (so repeated notifications are not
    /// fetched again after a restart).
    pub async fn known_transaction_ids(&self) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT transaction_id FROM messages WHERE direction = 'in'")
                .fetch_all(&self.db.readers)
                .await?,
        )
    }

    /// Notifications waiting for the user (deferred or failed), with whether
    /// M-NotifyResp.ind Deferred went out for them.
    pub async fn waiting(&self) -> Result<Vec<(i64, Notice, bool)>> {
        let rows = sqlx::query(
            "SELECT id, transaction_id, sender, subject, size, content_location, deferred_sent FROM messages
             WHERE direction = 'in' AND state IN ('deferred', 'failed', 'fetching') ORDER BY id",
        )
        .fetch_all(&self.db.readers)
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let notice = Notice {
                    transaction_id: r.get("transaction_id"),
                    from: r.get("sender"),
                    subject: r.get("subject"),
                    size: r.get::<Option<i64>, _>("size").map(|s| s as u64),
                    content_location: r
                        .get::<Option<String>, _>("content_location")
                        .unwrap_or_default(),
                    class: None,
                    expiry: None,
                };
                (r.get("id"), notice, r.get::<bool, _>("deferred_sent"))
            })
            .collect())
    }

    /// The id of the incoming message with this transaction id.
    pub async fn id_of(&self, transaction_id: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM messages WHERE direction = 'in' AND transaction_id = ?",
        )
        .bind(transaction_id)
        .fetch_optional(&self.db.readers)
        .await?)
    }

    /// Writes a fetched M-Retrieve.conf: folder first, then the index (see
    /// the module documentation). Returns the message id.
    pub async fn store_retrieved(&self, transaction_id: &str, pdu_bytes: &[u8]) -> Result<i64> {
        let pdu = Pdu::decode(pdu_bytes).context("decoding the M-Retrieve.conf to store")?;
        let id = match self.id_of(transaction_id).await? {
            Some(id) => id,
            None => {
                // Not recorded (the notification came another way): record it now.
                let notice = Notice {
                    transaction_id: transaction_id.to_owned(),
                    from: None,
                    subject: None,
                    size: None,
                    content_location: String::new(),
                    class: None,
                    expiry: None,
                };
                self.record_notification(&notice, &[], Recorded::Fetching)
                    .await?;
                self.id_of(transaction_id)
                    .await?
                    .context("recording the message")?
            }
        };
        let parts = self.write_folder(id, pdu_bytes, &pdu).await?;
        let from = pdu
            .from()
            .and_then(|f| f.address())
            .map(|a| a.value().into_owned());
        let to = address_list(pdu.to());
        let subject = pdu.subject().map(|s| s.text().into_owned());
        let date = pdu.date().map_or_else(unix_now, |d| d as i64);
        let rr = pdu.read_report().is_some_and(|r| r.is_yes());
        let mut tx = self.db.writer.begin().await?;
        sqlx::query("DELETE FROM parts WHERE message = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for p in &parts {
            sqlx::query("INSERT INTO parts (message, idx, content_type, name, content_id, content_location, size) VALUES (?, ?, ?, ?, ?, ?, ?)")
                .bind(id)
                .bind(p.index)
                .bind(&p.content_type)
                .bind(&p.name)
                .bind(&p.content_id)
                .bind(&p.content_location)
                .bind(p.size as i64)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "UPDATE messages SET state = 'received', message_id = ?, sender = COALESCE(?, sender), recipients = ?,
             subject = COALESCE(?, subject), size = ?, date = ?, read_report_requested = ?, folder = ?, detail = NULL WHERE id = ?",
        )
        .bind(pdu.message_id())
        .bind(&from)
        .bind(&to)
        .bind(&subject)
        .bind(pdu_bytes.len() as i64)
        .bind(date)
        .bind(rr)
        .bind(id.to_string())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Records a sent message (its M-Send.req in a folder) with the MMSC's
    /// answer. Returns its id.
    pub async fn store_sent(
        &self,
        send_req: &[u8],
        state: &str,
        message_id: Option<&str>,
        detail: Option<&str>,
    ) -> Result<i64> {
        let pdu = Pdu::decode(send_req).context("decoding the M-Send.req to store")?;
        let now = unix_now();
        let tid = pdu.transaction_id().unwrap_or_default().to_owned();
        let r = sqlx::query(
            "INSERT INTO messages (direction, state, transaction_id, message_id, recipients, subject, size, date, recorded_at, detail)
             VALUES ('out', 'sending', ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&tid)
        .bind(message_id)
        .bind(address_list(pdu.to().chain(pdu.cc()).chain(pdu.bcc())))
        .bind(pdu.subject().map(|s| s.text().into_owned()))
        .bind(send_req.len() as i64)
        .bind(now)
        .bind(now)
        .bind(detail)
        .execute(&self.db.writer)
        .await?;
        let id = r.last_insert_rowid();
        let parts = self.write_folder(id, send_req, &pdu).await?;
        let mut tx = self.db.writer.begin().await?;
        for p in &parts {
            sqlx::query("INSERT INTO parts (message, idx, content_type, name, content_id, content_location, size) VALUES (?, ?, ?, ?, ?, ?, ?)")
                .bind(id)
                .bind(p.index)
                .bind(&p.content_type)
                .bind(&p.name)
                .bind(&p.content_id)
                .bind(&p.content_location)
                .bind(p.size as i64)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE messages SET state = ?, folder = ? WHERE id = ?")
            .bind(state)
            .bind(id.to_string())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Writes `messages/<id>/` through a temporary folder and a rename.
    async fn write_folder(
        &self,
        id: i64,
        pdu_bytes: &[u8],
        pdu: &Pdu<'_>,
    ) -> Result<Vec<PartInfo>> {
        let final_dir = self.dir.folder(id);
        let tmp = self.dir.messages().join(format!(
            ".tmp-{id}-{}-{}",
            std::process::id(),
            TMP_SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let mut infos = Vec::with_capacity(pdu.parts().len());
        let mut files: Vec<(String, Vec<u8>)> = Vec::with_capacity(pdu.parts().len() + 1);
        files.push(("message.mms".to_owned(), pdu_bytes.to_vec()));
        let mut used: HashSet<String> = HashSet::from(["message.mms".to_owned()]);
        for (i, p) in pdu.parts().iter().enumerate() {
            let ct = p.content_type.media.as_str().into_owned();
            let body = p.decoded_body().into_owned();
            let mut name = p
                .file_name()
                .map(|n| safe_name(n.trim_matches(|c| c == '<' || c == '>')))
                .unwrap_or_default();
            if name.is_empty() || name == "part" {
                name = format!("part-{i}.{}", sniff::extension_for(&ct));
            }
            let mut candidate = name.clone();
            let mut n = 2;
            while !used.insert(candidate.to_ascii_lowercase()) {
                candidate = match name.rsplit_once('.') {
                    Some((s, e)) => format!("{s}-{n}.{e}"),
                    None => format!("{name}-{n}"),
                };
                n += 1;
            }
            infos.push(PartInfo {
                index: i as i64,
                content_type: p.content_type.to_string(),
                name: candidate.clone(),
                content_id: p.content_id().map(str::to_owned),
                content_location: p.content_location().map(str::to_owned),
                path: final_dir.join(&candidate),
                size: body.len() as u64,
            });
            files.push((candidate, body));
        }
        let messages = self.dir.messages();
        tokio::task::spawn_blocking(move || -> Result<()> {
            std::fs::create_dir_all(&tmp)?;
            for (name, data) in &files {
                let mut f = std::fs::File::create(tmp.join(name))?;
                f.write_all(data)?;
                f.sync_all()?;
            }
            if final_dir.exists() {
                std::fs::remove_dir_all(&final_dir)?;
            }
            std::fs::rename(&tmp, &final_dir)?;
            if let Ok(d) = std::fs::File::open(&messages) {
                let _ = d.sync_all();
            }
            Ok(())
        })
        .await
        .context("writing the message folder")?
        .context("writing the message folder")?;
        Ok(infos)
    }

    /// The inbox (and sent messages), newest first.
    pub async fn list(&self) -> Result<Vec<Summary>> {
        let rows = sqlx::query("SELECT * FROM messages ORDER BY id DESC")
            .fetch_all(&self.db.readers)
            .await?;
        Ok(rows.iter().map(summary).collect())
    }

    /// One message's index line.
    pub async fn summary(&self, id: i64) -> Result<Option<Summary>> {
        let row = sqlx::query("SELECT * FROM messages WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.db.readers)
            .await?;
        Ok(row.as_ref().map(summary))
    }

    /// Everything about one message.
    pub async fn get(&self, id: i64) -> Result<Option<MessageInfo>> {
        let Some(row) = sqlx::query("SELECT * FROM messages WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.db.readers)
            .await?
        else {
            return Ok(None);
        };
        let s = summary(&row);
        let folder: Option<String> = row.get("folder");
        let folder = folder.map(|f| self.dir.messages().join(f));
        let raw = match &folder {
            Some(f) => std::fs::read(f.join("message.mms")).ok(),
            None => row.get::<Option<Vec<u8>>, _>("notification"),
        };
        let headers = raw
            .as_deref()
            .and_then(|b| Pdu::decode(b).ok())
            .map(|p| {
                p.headers
                    .iter()
                    .map(|h| (h.name().into_owned(), h.value_text()))
                    .collect()
            })
            .unwrap_or_default();
        let rows = sqlx::query("SELECT * FROM parts WHERE message = ? ORDER BY idx")
            .bind(id)
            .fetch_all(&self.db.readers)
            .await?;
        let parts = rows
            .iter()
            .map(|r| {
                let name: String = r.get("name");
                PartInfo {
                    index: r.get("idx"),
                    content_type: r.get("content_type"),
                    path: folder.as_deref().unwrap_or(Path::new(".")).join(&name),
                    name,
                    content_id: r.get("content_id"),
                    content_location: r.get("content_location"),
                    size: r.get::<i64, _>("size") as u64,
                }
            })
            .collect();
        Ok(Some(MessageInfo {
            summary: s,
            headers,
            parts,
            folder,
        }))
    }

    /// The stored PDU of a message (`message.mms`).
    pub async fn pdu_bytes(&self, id: i64) -> Result<Option<Vec<u8>>> {
        let folder: Option<Option<String>> =
            sqlx::query_scalar("SELECT folder FROM messages WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.db.readers)
                .await?;
        match folder.flatten() {
            Some(f) => Ok(Some(std::fs::read(
                self.dir.messages().join(f).join("message.mms"),
            )?)),
            None => Ok(None),
        }
    }

    /// Marks a message opened (once; the first time counts) and whether a
    /// read report went out. Returns false if it was opened before.
    pub async fn mark_read(&self, id: i64, report_sent: bool) -> Result<bool> {
        let r = sqlx::query("UPDATE messages SET read_at = ?, read_report_sent = ? WHERE id = ? AND read_at IS NULL")
            .bind(unix_now())
            .bind(report_sent)
            .bind(id)
            .execute(&self.db.writer)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Records a delivery or read report against the sent message it is
    /// about (in its detail). Returns the message id if known.
    pub async fn note_report(&self, message_id: &str, text: &str) -> Result<Option<i64>> {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM messages WHERE direction = 'out' AND message_id = ?",
        )
        .bind(message_id)
        .fetch_optional(&self.db.readers)
        .await?;
        if let Some(id) = id {
            sqlx::query(
                "UPDATE messages SET detail = COALESCE(detail || '; ', '') || ? WHERE id = ?",
            )
            .bind(text)
            .bind(id)
            .execute(&self.db.writer)
            .await?;
        }
        Ok(id)
    }
}

fn summary(r: &sqlx::sqlite::SqliteRow) -> Summary {
    Summary {
        id: r.get("id"),
        direction: if r.get::<String, _>("direction") == "out" {
            Direction::Out
        } else {
            Direction::In
        },
        state: r.get("state"),
        transaction_id: r.get("transaction_id"),
        message_id: r.get("message_id"),
        from: r.get("sender"),
        to: r.get("recipients"),
        subject: r.get("subject"),
        size: r.get::<Option<i64>, _>("size").map(|s| s as u64),
        date: r.get("date"),
        read_report_requested: r.get("read_report_requested"),
        read_at: r.get("read_at"),
        detail: r.get("detail"),
        content_location: r.get("content_location"),
    }
}
