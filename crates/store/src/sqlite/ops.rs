//! The SQL of each operation, as functions on one connection.
//!
//! Write functions run inside the writer's batch transaction (see
//! [`super::writer`]); read functions run on a reader connection.

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::writer::{Record, Submission, Update};
use crate::error::{Result, StoreError};
use crate::model::*;

fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| StoreError::db(context, e)
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

fn to_i64(v: u64, what: &str) -> Result<i64> {
    i64::try_from(v).map_err(|_| StoreError::Invalid(format!("{what} {v} is out of range")))
}

fn get_u64(row: &SqliteRow, col: &str) -> Result<u64> {
    let v: i64 = row
        .try_get(col)
        .map_err(|e| StoreError::db("reading a row", e))?;
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("{col} is negative: {v}")))
}

fn get_opt_u64(row: &SqliteRow, col: &str) -> Result<Option<u64>> {
    let v: Option<i64> = row
        .try_get(col)
        .map_err(|e| StoreError::db("reading a row", e))?;
    v.map(|v| u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("{col} is negative: {v}"))))
        .transpose()
}

fn get<'r, T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>>(
    row: &'r SqliteRow,
    col: &str,
) -> Result<T> {
    row.try_get(col)
        .map_err(|e| StoreError::db("reading a row", e))
}

macro_rules! msg_cols {
    () => {
        "m.id AS m_rowid, m.message_id, m.sender, m.sender_hidden, m.content_type, m.size, m.subject, \
         m.message_class, m.priority, m.date, m.expiry, m.delivery_report, m.read_report, m.created_at, \
         m.body_removed_at, m.body_key"
    };
}

/// `RETURNING` the columns [`recipient_from_row`] reads, from an UPDATE of
/// `recipients`.
macro_rules! rcp_returning {
    () => {
        " RETURNING id AS r_id, \
         (SELECT message_id FROM messages m WHERE m.id = recipients.message) AS message_id, \
         address, kind, state, reason, token, transaction_id, notify_attempts, next_notify_at, report_allowed, \
         retrieved_at, acknowledged, last_error, updated_at"
    };
}

macro_rules! rcp_cols {
    () => {
        "r.id AS r_id, r.address, r.kind, r.state, r.reason, r.token, r.transaction_id, r.notify_attempts, \
         r.next_notify_at, r.report_allowed, r.retrieved_at, r.acknowledged, r.last_error, r.updated_at"
    };
}

fn message_from_row(row: &SqliteRow) -> Result<MessageMeta> {
    Ok(MessageMeta {
        id: get(row, "message_id")?,
        sender: get(row, "sender")?,
        sender_hidden: get(row, "sender_hidden")?,
        content_type: get(row, "content_type")?,
        size: get_u64(row, "size")?,
        subject: get(row, "subject")?,
        message_class: get(row, "message_class")?,
        priority: get(row, "priority")?,
        date: get_u64(row, "date")?,
        expiry: get_u64(row, "expiry")?,
        delivery_report: get(row, "delivery_report")?,
        read_report: get(row, "read_report")?,
        created_at: get_u64(row, "created_at")?,
        body_present: get_opt_u64(row, "body_removed_at")?.is_none(),
    })
}

fn recipient_from_row(row: &SqliteRow) -> Result<Recipient> {
    let attempts = get_u64(row, "notify_attempts")?;
    Ok(Recipient {
        id: RecipientId(get(row, "r_id")?),
        message_id: get(row, "message_id")?,
        address: get(row, "address")?,
        kind: AddressKind::parse(&get::<String>(row, "kind")?)?,
        state: RecipientState::parse(&get::<String>(row, "state")?)?,
        reason: get(row, "reason")?,
        token: get(row, "token")?,
        transaction_id: get(row, "transaction_id")?,
        notify_attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        next_notify_at: get_opt_u64(row, "next_notify_at")?,
        report_allowed: get(row, "report_allowed")?,
        retrieved_at: get_opt_u64(row, "retrieved_at")?,
        acknowledged: get(row, "acknowledged")?,
        last_error: get(row, "last_error")?,
        updated_at: get_u64(row, "updated_at")?,
    })
}

fn report_from_row(row: &SqliteRow) -> Result<Report> {
    Ok(Report {
        id: ReportId(get(row, "id")?),
        kind: ReportKind::parse(&get::<String>(row, "kind")?)?,
        message_id: get(row, "message_id")?,
        to: get(row, "to_address")?,
        from: get(row, "from_address")?,
        status: ReportStatus::parse(&get::<String>(row, "status")?)?,
        date: get_u64(row, "date")?,
        state: ReportState::parse(&get::<String>(row, "state")?)?,
        attempts: u32::try_from(get_u64(row, "attempts")?).unwrap_or(u32::MAX),
        next_attempt_at: get_u64(row, "next_attempt_at")?,
        last_error: get(row, "last_error")?,
        created_at: get_u64(row, "created_at")?,
    })
}

fn subscriber_from_row(row: &SqliteRow) -> Result<Subscriber> {
    Ok(Subscriber {
        msisdn: get(row, "msisdn")?,
        username: get(row, "username")?,
        has_password: get::<Option<String>>(row, "password_hash")?.is_some(),
        may_send: get(row, "may_send")?,
        may_hide_sender: get(row, "may_hide_sender")?,
        max_message_size: get_opt_u64(row, "max_message_size")?,
        profile: get(row, "profile")?,
        created_at: get_u64(row, "created_at")?,
    })
}

/// A message row.
pub(crate) struct MessageRow {
    pub(crate) meta: MessageMeta,
}

// ---------------------------------------------------------------- reads

pub(crate) async fn message(c: &mut SqliteConnection, id: &str) -> Result<Option<MessageRow>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        msg_cols!(),
        " FROM messages m WHERE m.message_id = ?"
    ))
    .bind(id)
    .fetch_optional(&mut *c)
    .await
    .map_err(db("reading a message"))?;
    row.map(|r| {
        Ok(MessageRow {
            meta: message_from_row(&r)?,
        })
    })
    .transpose()
}

