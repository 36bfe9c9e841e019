//! The one place that knows there are two backends. A [`Query`] carries its SQL (the same text
//! for both where it can: `$1` placeholders work on SQLite and PostgreSQL alike) and its bound
//! values, and runs on whichever backend the [`Db`] holds. Rows decode with `sqlx::FromRow`.

use std::{borrow::Cow, path::Path, str::FromStr, time::Duration};

use sqlx::{
    postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow},
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
        SqliteSynchronous,
    },
    ConnectOptions, Connection, FromRow, Postgres, Sqlite, Transaction,
};
use time::{Date, OffsetDateTime};

use crate::{audit::ChainKey, keys::DataKey, Error, Result};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What a connection pool is opened for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Load {
    Serving,
    Bulk,
}

/// A pool of connections to one database, and the task that appends the audit entries
/// recorded on their own ([`crate::audit::record_alone`]) in groups.
#[derive(Clone, Debug)]
pub struct Db {
    pool: Pool,
    /// The data key it was opened with: the audit chain's key derives from it.
    key: DataKey,
    chain_key: std::sync::Arc<ChainKey>,
    appender: Option<std::sync::Arc<crate::audit::Appender>>,
    /// Write transactions request units began on this database (for `/metrics`, and the test
    /// that a page view writes nothing of its own).
    unit_writes: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Db {
    /// Opens `sqlite://path` (the folder and file are created if missing, encrypted with
    /// `key`) or `postgres://…` (TLS as the URL's `sslmode`, `sslrootcert`… say; the key is
    /// checked there by [`crate::keys::check`]).
    pub async fn connect(url: &str, key: &DataKey) -> Result<Db> {
        Db::open(url, key, Load::Serving, Duration::from_secs(10)).await
    }

    /// [`Db::connect`] for a server: whoever asks the pool for a connection (a request's unit,
    /// a handler on the pool, the audit log's appender) waits at most `wait`, so a database
    /// that does not answer is told as fast on every path.
    pub async fn connect_waiting(url: &str, key: &DataKey, wait: Duration) -> Result<Db> {
        Db::open(url, key, Load::Serving, wait).await
    }

    /// Opens the database for writing millions of rows at once (`tsunagu seed`): one SQLite
    /// connection with a large page cache and no fsync, PostgreSQL without waiting for each
    /// commit's flush. A crash in the middle leaves a database to throw away, never a served one.
    pub async fn connect_for_bulk_load(url: &str, key: &DataKey) -> Result<Db> {
        Db::open(url, key, Load::Bulk, Duration::from_secs(10)).await
    }

    async fn open(url: &str, key: &DataKey, load: Load, wait: Duration) -> Result<Db> {
        init_crypto();
        let bulk = load == Load::Bulk;
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut options = PgConnectOptions::from_str(url)?;
            if bulk {
                options = options
                    .options([("synchronous_commit", "off")])
                    // Index builds take their time by design; no warning for each.
                    .log_slow_statements(log::LevelFilter::Off, Duration::from_secs(1));
            }
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .after_release(|conn, _| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
                .acquire_timeout(wait)
                .connect_with(options)
                .await?;
            Ok(Db::with_appender(Pool::Postgres(pool), key, load))
        } else if url.starts_with("sqlite:") {
            if let Some(dir) = sqlite_path(url)
                .and_then(Path::parent)
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir)
                    .map_err(|e| Error::Other(format!("cannot create {}: {e}", dir.display())))?;
            }
            let mut options = SqliteConnectOptions::from_str(url)?
                // SQLCipher: first on every connection (sqlx runs the `key` pragma first).
                .pragma("key", key.sqlcipher_pragma())
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // NORMAL in WAL mode loses nothing when the process is killed, only on power loss
                // of the last transactions; FULL would make every audit entry an fsync.
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            if bulk {
                options = options
                    .synchronous(SqliteSynchronous::Off)
                    // 512 MiB of pages (negative: KiB) and sorts in memory, for index builds.
                    .pragma("cache_size", "-524288")
                    .pragma("temp_store", "memory")
                    .log_slow_statements(log::LevelFilter::Off, Duration::from_secs(1));
            }
            let pool_options = SqlitePoolOptions::new()
                .max_connections(if bulk { 1 } else { 8 })
                // A request cancelled just as its BEGIN answered leaves no `Transaction` to
                // roll back, and the connection would come back holding the write lock (seen
                // under load as "database is locked" for every later writer): such a connection
                // is closed, which rolls it back, and never reused. The same on PostgreSQL.
                .after_release(|conn, _| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
                .acquire_timeout(wait);
            let pool = match pool_options.clone().connect_with(options.clone()).await {
                Ok(pool) => pool,
                // The key does not open it: a database from before encryption is encrypted
                // now; anything else is a wrong key (or not a database).
                Err(e) if is_not_a_database(&e) => match sqlite_path(url) {
                    Some(path) if is_plaintext(path).await => {
                        encrypt_plaintext(path, key).await?;
                        pool_options
                            .connect_with(options)
                            .await
                            .map_err(|e| wrong_key_or(e, url))?
                    }
                    _ => return Err(wrong_key_or(e, url)),
                },
                Err(e) => return Err(wrong_key_or(e, url)),
            };
            Ok(Db::with_appender(Pool::Sqlite(pool), key, load))
        } else {
            Err(Error::Other(format!(
                "unsupported database URL (use sqlite://… or postgres://…): {}",
                redact_url(url)
            )))
        }
    }

