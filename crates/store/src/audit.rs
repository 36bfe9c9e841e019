//! The audit log: every read and change of personal data, every login and every refusal, in an
//! append-only table whose rows form a hash chain. [`record`] is the single function every
//! feature calls, inside the transaction of the change it describes; [`record_alone`] for
//! reads and refusals, which the [`Appender`] writes in groups.
//!
//! Each hash is an HMAC-SHA-256 under a key derived from the data key ([`ChainKey`]), so
//! rewriting an entry and every one after it needs the key, not only the database. What a
//! chain cannot show by itself, that its newest entries were cut off, [`Checkpoint`]s show:
//! the head of the chain (last id, its hash) written where the database is not.

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};
use tsunagu_domain::{Actor, UserId};

use tokio::sync::{mpsc, oneshot};

use crate::{
    contains_pattern,
    db::{query, Backend},
    keys::DataKey,
    unit::Trail,
    Db, Error, Page, Paging, Result, Tx,
};

/// The hash that stands before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The key the chain's hashes are made under, derived from the data key, and the data key's
/// fingerprint to name it by.
#[derive(Clone)]
pub struct ChainKey {
    key: [u8; 32],
    checkpoint_key: [u8; 32],
    keyed_by: String,
}

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChainKey({})", self.keyed_by)
    }
}

impl ChainKey {
    pub fn of(key: &DataKey) -> ChainKey {
        ChainKey {
            key: key.derive(b"tsunagu audit chain"),
            checkpoint_key: key.derive(b"tsunagu audit checkpoint"),
            keyed_by: key.fingerprint(),
        }
    }

    /// The fingerprint of the data key this chain key comes from.
    pub fn keyed_by(&self) -> &str {
        &self.keyed_by
    }

    fn mac(key: &[u8; 32], parts: &[&[u8]]) -> String {
        #[allow(clippy::expect_used)]
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
        for part in parts {
            mac.update(part);
        }
        hex::encode(mac.finalize().into_bytes())
    }
}

/// How the hashes of a stored chain are checked.
#[derive(Clone, Copy, Debug)]
pub enum How<'a> {
    /// Keyed under this key (every chain since migration 20).
    Keyed(&'a ChainKey),
    /// Plain SHA-256, as chains were before (an older archive, a database not yet upgraded).
    Legacy,
    /// Only that each entry names the one before: a chain sealed under a key not at hand (an
    /// archive sealed with a passphrase and restored under another data key), whose content
    /// the archive's own seal vouches for.
    LinksOnly,
}

/// The first migration whose chains are keyed.
pub const KEYED_SINCE_MIGRATION: i64 = 20;

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
    /// The entry's canonical content: a JSON array of its fields, the time as Unix seconds so
    /// both backends give the same text.
    fn content(&self) -> String {
        serde_json::json!([
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
        .to_string()
    }

    /// The HMAC-SHA-256 under `key` of the previous hash and this entry's content.
    fn keyed_hash(&self, key: &ChainKey) -> String {
        ChainKey::mac(
            &key.key,
            &[self.prev_hash.as_bytes(), b"\n", self.content().as_bytes()],
        )
    }

    /// The plain SHA-256 chains had before migration 20.
    fn legacy_hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.prev_hash.as_bytes());
        h.update(b"\n");
        h.update(self.content().as_bytes());
        hex::encode(h.finalize())
    }

    /// Whether the stored hash is what `how` computes (always, when only links are checked).
    fn hash_matches(&self, how: How<'_>) -> bool {
        match how {
            How::Keyed(key) => self.keyed_hash(key) == self.hash,
            How::Legacy => self.legacy_hash() == self.hash,
            How::LinksOnly => true,
        }
    }
}

/// The entry with its hash computed over `prev_hash` and its content: for loading a chain in bulk.
pub fn sealed(mut entry: Entry, key: &ChainKey) -> Entry {
    entry.hash = entry.keyed_hash(key);
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
    // The chain is one line: appends take turns. (SQLite's BEGIN IMMEDIATE already did.)
    lock_chain(tx).await?;
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
        entry.hash = entry.keyed_hash(tx.chain_key());
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
    /// The chain ends before a checkpoint's entry: entries `from` to `to` are gone.
    Truncated {
        from: i64,
        to: i64,
    },
}