/// Where a message's body is.
pub(crate) struct BodyRow {
    pub(crate) body_key: String,
    /// Not yet collected.
    pub(crate) present: bool,
    /// Stored in the `bodies` table rather than as a file.
    pub(crate) inline: bool,
    /// The inline body, when asked for and present.
    pub(crate) data: Option<Vec<u8>>,
}

/// The body's whereabouts of message `id`, with the inline body itself when
/// `with_data` (one query either way).
pub(crate) async fn message_body(
    c: &mut SqliteConnection,
    id: &str,
    with_data: bool,
) -> Result<Option<BodyRow>> {
    let sql = if with_data {
        "SELECT m.body_key, m.body_removed_at IS NULL AS present, b.message IS NOT NULL AS inline, b.data \
         FROM messages m LEFT JOIN bodies b ON b.message = m.id WHERE m.message_id = ?"
    } else {
        "SELECT m.body_key, m.body_removed_at IS NULL AS present, b.message IS NOT NULL AS inline, NULL AS data \
         FROM messages m LEFT JOIN bodies b ON b.message = m.id WHERE m.message_id = ?"
    };
    let row = sqlx::query(sql)
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .map_err(db("reading a message body"))?;
    row.map(|r| {
        Ok(BodyRow {
            body_key: get(&r, "body_key")?,
            present: get(&r, "present")?,
            inline: get(&r, "inline")?,
            data: get(&r, "data")?,
        })
    })
    .transpose()
}

pub(crate) async fn recipients(c: &mut SqliteConnection, id: &str) -> Result<Vec<Recipient>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        rcp_cols!(),
        ", m.message_id FROM recipients r JOIN messages m ON m.id = r.message WHERE m.message_id = ? ORDER BY r.id"
    ))
    .bind(id)
    .fetch_all(&mut *c)
    .await
    .map_err(db("reading recipients"))?;
    rows.iter().map(recipient_from_row).collect()
}

const DELIVERY_BY_ID: &str = concat!(
    "SELECT ",
    msg_cols!(),
    ", ",
    rcp_cols!(),
    " FROM recipients r JOIN messages m ON m.id = r.message WHERE r.id = ?"
);
const DELIVERY_BY_TOKEN: &str = concat!(
    "SELECT ",
    msg_cols!(),
    ", ",
    rcp_cols!(),
    " FROM recipients r JOIN messages m ON m.id = r.message WHERE r.token = ?"
);
const DELIVERY_BY_TID: &str = concat!(
    "SELECT ",
    msg_cols!(),
    ", ",
    rcp_cols!(),
    " FROM recipients r JOIN messages m ON m.id = r.message WHERE r.transaction_id = ?"
);

/// A recipient row with its message, and the message's row id.
pub(crate) struct DeliveryRow {
    pub(crate) delivery: Delivery,
    pub(crate) message_rowid: i64,
}

pub(crate) async fn delivery(
    c: &mut SqliteConnection,
    key: &RecipientKey,
) -> Result<Option<DeliveryRow>> {
    let q = match key {
        RecipientKey::Id(id) => sqlx::query(DELIVERY_BY_ID).bind(id.0),
        RecipientKey::Token(t) => sqlx::query(DELIVERY_BY_TOKEN).bind(t.clone()),
        RecipientKey::TransactionId(t) => sqlx::query(DELIVERY_BY_TID).bind(t.clone()),
    };
    let row = q
        .fetch_optional(&mut *c)
        .await
        .map_err(db("reading a recipient"))?;
    row.map(|r| {
        Ok(DeliveryRow {
            delivery: Delivery {
                message: message_from_row(&r)?,
                recipient: recipient_from_row(&r)?,
            },
            message_rowid: get(&r, "m_rowid")?,
        })
    })
    .transpose()
}

async fn delivery_required(c: &mut SqliteConnection, key: &RecipientKey) -> Result<DeliveryRow> {
    delivery(c, key).await?.ok_or_else(|| StoreError::NotFound {
        what: "recipient",
        key: key.to_string(),
    })
}

pub(crate) async fn report(c: &mut SqliteConnection, id: ReportId) -> Result<Option<Report>> {
    let row = sqlx::query("SELECT * FROM reports WHERE id = ?")
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db("reading a report"))?;
    row.as_ref().map(report_from_row).transpose()
}

pub(crate) async fn counts(c: &mut SqliteConnection, now: u64) -> Result<Counts> {
    let now = to_i64(now, "now")?;
    let mut counts = Counts::default();
    let row = sqlx::query(
        "SELECT count(*) AS n, coalesce(sum(body_removed_at IS NULL), 0) AS b, \
         coalesce(sum(CASE WHEN body_removed_at IS NULL THEN size ELSE 0 END), 0) AS s FROM messages",
    )
    .fetch_one(&mut *c)
    .await
    .map_err(db("counting messages"))?;
    counts.messages = get_u64(&row, "n")?;
    counts.bodies = get_u64(&row, "b")?;
    counts.body_bytes = get_u64(&row, "s")?;
    for row in sqlx::query("SELECT state, count(*) AS n FROM recipients GROUP BY state")
        .fetch_all(&mut *c)
        .await
        .map_err(db("counting recipients"))?
    {
        counts.recipients.insert(
            RecipientState::parse(&get::<String>(&row, "state")?)?,
            get_u64(&row, "n")?,
        );
    }
    for row in sqlx::query("SELECT state, count(*) AS n FROM reports GROUP BY state")
        .fetch_all(&mut *c)
        .await
        .map_err(db("counting reports"))?
    {
        counts.reports.insert(
            ReportState::parse(&get::<String>(&row, "state")?)?,
            get_u64(&row, "n")?,
        );
    }
    let row = sqlx::query(
        "SELECT count(*) AS n FROM recipients WHERE next_notify_at IS NOT NULL AND next_notify_at <= ? \
         AND state IN ('pending', 'notified', 'deferred')",
    )
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .map_err(db("counting due notifications"))?;
    counts.notifications_due = get_u64(&row, "n")?;
    let row = sqlx::query(
        "SELECT count(*) AS n FROM reports WHERE state = 'pending' AND next_attempt_at <= ?",
    )
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .map_err(db("counting due reports"))?;
    counts.reports_due = get_u64(&row, "n")?;
    for row in
        sqlx::query("SELECT kind, count(*) AS n FROM outbox WHERE state = 'pending' GROUP BY kind")
            .fetch_all(&mut *c)
            .await
            .map_err(db("counting outbound jobs"))?
    {
        counts
            .outbound_pending
            .insert(get::<String>(&row, "kind")?, get_u64(&row, "n")?);
    }
    Ok(counts)
}