    /// A bulk load appends its chain itself; everything else gets the group appender.
    fn with_appender(pool: Pool, key: &DataKey, load: Load) -> Db {
        let bare = Db {
            pool,
            key: key.clone(),
            chain_key: std::sync::Arc::new(ChainKey::of(key)),
            appender: None,
            unit_writes: Default::default(),
        };
        let appender = (load == Load::Serving)
            .then(|| std::sync::Arc::new(crate::audit::Appender::start(bare.clone())));
        Db { appender, ..bare }
    }

    pub(crate) fn appender(&self) -> Option<&crate::audit::Appender> {
        self.appender.as_deref()
    }

    /// Applies the migrations this binary carries. On PostgreSQL sqlx holds an advisory lock
    /// while it does, so two servers starting at once migrate once.
    /// An audit chain from before its hashes were keyed is verified and sealed under this
    /// database's key ([`crate::audit::key_chain`]).
    pub async fn migrate(&self) -> Result<()> {
        match &self.pool {
            Pool::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            Pool::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        crate::audit::key_chain(self).await
    }

    pub(crate) fn data_key(&self) -> &DataKey {
        &self.key
    }

    pub(crate) fn chain_key(&self) -> &ChainKey {
        &self.chain_key
    }

    pub fn backend(&self) -> Backend {
        match &self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a read-then-write such as the audit chain never meets a stale
    /// snapshot; on PostgreSQL writers that must be serial take their own lock.
    pub async fn begin(&self) -> Result<Tx> {
        let conn = match &self.pool {
            Pool::Sqlite(pool) => TxConn::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(pool) => TxConn::Postgres(pool.begin().await?),
        };
        Ok(self.tx(conn))
    }

    fn tx(&self, conn: TxConn) -> Tx {
        Tx {
            conn,
            chain_key: self.chain_key.clone(),
        }
    }

    /// Starts a read-only transaction that sees one moment of the database throughout, while
    /// writers go on (a backup): SQLite's WAL snapshot from the first read, PostgreSQL's
    /// repeatable read. It takes no write lock.
    pub async fn begin_snapshot(&self) -> Result<Tx> {
        let conn = match &self.pool {
            Pool::Sqlite(pool) => TxConn::Sqlite(pool.begin_with("BEGIN DEFERRED").await?),
            Pool::Postgres(pool) => TxConn::Postgres(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?,
            ),
        };
        Ok(self.tx(conn))
    }

    /// [`Db::begin`], or [`Error::Unavailable`] when no connection comes within `wait`.
    pub async fn begin_within(&self, wait: Duration) -> Result<Tx> {
        within(wait, self.begin()).await
    }

    /// Write transactions request units began on this database since it was opened.
    pub fn unit_writes(&self) -> u64 {
        self.unit_writes.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn count_unit_write(&self) {
        self.unit_writes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// [`Db::begin_snapshot`], or [`Error::Unavailable`] when no connection comes within `wait`.
    pub async fn begin_snapshot_within(&self, wait: Duration) -> Result<Tx> {
        within(wait, self.begin_snapshot()).await
    }

    /// Applies the migrations up to `version` only (a restore loads an older archive into the
    /// schema it was made with, then migrates the rest).
    pub async fn migrate_to(&self, version: i64) -> Result<()> {
        let partial = |all: &sqlx::migrate::Migrator| sqlx::migrate::Migrator {
            migrations: Cow::Owned(
                all.iter()
                    .filter(|m| m.version <= version)
                    .cloned()
                    .collect(),
            ),
            ignore_missing: false,
            locking: true,
            no_tx: false,
        };
        match &self.pool {
            Pool::Sqlite(pool) => partial(&SQLITE_MIGRATIONS).run(pool).await?,
            Pool::Postgres(pool) => partial(&POSTGRES_MIGRATIONS).run(pool).await?,
        }
        Ok(())
    }

    /// The newest migration this binary carries.
    pub fn latest_migration() -> i64 {
        SQLITE_MIGRATIONS
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap_or(0)
    }

    /// The pool's open connections and how many of them are idle (for `/metrics`).
    pub fn pool_status(&self) -> (u32, usize) {
        match &self.pool {
            Pool::Sqlite(pool) => (pool.size(), pool.num_idle()),
            Pool::Postgres(pool) => (pool.size(), pool.num_idle()),
        }
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        query("SELECT 1")
            .fetch_one::<(i32,)>(self)
            .await
            .map(|_| ())
    }

    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

/// Initialises SQLCipher's OpenSSL before SQLCipher first uses it, so that OpenSSL does not
/// register its exit handler: at exit that handler frees OpenSSL's state while sqlx's SQLite
/// threads may still be closing connections (and so encrypting), which crashed test processes
/// after their last test ("double free or corruption"). The operating system frees it instead.
fn init_crypto() {
    openssl_sys::init();
}

/// `work`, or [`Error::Unavailable`] after `wait`: a database that does not answer is told
/// fast, not after the pool's own ten seconds.
pub(crate) async fn within<T>(
    wait: Duration,
    work: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    match tokio::time::timeout(wait, work).await {
        Ok(result) => result,
        Err(_) => Err(Error::Unavailable(format!(
            "no database connection within {} ms",
            wait.as_millis()
        ))),
    }
}

/// The file path in a `sqlite:` URL, if it names a file.
pub fn sqlite_path(url: &str) -> Option<&Path> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| Path::new(path))
}

/// SQLCipher answers a wrong key as "file is not a database" (SQLITE_NOTADB, 26).
fn is_not_a_database(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some("26"))
}

fn wrong_key_or(e: sqlx::Error, url: &str) -> Error {
    if is_not_a_database(&e) {
        return Error::WrongDataKey(format!(
            "データベース {} を開けません。データ鍵が違うか、ファイルが壊れています。",
            sqlite_path(url).map_or_else(|| url.to_owned(), |p| p.display().to_string())
        ));
    }
    Error::Database(e)
}

/// Whether SQLite reads the file without a key. Asked through SQLite, never by opening the
/// file ourselves: closing a descriptor of a database file drops every POSIX lock this process
/// holds on it, and with them the other connections' (SQLite's "how to corrupt", 2.2).
async fn is_plaintext(path: &Path) -> bool {
    let Ok(mut conn) = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
    else {
        return false;
    };
    let readable = sqlx::query("SELECT COUNT(*) FROM sqlite_master")
        .fetch_one(&mut conn)
        .await
        .is_ok();
    let _ = conn.close().await;
    readable
}

/// A SQLite database written before encryption is copied into an encrypted one with
/// `sqlcipher_export`, which then takes its place; the plaintext file and its WAL are removed.
/// Runs once, on the first start of this version.
async fn encrypt_plaintext(path: &Path, key: &DataKey) -> Result<()> {
    let encrypted = path.with_extension("encrypting");
    let remove_copy = || {
        for side in ["", "-journal", "-wal", "-shm"] {
            let mut p = encrypted.as_os_str().to_owned();
            p.push(side);
            let _ = std::fs::remove_file(p);
        }
    };
    // A copy left by an earlier attempt (the disk ran full) is never reused, nor its journal.
    remove_copy();
    let copied = export_encrypted(path, &encrypted, key).await;
    if let Err(e) = copied {
        remove_copy();
        return Err(Error::Other(format!(
            "平文のデータベース {} を暗号化できませんでした（元のファイルはそのままです）: {e}",
            path.display()
        )));
    }
    std::fs::rename(&encrypted, path)
        .map_err(|e| Error::Other(format!("{}: {e}", path.display())))?;
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(side);
    }
    tracing::info!(path = %path.display(), "encrypted a plaintext SQLite database");
    Ok(())
}

async fn export_encrypted(path: &Path, encrypted: &Path, key: &DataKey) -> Result<()> {
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        // ATTACH creates the new file with the main database's open flags.
        .create_if_missing(true)
        .connect()
        .await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await?;
    // The key as the text `x'…'`: SQLCipher's raw-key form, as in `PRAGMA key`.
    sqlx::query("ATTACH DATABASE $1 AS encrypted KEY $2")
        .bind(encrypted.to_string_lossy().into_owned())
        .bind(key.sqlcipher_pragma().trim_matches('"').to_owned())
        .execute(&mut conn)
        .await?;
    sqlx::query("SELECT sqlcipher_export('encrypted')")
        .execute(&mut conn)
        .await?;
    sqlx::query("DETACH DATABASE encrypted")
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}

/// Changes the SQLite database's key (`tsunagu rekey`), rewriting every page in one
/// transaction; the server must be stopped. Answers whether it was done now (false: the
/// database already had `new`, from an interrupted earlier run).
pub async fn rekey_sqlite(url: &str, old: &DataKey, new: &DataKey) -> Result<bool> {
    let path = sqlite_path(url)
        .ok_or_else(|| Error::Other(format!("not a SQLite database: {}", redact_url(url))))?;
    let open = |key: &DataKey| {
        SqliteConnectOptions::new()
            .filename(path)
            .pragma("key", key.sqlcipher_pragma())
            .journal_mode(SqliteJournalMode::Delete)
            // A server stopped a moment ago may still be letting go of its connections.
            .busy_timeout(Duration::from_secs(10))
    };
    let mut conn = match open(old).connect().await {
        Ok(conn) => conn,
        Err(e) => {
            let e = wrong_key_or(e, url);
            if matches!(e, Error::WrongDataKey(_)) && open(new).connect().await.is_ok() {
                return Ok(false);
            }
            return Err(e);
        }
    };
    sqlx::query(&format!("PRAGMA rekey = {}", new.sqlcipher_pragma()))
        .execute(&mut conn)
        .await?;
    sqlx::query("PRAGMA journal_mode = WAL")
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(true)
}

/// A database URL fit for a log line: the password replaced.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// A transaction on either backend; dropped without [`Tx::commit`] it rolls back. It carries
/// the audit chain's key, so an entry appended inside it is sealed under its database's key.
pub struct Tx {
    pub(crate) conn: TxConn,
    chain_key: std::sync::Arc<ChainKey>,
}

pub(crate) enum TxConn {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self.conn {
            TxConn::Sqlite(tx) => tx.commit().await?,
            TxConn::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self.conn {
            TxConn::Sqlite(_) => Backend::Sqlite,
            TxConn::Postgres(_) => Backend::Postgres,
        }
    }

