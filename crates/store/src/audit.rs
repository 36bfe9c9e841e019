//! The audit log: every read and change of personal data, every login and every refusal, in an
//! append-only table whose rows form a hash chain. [`record`] is the single function every
//! feature calls, inside the transaction of the change it describes; [`record_alone`] for
//! reads and refusals, which the [`Appender`] writes in groups.

use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tsunagu_domain::{Actor, UserId};

use tokio::sync::{mpsc, oneshot};

use crate::{
    contains_pattern,
    db::{query, Backend},
    unit::Trail,
    Db, Error, Page, Paging, Result, Tx,
};

/// The hash that stands before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Where a request came from, for the log.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub client_addr: Option<String>,
    pub request_id: Option<String>,
}

impl RequestMeta {
    /// For changes made from the command line on the server itself.
    pub fn cli() -> Self {
        Self {
            client_addr: Some("cli".into()),
            request_id: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    /// Refused by the access rule or a missing role.
    Denied,
    /// Tried and failed (wrong password, locked account).
    Failure,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Failure => "failure",
        }
    }
}

/// What happened, to be appended.
#[derive(Clone, Debug)]
pub struct Event<'a> {
    pub user: Option<(UserId, &'a str)>,
    pub action: &'a str,
    pub object_type: Option<&'a str>,
    pub object_id: Option<String>,
    pub outcome: Outcome,
    /// A short note without personal data (a field name changed, a reason code).
    pub detail: Option<String>,
}

impl<'a> Event<'a> {
    pub fn new(action: &'a str) -> Self {
        Self {
            user: None,
            action,
            object_type: None,
            object_id: None,
            outcome: Outcome::Success,
            detail: None,
        }
    }

    pub fn by(mut self, actor: &'a Actor) -> Self {
        self.user = Some((actor.user_id, actor.login.as_str()));
        self
    }

    pub fn by_user(mut self, user: UserId, login: &'a str) -> Self {
        self.user = Some((user, login));
        self
    }

    pub fn object(mut self, object_type: &'a str, id: impl ToString) -> Self {
        self.object_type = Some(object_type);
        self.object_id = Some(id.to_string());
        self
    }