pub(crate) async fn subscriber(
    c: &mut SqliteConnection,
    msisdn: &str,
) -> Result<Option<Subscriber>> {
    let row = sqlx::query("SELECT * FROM subscribers WHERE msisdn = ?")
        .bind(msisdn)
        .fetch_optional(&mut *c)
        .await
        .map_err(db("reading a subscriber"))?;
    row.as_ref().map(subscriber_from_row).transpose()
}

pub(crate) async fn subscribers(c: &mut SqliteConnection) -> Result<Vec<Subscriber>> {
    let rows = sqlx::query("SELECT * FROM subscribers ORDER BY msisdn")
        .fetch_all(&mut *c)
        .await
        .map_err(db("listing subscribers"))?;
    rows.iter().map(subscriber_from_row).collect()
}

/// The subscriber with this user name and its password hash.
pub(crate) async fn credentials(
    c: &mut SqliteConnection,
    username: &str,
) -> Result<Option<(Subscriber, String)>> {
    let row =
        sqlx::query("SELECT * FROM subscribers WHERE username = ? AND password_hash IS NOT NULL")
            .bind(username)
            .fetch_optional(&mut *c)
            .await
            .map_err(db("reading credentials"))?;
    row.map(|r| Ok((subscriber_from_row(&r)?, get(&r, "password_hash")?)))
        .transpose()
}

/// Body keys of messages whose body is present (for the sweep at open).
pub(crate) async fn present_body_keys(c: &mut SqliteConnection) -> Result<Vec<String>> {
    sqlx::query_scalar("SELECT body_key FROM messages WHERE body_removed_at IS NULL")
        .fetch_all(&mut *c)
        .await
        .map_err(db("listing bodies"))
}

// ---------------------------------------------------------------- writes

/// Inserts the messages and recipients of a batch's submissions in two
/// statements (the rows travel as JSON through `json_each`), and sets each
/// submission's result: its tokens, or `Duplicate` for a taken Message-ID.
pub(crate) async fn insert_submissions(
    c: &mut SqliteConnection,
    subs: &mut [&mut Submission],
) -> Result<()> {
    let mut messages = Vec::with_capacity(subs.len());
    for s in subs.iter() {
        let m = &s.message;
        messages.push(serde_json::json!({
            "id": m.id, "sender": m.sender, "hidden": m.sender_hidden, "ct": m.content_type,
            "size": to_i64(m.body.len() as u64, "size")?, "subject": m.subject, "class": m.message_class,
            "priority": m.priority, "date": to_i64(m.date, "date")?, "expiry": to_i64(m.expiry, "expiry")?,
            "dr": m.delivery_report, "rr": m.read_report, "key": s.body_key,
            "live": m.recipients.len(), "now": to_i64(s.now, "now")?,
        }));
    }
    let rows = sqlx::query(
        "INSERT INTO messages (message_id, sender, sender_hidden, content_type, size, subject, message_class, \
         priority, date, expiry, delivery_report, read_report, body_key, live_recipients, created_at) \
         SELECT value ->> 'id', value ->> 'sender', value ->> 'hidden', value ->> 'ct', value ->> 'size', \
           value ->> 'subject', value ->> 'class', value ->> 'priority', value ->> 'date', value ->> 'expiry', \
           value ->> 'dr', value ->> 'rr', value ->> 'key', value ->> 'live', value ->> 'now' \
         FROM json_each(?) WHERE true ORDER BY key \
         ON CONFLICT (message_id) DO NOTHING RETURNING id, body_key",
    )
    .bind(serde_json::Value::Array(messages).to_string())
    .fetch_all(&mut *c)
    .await
    .map_err(db("inserting messages"))?;
    // Rows inserted, by body key (unique per submission).
    let mut inserted = std::collections::HashMap::with_capacity(rows.len());
    for r in &rows {
        inserted.insert(get::<String>(r, "body_key")?, get::<i64>(r, "id")?);
    }
    // The inline bodies, in statements of up to 64 rows (the same few
    // statements stay in the connection's cache).
    let inline: Vec<(i64, &[u8])> = subs
        .iter()
        .filter(|s| s.inline)
        .filter_map(|s| {
            inserted
                .get(&s.body_key)
                .map(|id| (*id, s.message.body.as_slice()))
        })
        .collect();
    for chunk in inline.chunks(64) {
        let mut sql = String::from("INSERT INTO bodies (message, data) VALUES ");
        for i in 0..chunk.len() {
            sql.push_str(if i == 0 { "(?, ?)" } else { ", (?, ?)" });
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, body) in chunk {
            q = q.bind(*id).bind(body.to_vec());
        }
        q.execute(&mut *c).await.map_err(db("inserting bodies"))?;
    }
    let mut recipients = Vec::new();
    for s in subs.iter() {
        if let Some(rowid) = inserted.get(&s.body_key) {
            for (r, token) in s.message.recipients.iter().zip(&s.tokens) {
                recipients.push(serde_json::json!({
                    "m": rowid, "a": r.address, "k": r.kind.as_str(), "t": token,
                    "x": transaction_id_for(token), "now": to_i64(s.now, "now")?,
                }));
            }
        }
    }
    let mut ids = std::collections::HashMap::with_capacity(recipients.len());
    if !recipients.is_empty() {
        let rows = sqlx::query(
            "INSERT INTO recipients (message, address, kind, state, token, transaction_id, next_notify_at, \
               updated_at) \
             SELECT value ->> 'm', value ->> 'a', value ->> 'k', 'pending', value ->> 't', value ->> 'x', \
               value ->> 'now', value ->> 'now' \
             FROM json_each(?) RETURNING id, token",
        )
        .bind(serde_json::Value::Array(recipients).to_string())
        .fetch_all(&mut *c)
        .await
        .map_err(db("inserting recipients"))?;
        for r in &rows {
            ids.insert(get::<String>(r, "token")?, get::<i64>(r, "id")?);
        }
    }
    for s in subs.iter_mut() {
        let m = &s.message;
        s.result = Some(if inserted.contains_key(&s.body_key) {
            let mut out = Vec::with_capacity(m.recipients.len());
            for (r, token) in m.recipients.iter().zip(&s.tokens) {
                let id = ids.get(token).ok_or_else(|| {
                    StoreError::Corrupt(format!("recipient {} not inserted", r.address))
                })?;
                out.push(SubmittedRecipient {
                    id: RecipientId(*id),
                    address: r.address.clone(),
                    token: token.clone(),
                });
            }
            Ok(Submitted {
                id: m.id.clone(),
                recipients: out,
            })
        } else {
            Err(StoreError::Duplicate {
                what: "message",
                key: m.id.clone(),
            })
        });
    }
    Ok(())
}