    pub(crate) fn chain_key(&self) -> &ChainKey {
        &self.chain_key
    }
}

/// A value bound to a placeholder. Each kind carries an `Option` so a NULL still has its type
/// (PostgreSQL needs it). Timestamps are stored in UTC at whole seconds: SQLite keeps them as
/// RFC 3339 text, and one fixed width makes text order equal time order.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    I64(Option<i64>),
    F64(Option<f64>),
    Text(Option<String>),
    Bool(Option<bool>),
    Date(Option<Date>),
    Timestamp(Option<OffsetDateTime>),
}

pub fn normalize_timestamp(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.replace_nanosecond(0).unwrap_or(t)
}

macro_rules! value_from {
    ($variant:ident: $($ty:ty => $conv:expr),* $(,)?) => {$(
        impl From<$ty> for Value {
            fn from(v: $ty) -> Self {
                #[allow(clippy::redundant_closure_call)]
                Value::$variant(Some(($conv)(v)))
            }
        }
        impl From<Option<$ty>> for Value {
            fn from(v: Option<$ty>) -> Self {
                #[allow(clippy::redundant_closure_call)]
                Value::$variant(v.map($conv))
            }
        }
    )*};
}

value_from!(I64: i64 => |v| v, i32 => i64::from, u32 => i64::from);
value_from!(F64: f64 => |v| v);
value_from!(Text: String => |v| v, &str => str::to_owned, &String => String::clone);
value_from!(Bool: bool => |v| v);
value_from!(Date: Date => |v| v);
value_from!(Timestamp: OffsetDateTime => normalize_timestamp);

