//! The SQL of the interconnect tables (schema 2): `recipient_routes` and
//! `outbox`. Writes run in the writer's batch transaction like every other
//! job; reads on a reader connection.

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use crate::error::{Result, StoreError};
use crate::model::{RecipientId, ReportState};
use crate::outbox::*;

fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| StoreError::db(context, e)
}

fn to_i64(v: u64, what: &str) -> Result<i64> {
    i64::try_from(v).map_err(|_| StoreError::Invalid(format!("{what} {v} is out of range")))
}

fn get<'r, T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>>(
    row: &'r SqliteRow,
    col: &str,
) -> Result<T> {
    row.try_get(col)
        .map_err(|e| StoreError::db("reading a row", e))
}

fn get_u64(row: &SqliteRow, col: &str) -> Result<u64> {
    let v: i64 = get(row, col)?;
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("{col} is negative: {v}")))
}

fn outbound_from_row(row: &SqliteRow) -> Result<Outbound> {
    Ok(Outbound {
        id: OutboundId(get(row, "id")?),
        kind: OutboundKind::parse(&get::<String>(row, "kind")?)?,
        message_id: get(row, "message_id")?,
        recipient: get::<Option<i64>>(row, "recipient")?.map(RecipientId),
        destination: get(row, "destination")?,
        envelope_from: get(row, "envelope_from")?,
        rcpt: get(row, "rcpt")?,
        transaction_id: get(row, "transaction_id")?,
        payload: get(row, "payload")?,
        state: ReportState::parse(&get::<String>(row, "state")?)?,
        attempts: u32::try_from(get_u64(row, "attempts")?).unwrap_or(u32::MAX),
        next_attempt_at: get_u64(row, "next_attempt_at")?,
        last_error: get(row, "last_error")?,
        created_at: get_u64(row, "created_at")?,
    })
}

async fn insert(
    c: &mut SqliteConnection,
    job: &NewOutbound,
    now: i64,
) -> Result<Option<OutboundId>> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO outbox (kind, message_id, recipient, destination, envelope_from, rcpt, transaction_id, \
         payload, state, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) \
         ON CONFLICT (recipient) DO NOTHING RETURNING id",
    )
    .bind(job.kind.as_str())
    .bind(job.message_id.clone())
    .bind(job.recipient.map(|r| r.0))
    .bind(job.destination.clone())
    .bind(job.envelope_from.clone())
    .bind(job.rcpt.clone())
    .bind(job.transaction_id.clone())
    .bind(job.payload.clone())
    .bind(now)
    .bind(now)
    .fetch_optional(&mut *c)
    .await
    .map_err(db("queueing an outbound message"))?;
    Ok(id.map(OutboundId))
}

pub(crate) async fn route_recipient(
    c: &mut SqliteConnection,
    id: RecipientId,
    route: &RecipientRoute,
    outbound: Option<&NewOutbound>,
    now: u64,
) -> Result<bool> {
    let now = to_i64(now, "now")?;
    let state: Option<String> = sqlx::query_scalar("SELECT state FROM recipients WHERE id = ?")
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db("reading a recipient"))?;
    let Some(state) = state else {
        return Err(StoreError::NotFound {
            what: "recipient",
            key: id.0.to_string(),
        });
    };
    if !matches!(state.as_str(), "pending" | "notified" | "deferred") {
        return Ok(false);
    }
    let routed = sqlx::query(
        "INSERT INTO recipient_routes (recipient, route, operator, created_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (recipient) DO UPDATE SET route = excluded.route, operator = excluded.operator \
         WHERE route IS NOT excluded.route OR operator IS NOT excluded.operator",
    )
    .bind(id.0)
    .bind(route.route.clone())
    .bind(route.operator.clone())
    .bind(now)
    .execute(&mut *c)
    .await
    .map_err(db("recording a route"))?
    .rows_affected()
        > 0;
    let Some(job) = outbound else {
        return Ok(routed);
    };
    let mut job = job.clone();
    job.recipient = Some(id);
    let queued = insert(c, &job, now).await?.is_some();
    if queued {
        // Off the notification queue: the outbound worker takes it from here.
        sqlx::query("UPDATE recipients SET next_notify_at = NULL, lease_until = NULL, updated_at = ? WHERE id = ?")
            .bind(now)
            .bind(id.0)
            .execute(&mut *c)
            .await
            .map_err(db("stopping notifications"))?;
    }
    Ok(queued || routed)
}