/// What one state change will write, decided from the row as it is.
struct Plan {
    /// The recipient's row id and its message's.
    id: i64,
    message_rowid: i64,
    /// A new report-allowed flag to write.
    report_allowed: Option<bool>,
    /// The new state to write, and whether the recipient becomes final.
    state: Option<(RecipientState, bool)>,
    /// The delivery report to queue.
    report: Option<NewReport>,
    /// The answer, but for the report's id.
    transition: Transition,
}

/// Decides a state change (see [`RecipientState::check_transition`]) without
/// writing: every refusal of an update happens here, before any write.
fn plan_update(row: &DeliveryRow, update: &RecipientUpdate, now: u64) -> Result<Plan> {
    let (msg, rcp) = (&row.delivery.message, &row.delivery.recipient);
    let from = rcp.state;
    let changed =
        from.check_transition(update.to)
            .ok_or_else(|| StoreError::InvalidTransition {
                token: rcp.token.clone(),
                from,
                to: update.to,
            })?;
    let new_allowed = update.report_allowed.filter(|&a| a != rcp.report_allowed);
    let report_allowed = update.report_allowed.unwrap_or(rcp.report_allowed);
    let mut after = rcp.clone();
    after.report_allowed = report_allowed;
    let mut plan = Plan {
        id: rcp.id.0,
        message_rowid: row.message_rowid,
        report_allowed: new_allowed,
        state: None,
        report: None,
        transition: Transition {
            from,
            changed,
            report: None,
            recipient: after,
        },
    };
    let after = &mut plan.transition.recipient;
    if changed {
        let to = update.to;
        plan.state = Some((to, to.is_final() && !from.is_final()));
        after.state = to;
        if update.reason.is_some() {
            after.reason = update.reason.clone();
        }
        after.next_notify_at = None;
        if to == RecipientState::Retrieved {
            after.retrieved_at = Some(now);
        }
        after.updated_at = now;
        if let Some(status) = to.delivery_status()
            && msg.delivery_report
            && report_allowed
        {
            plan.report = Some(NewReport {
                kind: ReportKind::Delivery,
                message_id: msg.id.clone(),
                to: msg.sender.clone(),
                from: rcp.address.clone(),
                status,
                date: now,
            });
        }
    } else if new_allowed.is_some() {
        after.updated_at = now;
    }
    Ok(plan)
}

/// Applies a state change, keeps the message's live-recipient count, and
/// queues the delivery report. Every refusal comes before the first write.
pub(crate) async fn update_recipient(
    c: &mut SqliteConnection,
    key: &RecipientKey,
    update: &RecipientUpdate,
    now: u64,
) -> Result<Transition> {
    let now_i = to_i64(now, "now")?;
    let row = delivery_required(c, key).await?;
    let mut plan = plan_update(&row, update, now)?;
    if let Some(allowed) = plan.report_allowed {
        sqlx::query("UPDATE recipients SET report_allowed = ?, updated_at = ? WHERE id = ?")
            .bind(allowed)
            .bind(now_i)
            .bind(plan.id)
            .execute(&mut *c)
            .await
            .map_err(db("updating report-allowed"))?;
    }
    if let Some((to, becomes_final)) = plan.state {
        // The state and, when it becomes final, the message's live count:
        // two statements in one round trip to the connection.
        let sql = if becomes_final {
            "UPDATE recipients SET state = ?, reason = coalesce(?, reason), \
             next_notify_at = NULL, lease_until = NULL, \
             retrieved_at = CASE WHEN ? THEN ? ELSE retrieved_at END, updated_at = ? WHERE id = ?; \
             UPDATE messages SET live_recipients = live_recipients - 1 WHERE id = ?"
        } else {
            "UPDATE recipients SET state = ?, reason = coalesce(?, reason), \
             next_notify_at = NULL, lease_until = NULL, \
             retrieved_at = CASE WHEN ? THEN ? ELSE retrieved_at END, updated_at = ? WHERE id = ?"
        };
        let mut q = sqlx::query(sql)
            .bind(to.as_str())
            .bind(update.reason.clone())
            .bind(to == RecipientState::Retrieved)
            .bind(now_i)
            .bind(now_i)
            .bind(plan.id);
        if becomes_final {
            q = q.bind(plan.message_rowid);
        }
        q.execute(&mut *c)
            .await
            .map_err(db("updating a recipient state"))?;
    }
    if let Some(r) = &plan.report {
        plan.transition.report = Some(insert_report(c, r, now).await?);
    }
    Ok(plan.transition)
}