macro_rules! id_values {
    ($($id:ident),*) => {$(
        impl From<tsunagu_domain::$id> for Value {
            fn from(v: tsunagu_domain::$id) -> Self {
                Value::I64(Some(v.0))
            }
        }
        impl From<Option<tsunagu_domain::$id>> for Value {
            fn from(v: Option<tsunagu_domain::$id>) -> Self {
                Value::I64(v.map(|id| id.0))
            }
        }
    )*};
}
id_values!(
    UserId,
    TokenId,
    RegionId,
    MunicipalityId,
    AreaId,
    AgencyId,
    ChildId,
    ConsultationId,
    ConsentId,
    ReferralId,
    MeetingId,
    ActionItemId,
    PlanId,
    TransitionId,
    HandoverId,
    AttachmentId
);

/// Ids for an `IN (…)` list built into the SQL text: integers only, so no input text ever
/// reaches the statement. Empty gives `NULL`, which matches nothing.
pub fn id_list(ids: impl IntoIterator<Item = i64>) -> String {
    let list: Vec<String> = ids.into_iter().map(|i| i.to_string()).collect();
    if list.is_empty() {
        "NULL".to_owned()
    } else {
        list.join(",")
    }
}

/// A row type that decodes from both backends (`#[derive(sqlx::FromRow)]` gives this).
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{}