/// Takes the chain's lock on PostgreSQL, so appends and a reseal take turns.
async fn lock_chain(tx: &mut Tx) -> Result<()> {
    if tx.backend() == Backend::Postgres {
        query("SELECT pg_advisory_xact_lock(7473218)")
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Which key the stored chain is sealed under (None: not keyed yet).
async fn keyed_by<'a>(on: impl Into<crate::db::On<'a>>) -> Result<Option<String>> {
    let mut on = on.into();
    let row: Option<(Option<String>,)> =
        query("SELECT keyed_by FROM _tsunagu_audit_chain WHERE id = 1")
            .fetch_optional(on.exec())
            .await?;
    Ok(row.and_then(|(k,)| k))
}

/// Walks the chain from the first entry in batches, recomputing every hash under the
/// database's key.
pub async fn verify(db: &Db) -> Result<Verification> {
    if keyed_by(db).await?.as_deref() != Some(db.chain_key().keyed_by()) {
        return Ok(Verification::Broken {
            entry_id: 1,
            reason: "the chain is not sealed under this database's key",
        });
    }
    verify_on(crate::db::On::Db(db), How::Keyed(db.chain_key())).await
}

/// [`verify`] inside a transaction, with the hashes checked as `how` says (a restore's,
/// before it commits).
pub(crate) async fn verify_in(tx: &mut Tx, how: How<'_>) -> Result<Verification> {
    verify_on(crate::db::On::Tx(tx), how).await
}

async fn verify_on(mut on: crate::db::On<'_>, how: How<'_>) -> Result<Verification> {
    const BATCH: i64 = 5_000;
    let mut prev_hash = GENESIS.to_owned();
    let mut expected_id = 1;
    let mut count = 0;
    loop {
        let batch: Vec<Entry> = query(format!(
            "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE id >= $1 ORDER BY id LIMIT $2"
        ))
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
            if !entry.hash_matches(how) {
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

const ENTRY_COLUMNS: &str = "id, at, user_id, user_login, action, object_type, object_id, \
    outcome, client_addr, request_id, detail, prev_hash, hash";

/// Seals a chain from before hashes were keyed under the database's key, once: at the first
/// start of this version (or a restore of an older archive). The old chain must verify first;
/// a broken one is never sealed, so tampering is not laundered. Runs after the migrations.
pub(crate) async fn key_chain(db: &Db) -> Result<()> {
    if keyed_by(db).await?.is_some() {
        return Ok(());
    }
    // Under a wrong key nothing is sealed: opening the database says so next.
    if crate::keys::check(db, db.data_key()).await.is_err() {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    let entries = reseal(&mut tx, How::Legacy).await?;
    if entries > 0 {
        record(
            &mut tx,
            &RequestMeta::cli(),
            Event::new("audit.chain_keyed").detail(format!("entries={entries}")),
        )
        .await?;
    }
    tx.commit().await
}

/// Verifies the stored chain as `from` says, then seals every entry under the transaction's
/// key (unless it already is) and records that key. Answers the number of entries.
pub(crate) async fn reseal(tx: &mut Tx, from: How<'_>) -> Result<i64> {
    lock_chain(tx).await?;
    let key = tx.chain_key().clone();
    let entries = match verify_in(tx, from).await? {
        Verification::Intact { entries } => entries,
        Verification::Broken { entry_id, reason } => {
            return Err(Error::Other(format!(
                "監査ログの連鎖が途切れています（記録 {entry_id}: {reason}）。鍵付きの連鎖に移せません。"
            )))
        }
        Verification::Truncated { from, to } => {
            return Err(Error::Other(format!(
                "監査ログの記録 {from}〜{to} がありません。"
            )))
        }
    };
    let already = matches!(from, How::Keyed(k) if k.keyed_by == key.keyed_by);
    if !already && entries > 0 {
        rewrite_hashes(tx, &key).await?;
    }
    query("UPDATE _tsunagu_audit_chain SET keyed_by = $1 WHERE id = 1")
        .bind(key.keyed_by())
        .execute(&mut *tx)
        .await?;
    Ok(entries)
}

/// After the data key changed (`tsunagu rekey`): the chain, sealed under `old` (or already
/// under the new key, when an earlier run was interrupted after this), is sealed under the
/// transaction's key.
pub async fn reseal_from(tx: &mut Tx, old: &DataKey) -> Result<i64> {
    let old = ChainKey::of(old);
    let current = keyed_by(&mut *tx).await?;
    let new = tx.chain_key().clone();
    if current.as_deref() == Some(new.keyed_by()) {
        return reseal(tx, How::Keyed(&new)).await;
    }
    reseal(tx, How::Keyed(&old)).await
}

/// Recomputes every hash under `key`: the new hashes go to a scratch table in batches, then
/// one statement sets them, the append-only trigger held off inside this transaction only.
async fn rewrite_hashes(tx: &mut Tx, key: &ChainKey) -> Result<()> {
    const BATCH: i64 = 5_000;
    let backend = tx.backend();
    let (scratch, hold, release) = match backend {
        Backend::Sqlite => (
            "CREATE TEMP TABLE audit_reseal (id INTEGER PRIMARY KEY, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
            "DROP TRIGGER audit_log_no_update",
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
        ),
        Backend::Postgres => (
            "CREATE TEMP TABLE audit_reseal (id BIGINT PRIMARY KEY, prev_hash TEXT NOT NULL, hash TEXT NOT NULL) ON COMMIT DROP",
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
            "ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update",
        ),
    };
    query(scratch).execute(&mut *tx).await?;
    let mut prev_hash = GENESIS.to_owned();
    let mut after = 0;
    loop {
        let batch: Vec<Entry> = query(format!(
            "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2"
        ))
        .bind(after)
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        let rows = batch
            .into_iter()
            .map(|mut entry| {
                entry.prev_hash = std::mem::take(&mut prev_hash);
                entry.hash = entry.keyed_hash(key);
                prev_hash = entry.hash.clone();
                vec![entry.id.into(), entry.prev_hash.into(), entry.hash.into()]
            })
            .collect();
        crate::bulk::insert_rows(tx, "audit_reseal", &["id", "prev_hash", "hash"], rows).await?;
    }
    query(hold).execute(&mut *tx).await?;
    query(
        "UPDATE audit_log SET prev_hash = r.prev_hash, hash = r.hash FROM audit_reseal r \
         WHERE audit_log.id = r.id",
    )
    .execute(&mut *tx)
    .await?;
    query(release).execute(&mut *tx).await?;
    if backend == Backend::Sqlite {
        query("DROP TABLE audit_reseal").execute(&mut *tx).await?;
    }
    Ok(())
}

/// The head of the chain at a moment: its last entry's id and hash, under which key, and
/// when it was taken. Kept outside the database, it shows whether entries were cut off since.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub keyed_by: String,
    pub id: i64,
    pub hash: String,
    pub at: OffsetDateTime,
}

const CHECKPOINT_TAG: &str = "tsunagu-audit-checkpoint";

impl Checkpoint {
    /// One line: `tsunagu-audit-checkpoint KEY ID HASH TIME MAC`, the MAC under a key derived
    /// from the data key, so a line cannot be changed (an earlier id put in) without the key.
    pub fn line(&self, key: &ChainKey) -> String {
        let body = self.body();
        let mac = ChainKey::mac(&key.checkpoint_key, &[body.as_bytes()]);
        format!("{body} {mac}")
    }

    fn body(&self) -> String {
        let at = self.at.format(&Rfc3339).unwrap_or_default();
        format!(
            "{CHECKPOINT_TAG} {} {} {} {at}",
            self.keyed_by, self.id, self.hash
        )
    }

    /// Reads a line without checking its MAC (a backup's header, which its seal vouches for).
    pub fn parse_unchecked(line: &str) -> Option<(Checkpoint, String)> {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [CHECKPOINT_TAG, keyed_by, id, hash, at, mac] = fields[..] else {
            return None;
        };
        let checkpoint = Checkpoint {
            keyed_by: keyed_by.to_owned(),
            id: id.parse().ok().filter(|i| *i >= 0)?,
            hash: hash.to_owned(),
            at: OffsetDateTime::parse(at, &Rfc3339).ok()?,
        };
        Some((checkpoint, mac.to_owned()))
    }

    /// Reads a line of this key's checkpoints: None when it belongs to another key, an error
    /// when it is not a checkpoint or its MAC does not match (the line was changed).
    pub fn parse(line: &str, key: &ChainKey) -> Result<Option<Checkpoint>> {
        let (checkpoint, mac) = Checkpoint::parse_unchecked(line).ok_or_else(|| {
            Error::Other(format!("監査ログのチェックポイントではない行です: {line}"))
        })?;
        if checkpoint.keyed_by != key.keyed_by {
            return Ok(None);
        }
        let expected = ChainKey::mac(&key.checkpoint_key, &[checkpoint.body().as_bytes()]);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            expected.as_bytes(),
            mac.as_bytes(),
        )) {
            return Err(Error::Other(format!(
                "監査ログのチェックポイント（記録 {}）が書き換えられています。",
                checkpoint.id
            )));
        }
        Ok(Some(checkpoint))
    }
}

/// The chain's head now.
pub async fn head(db: &Db) -> Result<Checkpoint> {
    head_on(crate::db::On::Db(db), db.chain_key()).await
}

async fn head_on(mut on: crate::db::On<'_>, key: &ChainKey) -> Result<Checkpoint> {
    let last: Option<(i64, String)> =
        query("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
            .fetch_optional(on.exec())
            .await?;
    let (id, hash) = last.unwrap_or((0, GENESIS.to_owned()));
    Ok(Checkpoint {
        keyed_by: key.keyed_by().to_owned(),
        id,
        hash,
        at: crate::now(),
    })
}

/// The head as a checkpoint line under the database's key.
pub async fn head_line(db: &Db) -> Result<String> {
    Ok(head(db).await?.line(db.chain_key()))
}

/// The head inside a transaction (a backup's snapshot), as a checkpoint line.
pub(crate) async fn head_line_in(tx: &mut Tx) -> Result<String> {
    let key = tx.chain_key().clone();
    Ok(head_on(crate::db::On::Tx(tx), &key).await?.line(&key))
}

/// Appends the chain's head to the checkpoint file at `path` (made 0600 if new); answers the line.
pub async fn write_checkpoint(db: &Db, path: &std::path::Path) -> Result<String> {
    let line = head_line(db).await?;
    append_checkpoint(path, &line)?;
    Ok(line)
}

/// Appends a checkpoint line to the file at `path` (made 0600 if new) and syncs it.
pub fn append_checkpoint(path: &std::path::Path, line: &str) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .and_then(|mut f| {
            writeln!(f, "{line}")?;
            f.sync_all()
        })
        .map_err(|e| {
            Error::Other(format!(
                "監査ログのチェックポイントを {} に書けません: {e}",
                path.display()
            ))
        })
}

/// The newest of this key's checkpoints in `text` (a checkpoint file's lines; blank ones
/// skipped), or an error when a line of this key was changed.
pub fn latest_checkpoint(text: &str, key: &ChainKey) -> Result<Option<Checkpoint>> {
    let mut latest: Option<Checkpoint> = None;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(c) = Checkpoint::parse(line, key)? {
            if latest.as_ref().is_none_or(|l| c.id >= l.id) {
                latest = Some(c);
            }
        }
    }
    Ok(latest)
}

/// The database's key, to read checkpoint lines with.
pub fn chain_key(db: &Db) -> &ChainKey {
    db.chain_key()
}

/// Whether the stored chain still holds `checkpoint`'s entry with its hash: entries cut off
/// from the end, or a chain rewritten since, show here though the chain verifies by itself.
pub async fn check_checkpoint(db: &Db, checkpoint: &Checkpoint) -> Result<Verification> {
    if checkpoint.keyed_by != db.chain_key().keyed_by() {
        return Err(Error::Other(format!(
            "このチェックポイントは別のデータ鍵（指紋 {}）のものです。",
            checkpoint.keyed_by
        )));
    }
    let (max_id,): (Option<i64>,) = query("SELECT MAX(id) FROM audit_log").fetch_one(db).await?;
    let max_id = max_id.unwrap_or(0);
    if max_id < checkpoint.id {
        return Ok(Verification::Truncated {
            from: max_id + 1,
            to: checkpoint.id,
        });
    }
    if checkpoint.id == 0 {
        return Ok(Verification::Intact { entries: max_id });
    }
    let stored: Option<(String,)> = query("SELECT hash FROM audit_log WHERE id = $1")
        .bind(checkpoint.id)
        .fetch_optional(db)
        .await?;
    if stored.is_none_or(|(h,)| h != checkpoint.hash) {
        return Ok(Verification::Broken {
            entry_id: checkpoint.id,
            reason: "differs from the checkpoint",
        });
    }
    Ok(Verification::Intact { entries: max_id })
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
        let key = ChainKey::of(&DataKey::from_bytes([7; 32]));
        let h = entry.keyed_hash(&key);
        assert_eq!(h.len(), 64);
        assert_ne!(h, entry.legacy_hash(), "keyed, not a plain hash");
        let other_key = ChainKey::of(&DataKey::from_bytes([8; 32]));
        assert_ne!(h, entry.keyed_hash(&other_key));
        let other_action = Entry {
            action: "logout".into(),
            ..entry.clone()
        };
        assert_ne!(h, other_action.keyed_hash(&key));
        let other_link = Entry {
            prev_hash: "1".repeat(64),
            ..entry.clone()
        };
        assert_ne!(h, other_link.keyed_hash(&key));
        let other_time = Entry {
            at: entry.at + time::Duration::seconds(1),
            ..entry
        };
        assert_ne!(h, other_time.keyed_hash(&key));
    }
}