/// A batch's state changes at once: one query reads every recipient, the
/// changes are decided in memory (refusals answered there), and the writes
/// go in a few statements whatever their number. When one recipient is
/// named twice in the batch, they are applied one at a time instead, in
/// order, so that the second sees the first.
pub(crate) async fn update_recipients(
    c: &mut SqliteConnection,
    updates: &mut [&mut Update],
) -> Result<()> {
    if updates.len() == 1 {
        let u = &mut *updates[0];
        u.result = Some(refusal_or_fatal(
            update_recipient(c, &u.key, &u.update, u.now).await,
        )?);
        return Ok(());
    }
    // 1. Every recipient, in one query.
    let found = deliveries(c, updates.iter().map(|u| &u.key)).await?;
    let find = |key: &RecipientKey| {
        found.iter().position(|d| {
            let r = &d.delivery.recipient;
            match key {
                RecipientKey::Id(id) => r.id == *id,
                RecipientKey::Token(t) => &r.token == t,
                RecipientKey::TransactionId(t) => r.transaction_id.as_deref() == Some(t.as_str()),
            }
        })
    };
    let rows_of: Vec<Option<usize>> = updates.iter().map(|u| find(&u.key)).collect();
    let mut seen = std::collections::HashSet::new();
    if !rows_of.iter().flatten().all(|i| seen.insert(*i)) {
        // The same recipient twice: in order, one at a time.
        for u in updates.iter_mut() {
            u.result = Some(refusal_or_fatal(
                update_recipient(c, &u.key, &u.update, u.now).await,
            )?);
        }
        return Ok(());
    }
    // 2. The decisions.
    let mut plans: Vec<Option<Plan>> = Vec::with_capacity(updates.len());
    for (u, row) in updates.iter_mut().zip(&rows_of) {
        let plan = match row {
            None => Err(StoreError::NotFound {
                what: "recipient",
                key: u.key.to_string(),
            }),
            Some(i) => to_i64(u.now, "now").and_then(|_| plan_update(&found[*i], &u.update, u.now)),
        };
        match plan {
            Ok(p) => plans.push(Some(p)),
            Err(e) => {
                u.result = Some(Err(e));
                plans.push(None);
            }
        }
    }
    // 3. The writes.
    let mut allowed = Vec::new();
    let mut states = Vec::new();
    let mut live: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
    for (u, p) in updates.iter().zip(&plans) {
        let Some(p) = p else { continue };
        let now = to_i64(u.now, "now")?;
        if let Some(a) = p.report_allowed {
            allowed.push(serde_json::json!({"id": p.id, "a": a, "now": now}));
        }
        if let Some((to, becomes_final)) = p.state {
            states.push(serde_json::json!({
                "id": p.id, "to": to.as_str(), "reason": u.update.reason,
                "retrieved": to == RecipientState::Retrieved, "now": now,
            }));
            if becomes_final {
                *live.entry(p.message_rowid).or_default() += 1;
            }
        }
    }
    if !allowed.is_empty() {
        sqlx::query(
            "UPDATE recipients SET report_allowed = j.a, updated_at = j.now \
             FROM (SELECT value ->> 'id' AS id, value ->> 'a' AS a, value ->> 'now' AS now FROM json_each(?)) AS j \
             WHERE recipients.id = j.id",
        )
        .bind(serde_json::Value::Array(allowed).to_string())
        .execute(&mut *c)
        .await
        .map_err(db("updating report-allowed"))?;
    }
    if !states.is_empty() {
        let live: Vec<serde_json::Value> = live
            .into_iter()
            .map(|(m, n)| serde_json::json!({"m": m, "n": n}))
            .collect();
        sqlx::query(
            "UPDATE recipients SET state = j.st, reason = coalesce(j.reason, recipients.reason), \
               next_notify_at = NULL, lease_until = NULL, \
               retrieved_at = CASE WHEN j.retrieved THEN j.now ELSE recipients.retrieved_at END, updated_at = j.now \
             FROM (SELECT value ->> 'id' AS id, value ->> 'to' AS st, value ->> 'reason' AS reason, \
                     value ->> 'retrieved' AS retrieved, value ->> 'now' AS now FROM json_each(?)) AS j \
             WHERE recipients.id = j.id; \
             UPDATE messages SET live_recipients = live_recipients - j.n \
             FROM (SELECT value ->> 'm' AS m, value ->> 'n' AS n FROM json_each(?)) AS j \
             WHERE messages.id = j.m",
        )
        .bind(serde_json::Value::Array(states).to_string())
        .bind(serde_json::Value::Array(live).to_string())
        .execute(&mut *c)
        .await
        .map_err(db("updating recipient states"))?;
    }
    for (u, p) in updates.iter_mut().zip(plans) {
        let Some(mut p) = p else { continue };
        if let Some(r) = &p.report {
            p.transition.report = Some(insert_report(c, r, u.now).await?);
        }
        u.result = Some(Ok(p.transition));
    }
    Ok(())
}

/// A refusal becomes the job's answer; anything else fails the batch.
fn refusal_or_fatal<T>(r: Result<T>) -> Result<Result<T>> {
    match r {
        Err(e) if super::writer::is_logical(&e) => Ok(Err(e)),
        Err(e) => Err(e),
        ok => Ok(ok),
    }
}