pub(crate) async fn recipient_route(
    c: &mut SqliteConnection,
    id: RecipientId,
) -> Result<Option<RecipientRoute>> {
    let row = sqlx::query("SELECT route, operator FROM recipient_routes WHERE recipient = ?")
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db("reading a route"))?;
    row.map(|r| {
        Ok(RecipientRoute {
            route: get(&r, "route")?,
            operator: get(&r, "operator")?,
        })
    })
    .transpose()
}

pub(crate) async fn enqueue(
    c: &mut SqliteConnection,
    job: &NewOutbound,
    now: u64,
) -> Result<OutboundId> {
    let now = to_i64(now, "now")?;
    insert(c, job, now)
        .await?
        .ok_or_else(|| StoreError::Duplicate {
            what: "outbound job for recipient",
            key: job.recipient.map(|r| r.0.to_string()).unwrap_or_default(),
        })
}

pub(crate) async fn claim(
    c: &mut SqliteConnection,
    now: u64,
    limit: u32,
    lease_secs: u64,
) -> Result<Vec<Outbound>> {
    let now_i = to_i64(now, "now")?;
    let until = to_i64(now.saturating_add(lease_secs), "lease")?;
    let rows = sqlx::query(
        "UPDATE outbox SET lease_until = ?1, attempts = attempts + 1 WHERE id IN ( \
           SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?2 \
             AND (lease_until IS NULL OR lease_until <= ?2) ORDER BY next_attempt_at, id LIMIT ?3) \
         RETURNING *",
    )
    .bind(until)
    .bind(now_i)
    .bind(i64::from(limit))
    .fetch_all(&mut *c)
    .await
    .map_err(db("claiming outbound messages"))?;
    let mut out = rows
        .iter()
        .map(outbound_from_row)
        .collect::<Result<Vec<_>>>()?;
    out.sort_by_key(|o| (o.next_attempt_at, o.id));
    Ok(out)
}

pub(crate) async fn finish(
    c: &mut SqliteConnection,
    id: OutboundId,
    outcome: &OutboundOutcome,
    now: u64,
) -> Result<()> {
    let now = to_i64(now, "now")?;
    let (state, next, error) = match outcome {
        OutboundOutcome::Done => ("done", None, None),
        OutboundOutcome::Retry { at, error } => (
            "pending",
            Some(to_i64(*at, "next attempt")?),
            Some(error.clone()),
        ),
        OutboundOutcome::Failed { error } => ("failed", None, Some(error.clone())),
    };
    let n = sqlx::query(
        "UPDATE outbox SET state = ?1, next_attempt_at = coalesce(?2, next_attempt_at), \
         last_error = coalesce(?3, last_error), lease_until = NULL, \
         finished_at = CASE WHEN ?1 = 'pending' THEN NULL ELSE ?4 END \
         WHERE id = ?5 AND state = 'pending'",
    )
    .bind(state)
    .bind(next)
    .bind(error)
    .bind(now)
    .bind(id.0)
    .execute(&mut *c)
    .await
    .map_err(db("finishing an outbound message"))?
    .rows_affected();
    if n == 0 {
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM outbox WHERE id = ?")
            .bind(id.0)
            .fetch_optional(&mut *c)
            .await
            .map_err(db("reading an outbound message"))?;
        if exists.is_none() {
            return Err(StoreError::NotFound {
                what: "outbound message",
                key: id.0.to_string(),
            });
        }
    }
    Ok(())
}

pub(crate) async fn by_transaction(
    c: &mut SqliteConnection,
    tid: &str,
) -> Result<Option<Outbound>> {
    let row = sqlx::query("SELECT * FROM outbox WHERE transaction_id = ? ORDER BY id DESC LIMIT 1")
        .bind(tid)
        .fetch_optional(&mut *c)
        .await
        .map_err(db("reading an outbound message"))?;
    row.as_ref().map(outbound_from_row).transpose()
}

pub(crate) async fn for_message(
    c: &mut SqliteConnection,
    message_id: &str,
) -> Result<Vec<Outbound>> {
    let rows = sqlx::query("SELECT * FROM outbox WHERE message_id = ? ORDER BY id")
        .bind(message_id)
        .fetch_all(&mut *c)
        .await
        .map_err(db("reading outbound messages"))?;
    rows.iter().map(outbound_from_row).collect()
}

pub(crate) async fn purge(c: &mut SqliteConnection, before: u64) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM outbox WHERE state <> 'pending' AND finished_at < ?")
            .bind(to_i64(before, "purge_before")?)
            .execute(&mut *c)
            .await
            .map_err(db("purging outbound messages"))?
            .rows_affected(),
    )
}