/// Where a query runs: straight on the pool, inside a transaction, or on a request unit's
/// read snapshot.
pub enum Exec<'a> {
    Db(&'a Db),
    Tx(&'a mut Tx),
    Unit(&'a mut crate::Unit),
}

impl<'a> Exec<'a> {
    /// The unit's snapshot, begun on its first read; anything else as it is.
    async fn resolved(self) -> Result<Exec<'a>> {
        match self {
            Exec::Unit(u) => Ok(Exec::Tx(u.snapshot().await?)),
            other => Ok(other),
        }
    }
}

/// A place to run several queries in turn: [`On::exec`] lends it out for each.
pub enum On<'a> {
    Db(&'a Db),
    Tx(&'a mut Tx),
    Unit(&'a mut crate::Unit),
}

impl On<'_> {
    pub fn exec(&mut self) -> Exec<'_> {
        match self {
            On::Db(db) => Exec::Db(db),
            On::Tx(tx) => Exec::Tx(tx),
            On::Unit(u) => Exec::Unit(u),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            On::Db(db) => db.backend(),
            On::Tx(tx) => tx.backend(),
            On::Unit(u) => u.backend(),
        }
    }
}

impl<'a, 'b> From<&'a mut On<'b>> for On<'a> {
    fn from(on: &'a mut On<'b>) -> Self {
        match on {
            On::Db(db) => On::Db(db),
            On::Tx(tx) => On::Tx(tx),
            On::Unit(u) => On::Unit(u),
        }
    }
}