/// The deliveries of every recipient named by `keys`, in one query (in no
/// particular order; unknown keys are simply missing).
async fn deliveries<'k>(
    c: &mut SqliteConnection,
    keys: impl IntoIterator<Item = &'k RecipientKey>,
) -> Result<Vec<DeliveryRow>> {
    let (mut ids, mut tokens, mut tids) = (Vec::new(), Vec::new(), Vec::new());
    for key in keys {
        match key {
            RecipientKey::Id(id) => ids.push(serde_json::Value::from(id.0)),
            RecipientKey::Token(t) => tokens.push(serde_json::Value::from(t.as_str())),
            RecipientKey::TransactionId(t) => tids.push(serde_json::Value::from(t.as_str())),
        }
    }
    let rows = sqlx::query(DELIVERIES_BY_KEYS)
        .bind(serde_json::Value::Array(ids).to_string())
        .bind(serde_json::Value::Array(tokens).to_string())
        .bind(serde_json::Value::Array(tids).to_string())
        .fetch_all(&mut *c)
        .await
        .map_err(db("reading recipients"))?;
    rows.iter()
        .map(|r| {
            Ok(DeliveryRow {
                delivery: Delivery {
                    message: message_from_row(r)?,
                    recipient: recipient_from_row(r)?,
                },
                message_rowid: get(r, "m_rowid")?,
            })
        })
        .collect()
}

const DELIVERIES_BY_KEYS: &str = concat!(
    "SELECT ",
    msg_cols!(),
    ", ",
    rcp_cols!(),
    " FROM recipients r JOIN messages m ON m.id = r.message \
     WHERE r.id IN (SELECT value FROM json_each(?1)) OR r.token IN (SELECT value FROM json_each(?2)) \
       OR r.transaction_id IN (SELECT value FROM json_each(?3))"
);

/// Sets the acknowledged flag (and the report flag) in one statement that
/// also returns the row; withdrawing reports (report-allowed No) is a second.
pub(crate) async fn acknowledge(
    c: &mut SqliteConnection,
    key: &RecipientKey,
    report_allowed: Option<bool>,
    now: u64,
) -> Result<Recipient> {
    let now_i = to_i64(now, "now")?;
    macro_rules! ack_by {
        ($column:literal) => {
            concat!(
                "UPDATE recipients SET acknowledged = 1, report_allowed = coalesce(?1, report_allowed), \
                 updated_at = ?2 WHERE ",
                $column,
                " = ?3",
                rcp_returning!()
            )
        };
    }
    let q = match key {
        RecipientKey::Id(id) => sqlx::query(ack_by!("id"))
            .bind(report_allowed)
            .bind(now_i)
            .bind(id.0),
        RecipientKey::Token(t) => sqlx::query(ack_by!("token"))
            .bind(report_allowed)
            .bind(now_i)
            .bind(t.clone()),
        RecipientKey::TransactionId(t) => sqlx::query(ack_by!("transaction_id"))
            .bind(report_allowed)
            .bind(now_i)
            .bind(t.clone()),
    };
    let row = q
        .fetch_optional(&mut *c)
        .await
        .map_err(db("acknowledging"))?
        .ok_or_else(|| StoreError::NotFound {
            what: "recipient",
            key: key.to_string(),
        })?;
    let rcp = recipient_from_row(&row)?;
    if report_allowed == Some(false) {
        // The recipient refuses reports: withdraw delivery reports about it
        // that have not gone out yet.
        sqlx::query(
            "UPDATE reports SET state = 'failed', last_error = 'report not allowed by recipient', \
             finished_at = ?, lease_until = NULL \
             WHERE kind = 'delivery' AND state = 'pending' AND message_id = ? AND from_address = ?",
        )
        .bind(now_i)
        .bind(rcp.message_id.clone())
        .bind(rcp.address.clone())
        .execute(&mut *c)
        .await
        .map_err(db("withdrawing delivery reports"))?;
    }
    Ok(rcp)
}

pub(crate) async fn claim_notifications(
    c: &mut SqliteConnection,
    now: u64,
    limit: u32,
    lease_secs: u64,
) -> Result<Vec<Delivery>> {
    let now_i = to_i64(now, "now")?;
    let until = to_i64(now.saturating_add(lease_secs), "lease")?;
    let ids: Vec<i64> = sqlx::query_scalar(
        "UPDATE recipients SET lease_until = ?1 WHERE id IN ( \
           SELECT r.id FROM recipients r JOIN messages m ON m.id = r.message \
           WHERE r.next_notify_at IS NOT NULL AND r.next_notify_at <= ?2 \
             AND r.state IN ('pending', 'notified', 'deferred') \
             AND (r.lease_until IS NULL OR r.lease_until <= ?2) AND m.expiry > ?2 \
           ORDER BY r.next_notify_at, r.id LIMIT ?3) \
         RETURNING id",
    )
    .bind(until)
    .bind(now_i)
    .bind(i64::from(limit))
    .fetch_all(&mut *c)
    .await
    .map_err(db("claiming notifications"))?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // All the claimed deliveries in one query.
    let keys: Vec<RecipientKey> = ids
        .into_iter()
        .map(|id| RecipientKey::Id(RecipientId(id)))
        .collect();
    let mut out: Vec<Delivery> = deliveries(c, &keys)
        .await?
        .into_iter()
        .map(|d| d.delivery)
        .collect();
    out.sort_by_key(|d| (d.recipient.next_notify_at, d.recipient.id));
    Ok(out)
}