    pub fn object_type(mut self, object_type: &'a str) -> Self {
        self.object_type = Some(object_type);
        self
    }

    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// One stored entry.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Entry {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub user_id: Option<i64>,
    pub user_login: Option<String>,
    pub action: String,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub outcome: String,
    pub client_addr: Option<String>,
    pub request_id: Option<String>,
    pub detail: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl Entry {
    /// The SHA-256 of the previous hash and this entry's canonical content: a JSON array of its
    /// fields, the time as Unix seconds so both backends give the same text.
    fn computed_hash(&self) -> String {
        let content = serde_json::json!([
            self.id,
            self.at.unix_timestamp(),
            self.user_id,
            self.user_login,
            self.action,
            self.object_type,
            self.object_id,
            self.outcome,
            self.client_addr,
            self.request_id,
            self.detail
        ])
        .to_string();
        let mut h = Sha256::new();
        h.update(self.prev_hash.as_bytes());
        h.update(b"\n");
        h.update(content.as_bytes());
        hex::encode(h.finalize())
    }
}

/// The entry with its hash computed over `prev_hash` and its content: for loading a chain in bulk.
pub fn sealed(mut entry: Entry) -> Entry {
    entry.hash = entry.computed_hash();
    entry
}

/// Appends `event` inside `tx`. The entry commits or rolls back with the change it describes.
pub async fn record(tx: &mut Tx, meta: &RequestMeta, event: Event<'_>) -> Result<()> {
    chain(tx, &mut [entry_of(meta, event)]).await
}

/// Appends `event` in a transaction of its own: for reads, refusals and failures, where no
/// change is made that the entry could ride along with. It returns once the entry is committed.
pub async fn record_alone(db: &Db, meta: &RequestMeta, event: Event<'_>) -> Result<()> {
    let trail = Trail {
        entries: vec![entry_of(meta, event)],
        ..Trail::default()
    };
    append_trail(db, trail).await
}

/// Writes what a request's reads left behind (its audit entries, disclosure records, 既読, a
/// session's last-seen time) through the group appender; returns once it is committed.
pub(crate) async fn append_trail(db: &Db, trail: Trail) -> Result<()> {
    match db.appender() {
        Some(appender) => appender.append(trail).await,
        None => {
            let mut tx = db.begin().await?;
            let mut trail = trail;
            write_trail(&mut tx, &mut trail).await?;
            tx.commit().await
        }
    }
}

/// Writes a trail (or several, gathered) inside `tx`: the entries take their places in the
/// chain; a disclosure or a 既読 already recorded stays as it was first recorded.
async fn write_trail(tx: &mut Tx, trail: &mut Trail) -> Result<()> {
    if !trail.entries.is_empty() {
        chain(tx, &mut trail.entries).await?;
    }
    for d in &trail.disclosures {
        query(
            "INSERT INTO disclosures (child_id, agency_id, part, user_id, basis, consent_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (child_id, agency_id, part) DO NOTHING",
        )
        .bind(d.child.0)
        .bind(d.agency)
        .bind(d.part)
        .bind(d.user)
        .bind(d.basis.as_str())
        .bind(d.consent.map(|c| c.0))
        .bind(d.at)
        .execute(&mut *tx)
        .await?;
    }
    for (note, user, at) in &trail.note_reads {
        query("INSERT INTO care_note_reads (note_id, user_id, read_at) VALUES ($1, $2, $3) ON CONFLICT (note_id, user_id) DO NOTHING")
            .bind(*note)
            .bind(*user)
            .bind(*at)
            .execute(&mut *tx)
            .await?;
    }
    if let Some((hash, at)) = &trail.session_seen {
        query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2 AND last_seen_at < $1")
            .bind(*at)
            .bind(hash.as_str())
            .execute(&mut *tx)
            .await?;
    }
    if let Some((token, at)) = &trail.token_used {
        query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(*at)
            .bind(*token)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// The entry for `event`, still without its place in the chain.
pub(crate) fn entry_of(meta: &RequestMeta, event: Event<'_>) -> Entry {
    let (user_id, user_login) = match event.user {
        Some((id, login)) => (Some(id.0), Some(login.to_owned())),
        None => (None, None),
    };
    Entry {
        id: 0,
        at: crate::now(),
        user_id,
        user_login,
        action: event.action.to_owned(),
        object_type: event.object_type.map(str::to_owned),
        object_id: event.object_id,
        outcome: event.outcome.code().to_owned(),
        client_addr: meta.client_addr.clone(),
        request_id: meta.request_id.clone(),
        detail: event.detail,
        prev_hash: String::new(),
        hash: String::new(),
    }
}

/// Gives `entries` the next ids and hashes after the last entry and inserts them.
async fn chain(tx: &mut Tx, entries: &mut [Entry]) -> Result<()> {
    if tx.backend() == Backend::Postgres {
        // The chain is one line: appends take turns. (SQLite's BEGIN IMMEDIATE already did.)
        query("SELECT pg_advisory_xact_lock(7473218)")
            .execute(&mut *tx)
            .await?;
    }
    let last: Option<(i64, String)> =
        query("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
    let (mut id, mut prev_hash) = match last {
        Some((id, hash)) => (id, hash),
        None => (0, GENESIS.to_owned()),
    };
    for entry in entries.iter_mut() {
        id += 1;
        entry.id = id;
        entry.prev_hash = prev_hash;
        entry.hash = entry.computed_hash();
        prev_hash = entry.hash.clone();
    }
    insert_sealed(tx, entries).await
}

/// Inserts entries that already have their ids and hashes (the chain's appends, the seed).
/// Entries written since the process started, for `/metrics`.
static WRITTEN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many entries this process has written (an entry of a change that rolled back included).
pub fn entries_written() -> u64 {
    WRITTEN.load(std::sync::atomic::Ordering::Relaxed)
}

pub async fn insert_sealed(tx: &mut Tx, entries: &[Entry]) -> Result<()> {
    WRITTEN.fetch_add(entries.len() as u64, std::sync::atomic::Ordering::Relaxed);
    let rows = entries
        .iter()
        .map(|e| {
            vec![
                e.id.into(),
                e.at.into(),
                e.user_id.into(),
                e.user_login.clone().into(),
                e.action.clone().into(),
                e.object_type.clone().into(),
                e.object_id.clone().into(),
                e.outcome.clone().into(),
                e.client_addr.clone().into(),
                e.request_id.clone().into(),
                e.detail.clone().into(),
                e.prev_hash.clone().into(),
                e.hash.clone().into(),
            ]
        })
        .collect();
    crate::bulk::insert_rows(
        tx,
        "audit_log",
        &[
            "id",
            "at",
            "user_id",
            "user_login",
            "action",
            "object_type",
            "object_id",
            "outcome",
            "client_addr",
            "request_id",
            "detail",
            "prev_hash",
            "hash",
        ],
        rows,
    )
    .await
}

/// Where entries recorded on their own go: one task appends the entries of concurrent requests
/// in one transaction (group commit), and each request waits for the commit that holds its
/// entry, so nothing is answered before it is logged. Under load this turns many one-row write
/// transactions, which take turns for SQLite's single writer, into a few larger ones.
#[derive(Debug)]
pub struct Appender {
    jobs: mpsc::Sender<Job>,
}

#[derive(Debug)]
struct Job {
    trail: Trail,
    done: oneshot::Sender<std::result::Result<(), String>>,
}

/// At most this many entries a transaction.
const GROUP: usize = 256;

impl Appender {
    /// Starts the task on `db`, a pool without an appender of its own.
    pub(crate) fn start(db: Db) -> Appender {
        let (jobs, mut waiting) = mpsc::channel::<Job>(4 * GROUP);
        tokio::spawn(async move {
            while let Some(first) = waiting.recv().await {
                let mut group = vec![first];
                while group.len() < GROUP {
                    match waiting.try_recv() {
                        Ok(job) => group.push(job),
                        Err(_) => break,
                    }
                }
                let mut gathered = Trail::default();
                let mut done = Vec::with_capacity(group.len());
                for job in group {
                    gathered.append(job.trail);
                    done.push(job.done);
                }
                let result = async {
                    let mut tx = db.begin().await?;
                    write_trail(&mut tx, &mut gathered).await?;
                    tx.commit().await
                }
                .await
                .map_err(|e| e.to_string());
                for d in done {
                    // A request that went away meanwhile no longer waits; its entry stands.
                    let _ = d.send(result.clone());
                }
            }
        });
        Appender { jobs }
    }

    async fn append(&self, trail: Trail) -> Result<()> {
        let stopped = || Error::Other("the audit log's appender has stopped".into());
        let (done, answer) = oneshot::channel();
        self.jobs
            .send(Job { trail, done })
            .await
            .map_err(|_| stopped())?;
        // The group's error as text: a database that stopped answering is said so.
        answer.await.map_err(|_| stopped())?.map_err(|e| {
            if e.starts_with("database unavailable") {
                Error::Unavailable(e)
            } else {
                Error::Other(e)
            }
        })
    }
}

/// The result of walking the whole chain.
#[derive(Debug, PartialEq, Eq)]
pub enum Verification {
    Intact {
        entries: i64,
    },
    /// The first entry whose stored hash or link does not match.
    Broken {
        entry_id: i64,
        reason: &'static str,
    },
}

/// Walks the chain from the first entry in batches, recomputing every hash.
pub async fn verify(db: &Db) -> Result<Verification> {
    verify_on(crate::db::On::Db(db)).await
}

/// [`verify`] inside a transaction, e.g. a restore's before it commits.
pub async fn verify_in(tx: &mut Tx) -> Result<Verification> {
    verify_on(crate::db::On::Tx(tx)).await
}

async fn verify_on(mut on: crate::db::On<'_>) -> Result<Verification> {
    const BATCH: i64 = 5_000;
    let mut prev_hash = GENESIS.to_owned();
    let mut expected_id = 1;
    let mut count = 0;
    loop {
        let batch: Vec<Entry> = query(
            "SELECT id, at, user_id, user_login, action, object_type, object_id, outcome, \
             client_addr, request_id, detail, prev_hash, hash FROM audit_log \
             WHERE id >= $1 ORDER BY id LIMIT $2",
        )
        .bind(expected_id)
        .bind(BATCH)
        .fetch_all(on.exec())
        .await?;
        let n = batch.len();
        for entry in batch {
            if entry.id != expected_id {
                return Ok(Verification::Broken {
                    entry_id: expected_id,
                    reason: "missing entry",
                });
            }
            if entry.prev_hash != prev_hash {
                return Ok(Verification::Broken {
                    entry_id: entry.id,
                    reason: "link to the previous entry does not match",
                });
            }
            if entry.computed_hash() != entry.hash {
                return Ok(Verification::Broken {
                    entry_id: entry.id,
                    reason: "content does not match its hash",
                });
            }
            prev_hash = entry.hash;
            expected_id += 1;
            count += 1;
        }
        if (n as i64) < BATCH {
            break;
        }
    }
    // An entry deleted at the end leaves no gap to find: compare with the highest id stored.
    let (max_id,): (Option<i64>,) = query("SELECT MAX(id) FROM audit_log")
        .fetch_one(on.exec())
        .await?;
    if max_id.unwrap_or(0) != count {
        return Ok(Verification::Broken {
            entry_id: count + 1,
            reason: "missing entry",
        });
    }
    Ok(Verification::Intact { entries: count })
}

/// What the admin searches the log by.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub user_login: Option<String>,
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub from: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
}

/// Newest first. Every filter is optional; a NULL parameter switches its condition off.
pub async fn search(db: &Db, filter: &Filter, paging: Paging) -> Result<Page<Entry>> {
    const WHERE: &str = "WHERE ($1 IS NULL OR user_login = $1) \
        AND ($2 IS NULL OR action LIKE $2 ESCAPE '\\') \
        AND ($3 IS NULL OR object_type = $3) \
        AND ($4 IS NULL OR object_id = $4) \
        AND ($5 IS NULL OR at >= $5) \
        AND ($6 IS NULL OR at < $6)";
    let action = filter.action.as_deref().map(|a| {
        // "user" finds user.create, user.update…; "user.create" finds itself.
        let mut p = contains_pattern(a);
        p.remove(0);
        p
    });
    let bind = |q: crate::db::Query| {
        q.bind(filter.user_login.as_deref())
            .bind(action.as_deref())
            .bind(filter.object_type.as_deref())
            .bind(filter.object_id.as_deref())
            .bind(filter.from)
            .bind(filter.until)
    };
    let (total,): (i64,) = bind(query(format!("SELECT COUNT(*) FROM audit_log {WHERE}")))
        .fetch_one(db)
        .await?;
    let items = bind(query(format!(
        "SELECT id, at, user_id, user_login, action, object_type, object_id, outcome, \
         client_addr, request_id, detail, prev_hash, hash FROM audit_log {WHERE} \
         ORDER BY id DESC LIMIT $7 OFFSET $8"
    )))
    .bind(paging.limit)
    .bind(paging.offset)
    .fetch_all(db)
    .await?;
    Ok(Page { items, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_covers_every_field_and_the_link() {
        let entry = Entry {
            id: 1,
            at: time::macros::datetime!(2026-04-01 00:00 UTC),
            user_id: Some(2),
            user_login: Some("a".into()),
            action: "login".into(),
            object_type: None,
            object_id: None,
            outcome: "success".into(),
            client_addr: None,
            request_id: None,
            detail: None,
            prev_hash: GENESIS.into(),
            hash: String::new(),
        };
        let h = entry.computed_hash();
        assert_eq!(h.len(), 64);
        let other_action = Entry {
            action: "logout".into(),
            ..entry.clone()
        };
        assert_ne!(h, other_action.computed_hash());
        let other_link = Entry {
            prev_hash: "1".repeat(64),
            ..entry.clone()
        };
        assert_ne!(h, other_link.computed_hash());
        let other_time = Entry {
            at: entry.at + time::Duration::seconds(1),
            ..entry
        };
        assert_ne!(h, other_time.computed_hash());
    }
}