impl<'a> From<&'a Db> for On<'a> {
    fn from(db: &'a Db) -> Self {
        On::Db(db)
    }
}

impl<'a> From<&'a mut Tx> for On<'a> {
    fn from(tx: &'a mut Tx) -> Self {
        On::Tx(tx)
    }
}

impl<'a> From<&'a mut crate::Unit> for On<'a> {
    fn from(u: &'a mut crate::Unit) -> Self {
        On::Unit(u)
    }
}

impl<'a> From<&'a mut crate::Unit> for Exec<'a> {
    fn from(u: &'a mut crate::Unit) -> Self {
        Exec::Unit(u)
    }
}

impl<'a, 'b> From<&'a mut On<'b>> for Exec<'a> {
    fn from(on: &'a mut On<'b>) -> Self {
        on.exec()
    }
}

impl<'a> From<&'a Db> for Exec<'a> {
    fn from(db: &'a Db) -> Self {
        Exec::Db(db)
    }
}

impl<'a> From<&'a mut Tx> for Exec<'a> {
    fn from(tx: &'a mut Tx) -> Self {
        Exec::Tx(tx)
    }
}

/// One SQL statement with its bound values.
#[must_use]
pub struct Query {
    sqlite: Cow<'static, str>,
    postgres: Cow<'static, str>,
    args: Vec<Value>,
}

/// A statement whose text is the same on both backends.
pub fn query(sql: impl Into<Cow<'static, str>>) -> Query {
    let sql = sql.into();
    Query {
        sqlite: sql.clone(),
        postgres: sql,
        args: Vec::new(),
    }
}

/// A statement that differs between the dialects: both texts side by side so they change together.
pub fn query_dialect(
    sqlite: impl Into<Cow<'static, str>>,
    postgres: impl Into<Cow<'static, str>>,
) -> Query {
    Query {
        sqlite: sqlite.into(),
        postgres: postgres.into(),
        args: Vec::new(),
    }
}

macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for arg in $args {
            q = match arg {
                Value::I64(v) => q.bind(v),
                Value::F64(v) => q.bind(v),
                Value::Text(v) => q.bind(v),
                Value::Bool(v) => q.bind(v),
                Value::Date(v) => q.bind(v),
                Value::Timestamp(v) => q.bind(v),
            };
        }
        q
    }};
}

/// Runs `$method` of a query built by `$build` on whatever `$exec` holds.
macro_rules! dispatch {
    // `then` turns each backend's own result type into the common one (`rows_affected`, `into`).
    ($exec:expr, $sqlite:expr, $postgres:expr, $args:expr, |$sql:ident, $db:ident| $build:expr, $method:ident, $then:ident) => {
        match $exec.resolved().await? {
            Exec::Unit(_) => return Err(Error::Other("a unit left unresolved".into())),
            Exec::Db(Db {
                pool: Pool::Sqlite(pool),
                ..
            }) => {
                let $sql = &*$sqlite;
                type $db = Sqlite;
                bind_all!($build, $args).$method(pool).await?.$then()
            }
            Exec::Db(Db {
                pool: Pool::Postgres(pool),
                ..
            }) => {
                let $sql = &*$postgres;
                type $db = Postgres;
                bind_all!($build, $args).$method(pool).await?.$then()
            }
            Exec::Tx(Tx {
                conn: TxConn::Sqlite(tx),
                ..
            }) => {
                let $sql = &*$sqlite;
                type $db = Sqlite;
                bind_all!($build, $args).$method(&mut **tx).await?.$then()
            }
            Exec::Tx(Tx {
                conn: TxConn::Postgres(tx),
                ..
            }) => {
                let $sql = &*$postgres;
                type $db = Postgres;
                bind_all!($build, $args).$method(&mut **tx).await?.$then()
            }
        }
    };
}