/// Applies a batch's notification records in one statement (the attempts
/// travel as JSON through `json_each`) and sets each record's result. When
/// that statement is refused (a transaction id already taken) or the same
/// recipient appears twice, they are applied one by one instead, so that
/// each gets its own answer.
pub(crate) async fn record_notifications(
    c: &mut SqliteConnection,
    records: &mut [&mut Record],
) -> Result<()> {
    let mut seen = std::collections::HashSet::with_capacity(records.len());
    let distinct = records.iter().all(|r| seen.insert(r.id.0));
    // A time out of range is refused by record_notification, alone.
    let items: Option<Vec<serde_json::Value>> = records
        .iter()
        .map(|r| {
            let a = &r.attempt;
            let next = a
                .next_notify_at
                .map(|t| to_i64(t, "next_notify_at"))
                .transpose()
                .ok()?;
            Some(serde_json::json!({
                "id": r.id.0, "sent": a.sent, "tid": a.transaction_id, "err": a.error,
                "next": next, "now": to_i64(r.now, "now").ok()?,
            }))
        })
        .collect();
    if let Some(items) = items.filter(|_| records.len() > 1 && distinct) {
        let sql = concat!(
            "UPDATE recipients SET \
               state = CASE WHEN j.sent AND recipients.state = 'pending' THEN 'notified' ELSE recipients.state END, \
               notify_attempts = notify_attempts + 1, transaction_id = coalesce(j.tid, transaction_id), \
               last_error = j.err, \
               next_notify_at = CASE WHEN recipients.state IN ('pending', 'notified', 'deferred') THEN j.next \
                 ELSE NULL END, \
               lease_until = NULL, updated_at = j.now \
             FROM (SELECT value ->> 'id' AS id, value ->> 'sent' AS sent, value ->> 'tid' AS tid, \
                     value ->> 'err' AS err, value ->> 'next' AS next, value ->> 'now' AS now \
                   FROM json_each(?)) AS j \
             WHERE recipients.id = j.id",
            rcp_returning!()
        );
        let result = sqlx::query(sql)
            .bind(serde_json::Value::Array(items).to_string())
            .fetch_all(&mut *c)
            .await;
        match result {
            Ok(rows) => {
                let mut by_id = std::collections::HashMap::with_capacity(rows.len());
                for r in &rows {
                    let rcp = recipient_from_row(r)?;
                    by_id.insert(rcp.id, rcp);
                }
                for r in records.iter_mut() {
                    r.result = Some(by_id.remove(&r.id).ok_or_else(|| StoreError::NotFound {
                        what: "recipient",
                        key: RecipientKey::Id(r.id).to_string(),
                    }));
                }
                return Ok(());
            }
            // The statement changed nothing: fall back to one at a time.
            Err(e) if is_unique_violation(&e) => {}
            Err(e) => return Err(StoreError::db("recording notifications", e)),
        }
    }
    for r in records.iter_mut() {
        r.result = Some(refusal_or_fatal(
            record_notification(c, r.id, &r.attempt, r.now).await,
        )?);
    }
    Ok(())
}

/// One statement: the new state (pending becomes notified when the push
/// went out), the next attempt (none once the recipient is final), and the
/// row as it is afterwards. A refusal (unknown id, a transaction id taken)
/// leaves nothing behind, so the job needs no savepoint.
pub(crate) async fn record_notification(
    c: &mut SqliteConnection,
    id: RecipientId,
    attempt: &NotifyAttempt,
    now: u64,
) -> Result<Recipient> {
    let now_i = to_i64(now, "now")?;
    let next = attempt
        .next_notify_at
        .map(|t| to_i64(t, "next_notify_at"))
        .transpose()?;
    let sql = concat!(
        "UPDATE recipients SET \
           state = CASE WHEN ?1 AND state = 'pending' THEN 'notified' ELSE state END, \
           notify_attempts = notify_attempts + 1, transaction_id = coalesce(?2, transaction_id), \
           last_error = ?3, \
           next_notify_at = CASE WHEN state IN ('pending', 'notified', 'deferred') THEN ?4 ELSE NULL END, \
           lease_until = NULL, updated_at = ?5 WHERE id = ?6",
        rcp_returning!()
    );
    let row = sqlx::query(sql)
        .bind(attempt.sent)
        .bind(attempt.transaction_id.clone())
        .bind(attempt.error.clone())
        .bind(next)
        .bind(now_i)
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Duplicate {
                    what: "transaction id",
                    key: attempt.transaction_id.clone().unwrap_or_default(),
                }
            } else {
                StoreError::db("recording a notification", e)
            }
        })?;
    match row {
        Some(r) => recipient_from_row(&r),
        None => Err(StoreError::NotFound {
            what: "recipient",
            key: RecipientKey::Id(id).to_string(),
        }),
    }
}

pub(crate) async fn expire(c: &mut SqliteConnection, now: u64) -> Result<Vec<Transition>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT r.id FROM messages m JOIN recipients r ON r.message = m.id \
         WHERE m.live_recipients > 0 AND m.expiry <= ? AND r.state IN ('pending', 'notified', 'deferred') \
         ORDER BY r.id",
    )
    .bind(to_i64(now, "now")?)
    .fetch_all(&mut *c)
    .await
    .map_err(db("finding expired recipients"))?;
    let update = RecipientUpdate::to(RecipientState::Expired);
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(update_recipient(c, &RecipientKey::Id(RecipientId(id)), &update, now).await?);
    }
    Ok(out)
}

pub(crate) async fn insert_report(
    c: &mut SqliteConnection,
    r: &NewReport,
    now: u64,
) -> Result<ReportId> {
    let now = to_i64(now, "now")?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO reports (kind, message_id, to_address, from_address, status, date, state, next_attempt_at, \
         created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING id",
    )
    .bind(r.kind.as_str())
    .bind(r.message_id.clone())
    .bind(r.to.clone())
    .bind(r.from.clone())
    .bind(r.status.as_str())
    .bind(to_i64(r.date, "date")?)
    .bind(now)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .map_err(db("queueing a report"))?;
    Ok(ReportId(id))
}

pub(crate) async fn claim_reports(
    c: &mut SqliteConnection,
    now: u64,
    limit: u32,
    lease_secs: u64,
) -> Result<Vec<Report>> {
    let now_i = to_i64(now, "now")?;
    let until = to_i64(now.saturating_add(lease_secs), "lease")?;
    let rows = sqlx::query(
        "UPDATE reports SET lease_until = ?1, attempts = attempts + 1 WHERE id IN ( \
           SELECT id FROM reports WHERE state = 'pending' AND next_attempt_at <= ?2 \
             AND (lease_until IS NULL OR lease_until <= ?2) ORDER BY next_attempt_at, id LIMIT ?3) \
         RETURNING *",
    )
    .bind(until)
    .bind(now_i)
    .bind(i64::from(limit))
    .fetch_all(&mut *c)
    .await
    .map_err(db("claiming reports"))?;
    let mut out = rows
        .iter()
        .map(report_from_row)
        .collect::<Result<Vec<_>>>()?;
    out.sort_by_key(|r| (r.next_attempt_at, r.id));
    Ok(out)
}

/// Ends or reschedules a report. `state` is `done`, `failed`, or `pending`
/// with `next_at`. A report already finished is left as it is.
pub(crate) async fn finish_report(
    c: &mut SqliteConnection,
    id: ReportId,
    state: ReportState,
    next_at: Option<u64>,
    error: Option<String>,
    now: u64,
) -> Result<()> {
    let now_i = to_i64(now, "now")?;
    let current = report(c, id).await?.ok_or_else(|| StoreError::NotFound {
        what: "report",
        key: id.0.to_string(),
    })?;
    if current.state != ReportState::Pending {
        return Ok(());
    }
    let next = match next_at {
        Some(t) => to_i64(t, "next_attempt_at")?,
        None => to_i64(current.next_attempt_at, "next_attempt_at")?,
    };
    let finished = (state != ReportState::Pending).then_some(now_i);
    sqlx::query(
        "UPDATE reports SET state = ?, next_attempt_at = ?, last_error = coalesce(?, last_error), \
         lease_until = NULL, finished_at = ? WHERE id = ?",
    )
    .bind(state.as_str())
    .bind(next)
    .bind(error)
    .bind(finished)
    .bind(id.0)
    .execute(&mut *c)
    .await
    .map_err(db("updating a report"))?;
    Ok(())
}

/// Marks the bodies of messages with no live recipient as removed; returns
/// their keys and sizes. The files go after the commit.
///
/// A body stays while a recipient has fetched it but not yet confirmed
/// (M-NotifyResp.ind Retrieved or M-Acknowledge.ind) and the message has not
/// expired: the M-Retrieve.conf may have been lost on its way (the
/// connection or the server died after the GET was recorded), and the
/// handset fetches again.
/// Returns each collected body's key, size, and whether it was inline (then
/// its row is already deleted here, in the caller's transaction; a file is
/// the caller's to remove after the commit).
pub(crate) async fn collect_bodies(
    c: &mut SqliteConnection,
    now: u64,
) -> Result<Vec<(String, u64, bool)>> {
    let rows = sqlx::query(
        "UPDATE messages SET body_removed_at = ?1 WHERE live_recipients = 0 AND body_removed_at IS NULL \
         AND NOT (expiry > ?1 AND EXISTS (SELECT 1 FROM recipients r WHERE r.message = messages.id \
           AND r.state = 'retrieved' AND r.acknowledged = 0)) \
         RETURNING id, body_key, size, EXISTS (SELECT 1 FROM bodies b WHERE b.message = messages.id) AS inline",
    )
    .bind(to_i64(now, "now")?)
    .fetch_all(&mut *c)
    .await
    .map_err(db("collecting bodies"))?;
    let mut out = Vec::with_capacity(rows.len());
    let mut inline_ids = Vec::new();
    for r in &rows {
        let inline: bool = get(r, "inline")?;
        if inline {
            inline_ids.push(get::<i64>(r, "id")?);
        }
        out.push((get(r, "body_key")?, get_u64(r, "size")?, inline));
    }
    if !inline_ids.is_empty() {
        sqlx::query("DELETE FROM bodies WHERE message IN (SELECT value FROM json_each(?))")
            .bind(serde_json::Value::from(inline_ids).to_string())
            .execute(&mut *c)
            .await
            .map_err(db("removing inline bodies"))?;
    }
    Ok(out)
}

/// Deletes messages whose body went before `before`, and finished reports
/// older than `before`.
pub(crate) async fn purge(c: &mut SqliteConnection, before: u64) -> Result<(u64, u64)> {
    let before = to_i64(before, "purge_before")?;
    let m = sqlx::query(
        "DELETE FROM messages WHERE body_removed_at IS NOT NULL AND body_removed_at < ?",
    )
    .bind(before)
    .execute(&mut *c)
    .await
    .map_err(db("purging messages"))?
    .rows_affected();
    let r = sqlx::query("DELETE FROM reports WHERE state <> 'pending' AND finished_at < ?")
        .bind(before)
        .execute(&mut *c)
        .await
        .map_err(db("purging reports"))?
        .rows_affected();
    Ok((m, r))
}

pub(crate) async fn insert_subscriber(
    c: &mut SqliteConnection,
    s: &NewSubscriber,
    hash: Option<String>,
    now: u64,
) -> Result<Subscriber> {
    sqlx::query(
        "INSERT INTO subscribers (msisdn, username, password_hash, may_send, may_hide_sender, max_message_size, \
         profile, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(s.msisdn.clone())
    .bind(s.username.clone())
    .bind(hash)
    .bind(s.may_send)
    .bind(s.may_hide_sender)
    .bind(s.max_message_size.map(|v| to_i64(v, "max_message_size")).transpose()?)
    .bind(s.profile.clone())
    .bind(to_i64(now, "now")?)
    .execute(&mut *c)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            let key = match &s.username {
                Some(u) => format!("{} (or user name {u})", s.msisdn),
                None => s.msisdn.clone(),
            };
            StoreError::Duplicate { what: "subscriber", key }
        } else {
            StoreError::db("adding a subscriber", e)
        }
    })?;
    subscriber(c, &s.msisdn)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "subscriber",
            key: s.msisdn.clone(),
        })
}

pub(crate) async fn delete_subscriber(c: &mut SqliteConnection, msisdn: &str) -> Result<bool> {
    let n = sqlx::query("DELETE FROM subscribers WHERE msisdn = ?")
        .bind(msisdn.to_owned())
        .execute(&mut *c)
        .await
        .map_err(db("removing a subscriber"))?
        .rows_affected();
    Ok(n > 0)
}