impl Query {
    pub fn bind(mut self, value: impl Into<Value>) -> Self {
        self.args.push(value.into());
        self
    }

    /// Runs the statement; answers the number of rows it changed.
    pub async fn execute<'e>(self, exec: impl Into<Exec<'e>>) -> Result<u64> {
        let Query {
            sqlite,
            postgres,
            args,
        } = self;
        Ok(dispatch!(
            exec.into(),
            sqlite,
            postgres,
            args,
            |sql, DB| sqlx::query::<DB>(sql),
            execute,
            rows_affected
        ))
    }

    pub async fn fetch_all<'e, T: Row>(self, exec: impl Into<Exec<'e>>) -> Result<Vec<T>> {
        let Query {
            sqlite,
            postgres,
            args,
        } = self;
        Ok(dispatch!(
            exec.into(),
            sqlite,
            postgres,
            args,
            |sql, DB| sqlx::query_as::<DB, T>(sql),
            fetch_all,
            into
        ))
    }

    pub async fn fetch_optional<'e, T: Row>(self, exec: impl Into<Exec<'e>>) -> Result<Option<T>> {
        let Query {
            sqlite,
            postgres,
            args,
        } = self;
        Ok(dispatch!(
            exec.into(),
            sqlite,
            postgres,
            args,
            |sql, DB| sqlx::query_as::<DB, T>(sql),
            fetch_optional,
            into
        ))
    }

    pub async fn fetch_one<'e, T: Row>(self, exec: impl Into<Exec<'e>>) -> Result<T> {
        self.fetch_optional(exec).await?.ok_or(Error::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_migration_folds_what_the_domain_folds() {
        // Migration 0033 rebuilt the keys stored before the variant table: it must hold the same
        // pairs, or old rows and new searches would disagree. A changed table needs a new migration.
        let sqlite = include_str!("../migrations/sqlite/0033_variant_keys.sql");
        let postgres = include_str!("../migrations/postgres/0033_variant_keys.sql");
        let (mut from, mut to) = (String::new(), String::new());
        for (a, b) in tsunagu_domain::kana::VARIANTS {
            assert!(
                sqlite.contains(&format!("'{a}', '{b}') WHERE instr(")),
                "{a}→{b} missing from the SQLite migration"
            );
            from.push(*a);
            to.push(*b);
        }
        assert!(postgres.contains(&format!("'{from}', '{to}')")));
        assert_eq!(
            sqlite.matches("replace(").count(),
            6 * tsunagu_domain::kana::VARIANTS.len()
        );
    }

    #[test]
    fn both_migration_folders_list_the_same_versions() {
        let versions = |m: &sqlx::migrate::Migrator| {
            m.iter()
                .map(|m| (m.version, m.description.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(versions(&SQLITE_MIGRATIONS), versions(&POSTGRES_MIGRATIONS));
        assert!(SQLITE_MIGRATIONS.iter().count() > 0);
    }

    #[test]
    fn sqlite_paths_and_redaction() {
        assert_eq!(
            sqlite_path("sqlite://tsunagu-data/tsunagu.db"),
            Some(Path::new("tsunagu-data/tsunagu.db"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(
            redact_url("postgres://tsunagu:secret@db.example/tsunagu"),
            "postgres://tsunagu:***@db.example/tsunagu"
        );
        assert_eq!(
            redact_url("postgres://db.example/x"),
            "postgres://db.example/x"
        );
    }

    #[test]
    fn timestamps_are_stored_at_whole_seconds_in_utc() {
        let t = time::macros::datetime!(2026-04-01 09:00:00.123456 +09:00);
        assert_eq!(
            Value::from(t),
            Value::Timestamp(Some(time::macros::datetime!(2026-04-01 00:00:00 UTC)))
        );
    }
}
