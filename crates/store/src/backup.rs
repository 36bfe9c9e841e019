//! Backups: one portable archive of the whole database and its attachments, written while the
//! server runs and restorable into an empty database of either backend, so moving from an
//! office PC's SQLite to the prefecture's PostgreSQL is a backup and a restore.
//!
//! The file: a line `TSUNAGU-BACKUP 1`, a line of JSON ([`Header`]: when, from which backend,
//! at which migration, how the rest is sealed), then the payload: JSON lines, gzip'd, and
//! sealed in XChaCha20-Poly1305 STREAM chunks (the header is each chunk's associated data)
//! under a key from a passphrase (Argon2id) or from the data key ([`Seal`]). Every new archive
//! is sealed; unsealed ones from before that still restore. The payload's lines are `{"table":…,"columns":[…]}` followed
//! by that table's rows as arrays, `{"attachment":key,"data":base64}` for each file, and last
//! `{"end":{…}}` with the SHA-256 of every line before it and the counts.
//!
//! Values are written in one form whichever backend they come from: integers as numbers, text
//! as strings, booleans as 0/1, dates `YYYY-MM-DD`, timestamps RFC 3339 in UTC.

use std::{
    collections::{BTreeMap, HashMap},
    io::{self, BufRead, BufReader, Read, Write},
    path::Path,
};

use base64::{engine::general_purpose::STANDARD, Engine};
use chacha20poly1305::{
    aead::{
        stream::{DecryptorBE32, EncryptorBE32},
        KeyInit, Payload,
    },
    XChaCha20Poly1305,
};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};
use sqlx::{postgres::PgRow, sqlite::SqliteRow, Column, FromRow, Row as _, TypeInfo, ValueRef};
use time::{format_description::well_known::Rfc3339, macros::format_description, Date};

use crate::{
    audit::{self, How, Verification},
    blobs::BlobStore,
    bulk,
    db::{query, query_dialect, Backend, Db, Tx, TxConn, Value},
    keys::DataKey,
    Error, Result,
};

const MAGIC: &str = "TSUNAGU-BACKUP 1";
/// Plaintext bytes per sealed chunk.
const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;
/// Rows per insert while restoring.
const BATCH: usize = 500;

/// What the first JSON line of an archive says.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Header {
    pub created_at: String,
    pub source: String,
    /// The newest migration applied to the database it was made from.
    pub schema_version: i64,
    pub tsunagu_version: String,
    pub sealing: Option<Sealing>,
    /// The head of the audit chain it holds, as a checkpoint line ([`audit::Checkpoint`]):
    /// every archive kept elsewhere is a checkpoint of the database it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_checkpoint: Option<String>,
}

/// How a sealed payload's key is made (from a passphrase with Argon2id, or from the data key:
/// `kdf` "data-key", with its fingerprint), and the stream's nonce.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Sealing {
    pub kdf: String,
    pub salt: String,
    pub memory_kib: u32,
    pub iterations: u32,
    pub cipher: String,
    pub nonce: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_fingerprint: Option<String>,
}

/// What a new archive is sealed with: every archive is.
#[derive(Clone, Copy, Debug)]
pub enum Seal<'a> {
    Passphrase(&'a str),
    DataKey(&'a DataKey),
}

/// What may open an archive: its passphrase, or the data key it was sealed with.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unseal<'a> {
    pub passphrase: Option<&'a str>,
    pub key: Option<&'a DataKey>,
}

/// What a backup wrote or a restore loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub tables: u64,
    pub rows: u64,
    pub attachments: u64,
    pub audit_entries: i64,
}

/// Writes the archive of `db` and `blobs` to `path` (through `path.part`, renamed when whole,
/// mode 0600). The database keeps serving meanwhile: it is read from one snapshot.
pub async fn create(db: &Db, blobs: &BlobStore, path: &Path, seal: Seal<'_>) -> Result<Summary> {
    let part = path.with_extension("part");
    let written = write_archive(db, blobs, &part, seal).await;
    let summary = match written {
        Ok(summary) => summary,
        Err(e) => {
            // No half archive is left to be mistaken for a generation.
            let _ = std::fs::remove_file(&part);
            return Err(match e {
                Error::Tampered(key) => Error::Other(format!(
                    "添付ファイル {key} が改ざんされているか壊れているため、バックアップを取りやめました。"
                )),
                other => other,
            });
        }
    };
    std::fs::rename(&part, path).map_err(|e| Error::Other(format!("{}: {e}", path.display())))?;
    Ok(summary)
}

async fn write_archive(db: &Db, blobs: &BlobStore, part: &Path, seal: Seal<'_>) -> Result<Summary> {
    let mut tx = db.begin_snapshot().await?;
    let header = Header {
        created_at: crate::now().format(&Rfc3339).map_err(other)?,
        source: backend_name(db.backend()).into(),
        schema_version: applied_migration(&mut tx).await?,
        tsunagu_version: env!("CARGO_PKG_VERSION").into(),
        sealing: Some(Sealing::new(seal)),
        audit_checkpoint: Some(audit::head_line_in(&mut tx).await?),
    };
    let mut out = PayloadWriter::create(part, &header, seal)?;
    let mut summary = Summary::default();
    for table in load_order(&schema(&mut tx).await?)? {
        let columns: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        out.line(&json!({ "table": table.name, "columns": columns }))
            .map_err(other)?;
        let sql = select_all(&table);
        let rows =
            for_each_record(&mut tx, &sql, |record| out.line(&Json::Array(record.0))).await?;
        out.counts.insert(table.name.clone(), rows);
        summary.tables += 1;
        summary.rows += rows;
        if table.name == "audit_log" {
            summary.audit_entries = rows as i64;
        }
    }
    let keys: Vec<(String,)> = query("SELECT storage_key FROM attachments ORDER BY id")
        .fetch_all(&mut tx)
        .await?;
    tx.commit().await?;
    for (key,) in keys {
        let bytes = blobs.get(&key).await?;
        out.line(&json!({ "attachment": key, "data": STANDARD.encode(bytes) }))
            .map_err(other)?;
        summary.attachments += 1;
    }
    out.finish(summary.attachments)?;
    Ok(summary)
}

/// Whether the file at `path` is a backup archive (it begins with the archive's first line).
pub fn is_archive(path: &Path) -> bool {
    let mut head = [0u8; MAGIC.len()];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| head == MAGIC.as_bytes())
}

/// Reads an archive's header, to say what it holds before restoring.
pub fn read_header(path: &Path) -> Result<Header> {
    let mut file = BufReader::new(open_file(path)?);
    read_header_from(&mut file)
}

/// Loads the archive at `path` into `db`, which must be empty (only migrated), and its files
/// into `blobs`. Nothing is kept unless all of it loads, its checksum and counts match and the
/// audit chain verifies; then the database is migrated to this binary's newest schema.
pub async fn restore(
    db: &Db,
    blobs: &BlobStore,
    path: &Path,
    unseal: Unseal<'_>,
) -> Result<Summary> {
    let mut file = BufReader::new(open_file(path)?);
    let header = read_header_from(&mut file)?;
    if header.schema_version > Db::latest_migration() {
        return Err(Error::Other(format!(
            "このバックアップは新しい版のTsunagu（データ形式 {}）で作られています。Tsunaguを更新してから復元してください。",
            header.schema_version
        )));
    }
    let mut reader = BufReader::new(PayloadReader::open(file, &header, unseal)?);
    // The first chunk opens only with the right passphrase: find out before touching the target.
    reader.fill_buf().map_err(damaged)?;
    prepare_empty_target(db, header.schema_version).await?;

    let mut written = Vec::new();
    let result = load(db, blobs, &header, unseal, &mut reader, &mut written).await;
    if result.is_err() {
        for key in &written {
            blobs.delete(key).await;
        }
    }
    let summary = result?;
    db.migrate().await?;
    Ok(summary)
}

/// Checks an archive without restoring it anywhere that matters: it is loaded into a scratch
/// SQLite database (encrypted under a key that lives only in memory) and a scratch folder,
/// which verify the checksum, the counts, every value and the audit chain exactly as a restore
/// would, and are then removed.
pub async fn verify(path: &Path, unseal: Unseal<'_>) -> Result<Summary> {
    read_header(path)?;
    let scratch = std::env::temp_dir().join(format!(
        "tsunagu-verify-{}-{}",
        std::process::id(),
        crate::secret::random_token()
    ));
    std::fs::create_dir_all(&scratch).map_err(other)?;
    let key = DataKey::generate();
    let result = async {
        let url = format!("sqlite://{}", scratch.join("verify.db").display());
        let db = Db::connect(&url, &key).await?;
        let blobs = BlobStore::local(scratch.join("attachments"), &key);
        let summary = restore(&db, &blobs, path, unseal).await;
        db.close().await;
        summary
    }
    .await;
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

/// A new archive's name in a folder of generations: `tsunagu-20261201-030000.backup`, by the
/// local clock (names sort as times do).
pub fn generation_path(dir: &Path) -> Result<std::path::PathBuf> {
    let mut at = time::OffsetDateTime::now_local().unwrap_or_else(|_| crate::now());
    loop {
        let name = at
            .format(format_description!(
                "tsunagu-[year][month][day]-[hour][minute][second].backup"
            ))
            .map_err(other)?;
        let path = dir.join(name);
        // Two backups within one second: the later takes the next second's name.
        if !path.exists() {
            return Ok(path);
        }
        at += time::Duration::SECOND;
    }
}

/// Keeps the newest `keep` generations in `dir` (files named by [`generation_path`]) and
/// removes the older ones; answers the removed paths. Other files are never touched.
pub fn rotate(dir: &Path, keep: usize) -> Result<Vec<std::path::PathBuf>> {
    let mut generations: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::Other(format!("{} を読めません: {e}", dir.display())))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_generation_name)
        })
        .collect();
    generations.sort();
    let excess = generations.len().saturating_sub(keep.max(1));
    let removed: Vec<_> = generations.drain(..excess).collect();
    for path in &removed {
        std::fs::remove_file(path)
            .map_err(|e| Error::Other(format!("{} を消せません: {e}", path.display())))?;
    }
    Ok(removed)
}

fn is_generation_name(name: &str) -> bool {
    let Some(stamp) = name
        .strip_prefix("tsunagu-")
        .and_then(|n| n.strip_suffix(".backup"))
    else {
        return false;
    };
    let b = stamp.as_bytes();
    b.len() == 15
        && b[8] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 8 || c.is_ascii_digit())
}

/// Every table's rows in the archive's form, each row as a JSON text, sorted: two databases
/// with equal contents give equal maps, whichever backends they are on.
pub async fn contents(db: &Db) -> Result<BTreeMap<String, Vec<String>>> {
    let mut tx = db.begin_snapshot().await?;
    let mut all = BTreeMap::new();
    for table in schema(&mut tx).await? {
        let mut rows = Vec::new();
        for_each_record(&mut tx, &select_all(&table), |record| {
            let row: serde_json::Map<String, Json> = table
                .columns
                .iter()
                .map(|c| c.name.clone())
                .zip(record.0)
                .collect();
            rows.push(Json::Object(row).to_string());
            Ok(())
        })
        .await?;
        rows.sort();
        all.insert(table.name, rows);
    }
    tx.commit().await?;
    Ok(all)
}

fn select_all(table: &Table) -> String {
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| format!("\"{}\"", c.name))
        .collect();
    format!("SELECT {} FROM \"{}\"", columns.join(", "), table.name)
}

async fn prepare_empty_target(db: &Db, version: i64) -> Result<()> {
    let applied: Option<i64> = match query("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_optional::<(Option<i64>,)>(db)
        .await
    {
        Ok(row) => row.and_then(|(v,)| v),
        // No migrations table: a database never used.
        Err(_) => None,
    };
    if applied.is_some_and(|v| v != version) {
        return Err(Error::Other(format!(
            "復元先のデータベースはすでに別のデータ形式（{}）で作られています。空のデータベースを指定してください。",
            applied.unwrap_or_default()
        )));
    }
    db.migrate_to(version).await?;
    for table in ["users", "children", "audit_log"] {
        let (n,): (i64,) = query(format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(db)
            .await?;
        if n > 0 {
            return Err(Error::Other(
                "復元先のデータベースは空ではありません（利用者・児童・監査ログがあります）。空のデータベースを指定してください。"
                    .into(),
            ));
        }
    }
    Ok(())
}

/// The table being loaded: where its archive columns go and the rows waiting to be inserted.
struct Loading {
    table: Table,
    columns: Vec<String>,
    kinds: Vec<Kind>,
    /// Positions of columns that refer to the same table: inserted as NULL, set afterwards,
    /// so a row may point to one that comes later (a merged child's record).
    self_refs: Vec<usize>,
    id_at: Option<usize>,
    batch: Vec<Vec<Value>>,
    later: Vec<(Value, usize, Value)>,
    rows: u64,
}

async fn load(
    db: &Db,
    blobs: &BlobStore,
    header: &Header,
    unseal: Unseal<'_>,
    reader: &mut impl BufRead,
    written: &mut Vec<String>,
) -> Result<Summary> {
    let mut tx = db.begin().await?;
    let tables: HashMap<String, Table> = schema(&mut tx)
        .await?
        .into_iter()
        .map(|t| (t.name.clone(), t))
        .collect();
    // The migrations' own rows (regions, municipalities, categories…) give way to the archive's.
    let order = load_order(&tables.values().cloned().collect::<Vec<_>>())?;
    for table in order.iter().rev() {
        if table.name != "audit_log" {
            query(format!("DELETE FROM \"{}\"", table.name))
                .execute(&mut tx)
                .await?;
        }
    }

    let mut hasher = Sha256::new();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut current: Option<Loading> = None;
    let mut summary = Summary::default();
    let mut line = Vec::new();
    let mut ended = false;
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).map_err(damaged)?;
        if n == 0 {
            break;
        }
        let value: Json = serde_json::from_slice(&line).map_err(|_| damaged_msg())?;
        if let Some(end) = value.get("end") {
            finish_table(&mut tx, current.take(), &mut counts).await?;
            check_end(
                end,
                &hex::encode(hasher.clone().finalize()),
                &counts,
                &summary,
            )?;
            ended = true;
            break;
        }
        hasher.update(&line);
        match value {
            Json::Array(values) => {
                let loading = current.as_mut().ok_or_else(damaged_msg)?;
                let mut row = Vec::with_capacity(values.len());
                for (i, v) in values.iter().enumerate() {
                    let kind = *loading.kinds.get(i).ok_or_else(damaged_msg)?;
                    row.push(to_value(kind, v).ok_or_else(|| {
                        Error::Other(format!(
                            "バックアップの値を読めません（{}.{}）",
                            loading.table.name, loading.columns[i]
                        ))
                    })?);
                }
                for &i in &loading.self_refs {
                    let null = Value::I64(None);
                    let v = std::mem::replace(&mut row[i], null);
                    if v != Value::I64(None) {
                        let id = loading
                            .id_at
                            .map(|at| row[at].clone())
                            .ok_or_else(damaged_msg)?;
                        loading.later.push((id, i, v));
                    }
                }
                loading.batch.push(row);
                loading.rows += 1;
                summary.rows += 1;
                if loading.batch.len() >= BATCH {
                    flush(&mut tx, loading).await?;
                }
            }
            Json::Object(directive) => {
                if let Some(name) = directive.get("table").and_then(Json::as_str) {
                    finish_table(&mut tx, current.take(), &mut counts).await?;
                    let table = tables
                        .get(name)
                        .cloned()
                        .ok_or_else(|| Error::Other(format!("復元先に表 {name} がありません")))?;
                    let columns: Vec<String> = directive
                        .get("columns")
                        .and_then(Json::as_array)
                        .ok_or_else(damaged_msg)?
                        .iter()
                        .map(|c| c.as_str().map(str::to_owned).ok_or_else(damaged_msg))
                        .collect::<Result<_>>()?;
                    let mut kinds = Vec::new();
                    for c in &columns {
                        let column =
                            table.columns.iter().find(|t| &t.name == c).ok_or_else(|| {
                                Error::Other(format!("復元先の表 {name} に列 {c} がありません"))
                            })?;
                        kinds.push(column.kind);
                    }
                    let self_refs = columns
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| table.self_refs.contains(c))
                        .map(|(i, _)| i)
                        .collect();
                    summary.tables += 1;
                    current = Some(Loading {
                        id_at: columns.iter().position(|c| c == "id"),
                        table,
                        columns,
                        kinds,
                        self_refs,
                        batch: Vec::new(),
                        later: Vec::new(),
                        rows: 0,
                    });
                } else if let Some(key) = directive.get("attachment").and_then(Json::as_str) {
                    finish_table(&mut tx, current.take(), &mut counts).await?;
                    let data = directive
                        .get("data")
                        .and_then(Json::as_str)
                        .and_then(|d| STANDARD.decode(d).ok())
                        .ok_or_else(damaged_msg)?;
                    blobs.put_as(key, &data).await?;
                    written.push(key.to_owned());
                    summary.attachments += 1;
                } else {
                    return Err(damaged_msg());
                }
            }
            _ => return Err(damaged_msg()),
        }
    }
    if !ended {
        return Err(Error::Other(
            "バックアップが途中で切れています（最後の記録がありません）。".into(),
        ));
    }
    let with_ids: Vec<&str> = tables
        .values()
        .filter(|t| t.columns.iter().any(|c| c.name == "id"))
        .map(|t| t.name.as_str())
        .collect();
    bulk::reset_sequences(&mut tx, &with_ids).await?;
    summary.audit_entries = load_chain(&mut tx, header, unseal).await?;
    tx.commit().await?;
    Ok(summary)
}

/// Checks the archive's audit chain as far as the keys at hand allow, and seals it under the
/// target's key: fully when it was sealed under the target's key or the data key that opens
/// the archive, by its links and the header's checkpoint otherwise (the archive's seal vouches
/// for the rest). An archive from before keyed chains is checked as it is; the migration that
/// follows the restore seals it.
async fn load_chain(tx: &mut Tx, header: &Header, unseal: Unseal<'_>) -> Result<i64> {
    let broken = |entry_id: i64, reason: &str| {
        Error::Other(format!(
            "バックアップの監査ログの連鎖が途切れています（記録 {entry_id}: {reason}）。復元を取りやめました。"
        ))
    };
    if header.schema_version < audit::KEYED_SINCE_MIGRATION {
        return match audit::verify_in(tx, How::Legacy).await? {
            Verification::Intact { entries } => Ok(entries),
            Verification::Broken { entry_id, reason } => Err(broken(entry_id, reason)),
            Verification::Truncated { from, .. } => Err(broken(from, "missing entry")),
        };
    }
    let checkpoint = header
        .audit_checkpoint
        .as_deref()
        .and_then(audit::Checkpoint::parse_unchecked)
        .map(|(c, _)| c)
        .ok_or_else(|| broken(0, "no checkpoint in the header"))?;
    let last: Option<(i64, String)> =
        query("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
    let (last_id, last_hash) = last.unwrap_or((0, audit::GENESIS.to_owned()));
    if last_id != checkpoint.id || last_hash != checkpoint.hash {
        return Err(broken(
            last_id + 1,
            "the chain does not end at the header's checkpoint",
        ));
    }
    let target = tx.chain_key().clone();
    let opener = unseal.key.map(audit::ChainKey::of);
    let how = if checkpoint.keyed_by == target.keyed_by() {
        How::Keyed(&target)
    } else {
        match &opener {
            Some(k) if k.keyed_by() == checkpoint.keyed_by => How::Keyed(k),
            _ => How::LinksOnly,
        }
    };
    audit::reseal(tx, how).await.map_err(|e| match e {
        Error::Other(m) => Error::Other(format!("{m} 復元を取りやめました。")),
        other => other,
    })
}

async fn flush(tx: &mut Tx, loading: &mut Loading) -> Result<()> {
    let columns: Vec<&str> = loading.columns.iter().map(String::as_str).collect();
    let rows = std::mem::take(&mut loading.batch);
    bulk::insert_rows(tx, &format!("\"{}\"", loading.table.name), &columns, rows).await
}

async fn finish_table(
    tx: &mut Tx,
    loading: Option<Loading>,
    counts: &mut BTreeMap<String, u64>,
) -> Result<()> {
    let Some(mut loading) = loading else {
        return Ok(());
    };
    flush(tx, &mut loading).await?;
    for (id, column, value) in std::mem::take(&mut loading.later) {
        query(format!(
            "UPDATE \"{}\" SET \"{}\" = $1 WHERE id = $2",
            loading.table.name, loading.columns[column]
        ))
        .bind(value)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    counts.insert(loading.table.name.clone(), loading.rows);
    Ok(())
}

fn check_end(
    end: &Json,
    sha256: &str,
    counts: &BTreeMap<String, u64>,
    summary: &Summary,
) -> Result<()> {
    if end.get("sha256").and_then(Json::as_str) != Some(sha256) {
        return Err(Error::Other(
            "バックアップのチェックサムが一致しません。ファイルが壊れています。復元を取りやめました。".into(),
        ));
    }
    let expected: BTreeMap<String, u64> = end
        .get("rows")
        .and_then(|r| serde_json::from_value(r.clone()).ok())
        .ok_or_else(damaged_msg)?;
    let attachments = end.get("attachments").and_then(Json::as_u64);
    if &expected != counts || attachments != Some(summary.attachments) {
        return Err(Error::Other(
            "バックアップの件数が記録と一致しません。ファイルが壊れています。復元を取りやめました。".into(),
        ));
    }
    Ok(())
}

fn damaged_msg() -> Error {
    Error::Other(
        "バックアップを読めません。ファイルが壊れているか、Tsunaguのバックアップではありません。"
            .into(),
    )
}

fn damaged(e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::PermissionDenied {
        return Error::Other(
            "バックアップを開けません。パスフレーズが違うか、ファイルが壊れています。".into(),
        );
    }
    damaged_msg()
}

fn other(e: impl std::fmt::Display) -> Error {
    Error::Other(e.to_string())
}

fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

async fn applied_migration(tx: &mut Tx) -> Result<i64> {
    let (v,): (Option<i64>,) =
        query("SELECT MAX(version) FROM _sqlx_migrations WHERE success = $1")
            .bind(true)
            .fetch_one(tx)
            .await?;
    Ok(v.unwrap_or(0))
}

fn open_file(path: &Path) -> Result<std::fs::File> {
    std::fs::File::open(path)
        .map_err(|e| Error::Other(format!("{} を開けません: {e}", path.display())))
}

fn read_header_from(file: &mut impl BufRead) -> Result<Header> {
    let mut magic = String::new();
    file.read_line(&mut magic).map_err(|_| damaged_msg())?;
    if magic.trim_end() != MAGIC {
        return Err(Error::Other(
            "Tsunaguのバックアップファイルではありません（先頭の印がありません）。".into(),
        ));
    }
    let mut line = String::new();
    file.read_line(&mut line).map_err(|_| damaged_msg())?;
    serde_json::from_str(&line).map_err(|_| damaged_msg())
}

// ---- the schema as both backends describe it ----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Integer,
    Real,
    Text,
    Bool,
    Date,
    Timestamp,
}

#[derive(Clone, Debug)]
struct TableColumn {
    name: String,
    kind: Kind,
}

#[derive(Clone, Debug)]
struct Table {
    name: String,
    columns: Vec<TableColumn>,
    parents: Vec<String>,
    self_refs: Vec<String>,
}

async fn schema(tx: &mut Tx) -> Result<Vec<Table>> {
    let backend = tx.backend();
    let names: Vec<(String,)> = query_dialect(
        // A full-text index and its shadow tables are rebuilt by the triggers on `children`.
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name NOT LIKE '\\_sqlx%' ESCAPE '\\' AND name NOT LIKE '\\_tsunagu%' ESCAPE '\\' AND sql NOT LIKE 'CREATE VIRTUAL%' \
         AND NOT EXISTS (SELECT 1 FROM sqlite_master v WHERE v.type = 'table' \
           AND v.sql LIKE 'CREATE VIRTUAL%' AND sqlite_master.name LIKE v.name || '\\_%' ESCAPE '\\') \
         ORDER BY name",
        "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() \
         AND tablename <> '_sqlx_migrations' AND tablename NOT LIKE '\\_tsunagu%' ORDER BY tablename",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut tables = Vec::new();
    for (name,) in names {
        let columns: Vec<(String, String)> = query_dialect(
            "SELECT name, upper(type) FROM pragma_table_info($1) ORDER BY cid",
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(name.as_str())
        .fetch_all(&mut *tx)
        .await?;
        let columns = columns
            .into_iter()
            .map(|(column, ty)| {
                let kind = kind_of(backend, &ty).ok_or_else(|| {
                    Error::Other(format!("unsupported column type {ty} in {name}.{column}"))
                })?;
                Ok(TableColumn { name: column, kind })
            })
            .collect::<Result<Vec<_>>>()?;
        let references: Vec<(String, String)> = query_dialect(
            "SELECT \"table\", \"from\" FROM pragma_foreign_key_list($1)",
            "SELECT r.relname::text, a.attname::text FROM pg_constraint k \
             JOIN pg_class t ON t.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid \
             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1] \
             WHERE k.contype = 'f' AND t.relname = $1 AND pg_table_is_visible(t.oid)",
        )
        .bind(name.as_str())
        .fetch_all(&mut *tx)
        .await?;
        let mut parents = Vec::new();
        let mut self_refs = Vec::new();
        for (parent, column) in references {
            if parent == name {
                self_refs.push(column);
            } else if !parents.contains(&parent) {
                parents.push(parent);
            }
        }
        tables.push(Table {
            name,
            columns,
            parents,
            self_refs,
        });
    }
    Ok(tables)
}

fn kind_of(backend: Backend, ty: &str) -> Option<Kind> {
    Some(match (backend, ty) {
        (Backend::Sqlite, "INTEGER" | "BIGINT" | "BOOLEAN") => Kind::Integer,
        (Backend::Sqlite, "REAL" | "DOUBLE") => Kind::Real,
        (Backend::Sqlite, "TEXT" | "" | "DATE") => Kind::Text,
        (Backend::Postgres, "bigint" | "integer" | "smallint") => Kind::Integer,
        (Backend::Postgres, "double precision" | "real") => Kind::Real,
        (Backend::Postgres, "text" | "character varying") => Kind::Text,
        (Backend::Postgres, "boolean") => Kind::Bool,
        (Backend::Postgres, "date") => Kind::Date,
        (Backend::Postgres, "timestamp with time zone") => Kind::Timestamp,
        _ => return None,
    })
}

/// Parents before children, by name where the references leave a choice.
fn load_order(tables: &[Table]) -> Result<Vec<Table>> {
    let mut left: Vec<Table> = tables.to_vec();
    left.sort_by(|a, b| a.name.cmp(&b.name));
    let mut done: Vec<Table> = Vec::new();
    while !left.is_empty() {
        let ready = left.iter().position(|t| {
            t.parents
                .iter()
                .all(|p| done.iter().any(|d| &d.name == p) || !tables.iter().any(|x| &x.name == p))
        });
        match ready {
            Some(i) => done.push(left.remove(i)),
            None => {
                return Err(Error::Other(format!(
                    "tables refer to each other in a cycle: {}",
                    left.iter()
                        .map(|t| t.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )))
            }
        }
    }
    Ok(done)
}

/// One archive value as the target column takes it.
fn to_value(kind: Kind, v: &Json) -> Option<Value> {
    let null = v.is_null();
    Some(match kind {
        Kind::Integer if null => Value::I64(None),
        Kind::Integer => Value::I64(Some(v.as_i64().or_else(|| v.as_bool().map(i64::from))?)),
        Kind::Real if null => Value::F64(None),
        Kind::Real => Value::F64(Some(v.as_f64()?)),
        Kind::Text if null => Value::Text(None),
        Kind::Text => Value::Text(Some(v.as_str()?.to_owned())),
        Kind::Bool if null => Value::Bool(None),
        Kind::Bool => Value::Bool(Some(v.as_i64().map(|i| i != 0).or_else(|| v.as_bool())?)),
        Kind::Date if null => Value::Date(None),
        Kind::Date => Value::Date(Some(
            Date::parse(v.as_str()?, format_description!("[year]-[month]-[day]")).ok()?,
        )),
        Kind::Timestamp if null => Value::Timestamp(None),
        Kind::Timestamp => Value::Timestamp(Some(parse_timestamp(v.as_str()?)?)),
    })
}

fn parse_timestamp(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &Rfc3339).ok().or_else(|| {
        // SQLite's own `datetime('now')` form, in UTC.
        time::PrimitiveDateTime::parse(
            s,
            format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
        )
        .ok()
        .map(|t| t.assume_utc())
    })
}

/// A row of any table, its values in the archive's form.
struct Record(Vec<Json>);

fn decode_error(what: String) -> sqlx::Error {
    sqlx::Error::Decode(what.into())
}

impl<'r> FromRow<'r, SqliteRow> for Record {
    fn from_row(row: &'r SqliteRow) -> sqlx::Result<Self> {
        let mut values = Vec::with_capacity(row.len());
        for i in 0..row.len() {
            let raw = row.try_get_raw(i)?;
            if raw.is_null() {
                values.push(Json::Null);
                continue;
            }
            let value = match raw.type_info().name() {
                "INTEGER" => json!(row.try_get_unchecked::<i64, _>(i)?),
                "REAL" => json!(row.try_get_unchecked::<f64, _>(i)?),
                "TEXT" => json!(row.try_get_unchecked::<String, _>(i)?),
                other => return Err(decode_error(format!("SQLite value of type {other}"))),
            };
            values.push(value);
        }
        Ok(Record(values))
    }
}

impl<'r> FromRow<'r, PgRow> for Record {
    fn from_row(row: &'r PgRow) -> sqlx::Result<Self> {
        let mut values = Vec::with_capacity(row.len());
        for (i, column) in row.columns().iter().enumerate() {
            if row.try_get_raw(i)?.is_null() {
                values.push(Json::Null);
                continue;
            }
            let value = match column.type_info().name() {
                "INT8" => json!(row.try_get::<i64, _>(i)?),
                "INT4" => json!(row.try_get::<i32, _>(i)?),
                "INT2" => json!(row.try_get::<i16, _>(i)?),
                "FLOAT8" => json!(row.try_get::<f64, _>(i)?),
                "FLOAT4" => json!(row.try_get::<f32, _>(i)?),
                "TEXT" | "VARCHAR" | "NAME" => json!(row.try_get::<String, _>(i)?),
                "BOOL" => json!(i64::from(row.try_get::<bool, _>(i)?)),
                "DATE" => json!(row
                    .try_get::<Date, _>(i)?
                    .format(format_description!("[year]-[month]-[day]"))
                    .map_err(|e| decode_error(e.to_string()))?),
                "TIMESTAMPTZ" => json!(row
                    .try_get::<time::OffsetDateTime, _>(i)?
                    .to_offset(time::UtcOffset::UTC)
                    .format(&Rfc3339)
                    .map_err(|e| decode_error(e.to_string()))?),
                other => return Err(decode_error(format!("PostgreSQL value of type {other}"))),
            };
            values.push(value);
        }
        Ok(Record(values))
    }
}

/// Streams the rows of `sql` through `each` without holding the table in memory.
async fn for_each_record(
    tx: &mut Tx,
    sql: &str,
    mut each: impl FnMut(Record) -> io::Result<()>,
) -> Result<u64> {
    let mut n = 0;
    match &mut tx.conn {
        TxConn::Sqlite(tx) => {
            let mut rows = sqlx::query_as::<_, Record>(sql).fetch(&mut **tx);
            while let Some(record) = rows.try_next().await? {
                each(record).map_err(other)?;
                n += 1;
            }
        }
        TxConn::Postgres(tx) => {
            let mut rows = sqlx::query_as::<_, Record>(sql).fetch(&mut **tx);
            while let Some(record) = rows.try_next().await? {
                each(record).map_err(other)?;
                n += 1;
            }
        }
    }
    Ok(n)
}

// ---- the payload: JSON lines → gzip → (sealed) → file ----

const KDF_PASSPHRASE: &str = "argon2id";
const KDF_DATA_KEY: &str = "data-key";

impl Sealing {
    fn new(seal: Seal<'_>) -> Sealing {
        use argon2::password_hash::rand_core::{OsRng, RngCore};
        let mut salt = [0u8; 16];
        let mut nonce = [0u8; 19];
        OsRng.fill_bytes(&mut salt);
        OsRng.fill_bytes(&mut nonce);
        let (kdf, memory_kib, iterations, key_fingerprint) = match seal {
            Seal::Passphrase(_) => (KDF_PASSPHRASE, 64 * 1024, 3, None),
            Seal::DataKey(key) => (KDF_DATA_KEY, 0, 0, Some(key.fingerprint())),
        };
        Sealing {
            kdf: kdf.into(),
            salt: STANDARD.encode(salt),
            memory_kib,
            iterations,
            cipher: "xchacha20poly1305-stream-be32".into(),
            nonce: STANDARD.encode(nonce),
            key_fingerprint,
        }
    }

    fn cipher(&self, unseal: Unseal<'_>) -> Result<(XChaCha20Poly1305, Vec<u8>)> {
        if self.cipher != "xchacha20poly1305-stream-be32" {
            return Err(damaged_msg());
        }
        let salt = STANDARD.decode(&self.salt).map_err(|_| damaged_msg())?;
        let nonce = STANDARD.decode(&self.nonce).map_err(|_| damaged_msg())?;
        let key: [u8; 32] = match self.kdf.as_str() {
            KDF_PASSPHRASE => {
                let passphrase = unseal.passphrase.ok_or_else(|| Error::Other(
                    "このバックアップはパスフレーズで暗号化されています。パスフレーズを指定してください（--passphrase-file または TSUNAGU_BACKUP_PASSPHRASE）。".into(),
                ))?;
                let params = argon2::Params::new(self.memory_kib, self.iterations, 1, Some(32))
                    .map_err(|_| damaged_msg())?;
                let mut key = [0u8; 32];
                argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
                    .hash_password_into(passphrase.as_bytes(), &salt, &mut key)
                    .map_err(|_| damaged_msg())?;
                key
            }
            KDF_DATA_KEY => {
                let recorded = self.key_fingerprint.as_deref().unwrap_or("?");
                let key = unseal.key.ok_or_else(|| {
                    Error::Other(format!(
                        "このバックアップはデータ鍵（指紋 {recorded}）で暗号化されています。その鍵ファイルを --database-key-file で指定してください。"
                    ))
                })?;
                if key.fingerprint() != recorded {
                    return Err(Error::WrongDataKey(format!(
                        "このバックアップは別のデータ鍵（指紋 {recorded}）で暗号化されています。指定された鍵は {} です。",
                        key.fingerprint()
                    )));
                }
                Sealing::data_key_cipher_key(key, &salt)
            }
            _ => return Err(damaged_msg()),
        };
        Ok((XChaCha20Poly1305::new(&key.into()), nonce))
    }

    fn data_key_cipher_key(key: &DataKey, salt: &[u8]) -> [u8; 32] {
        let mut label = b"tsunagu backup sealing ".to_vec();
        label.extend_from_slice(salt);
        key.derive(&label)
    }
}

fn header_bytes(header: &Header) -> Result<Vec<u8>> {
    let mut bytes = format!("{MAGIC}\n").into_bytes();
    bytes.extend(serde_json::to_vec(header).map_err(other)?);
    bytes.push(b'\n');
    Ok(bytes)
}

struct PayloadWriter {
    gzip: flate2::write::GzEncoder<Sealer>,
    hasher: Sha256,
    counts: BTreeMap<String, u64>,
}

impl PayloadWriter {
    fn create(path: &Path, header: &Header, seal: Seal<'_>) -> Result<PayloadWriter> {
        let io = |e: io::Error| Error::Other(format!("{}: {e}", path.display()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = io::BufWriter::new(options.open(path).map_err(io)?);
        let head = header_bytes(header)?;
        file.write_all(&head).map_err(io)?;
        let unseal = match seal {
            Seal::Passphrase(p) => Unseal {
                passphrase: Some(p),
                key: None,
            },
            Seal::DataKey(k) => Unseal {
                passphrase: None,
                key: Some(k),
            },
        };
        let sealer = match &header.sealing {
            Some(sealing) => {
                let (cipher, nonce) = sealing.cipher(unseal)?;
                Sealer::Sealed {
                    encryptor: Some(EncryptorBE32::from_aead(cipher, nonce.as_slice().into())),
                    file,
                    buffer: Vec::with_capacity(CHUNK),
                    aad: head,
                }
            }
            None => Sealer::Plain(file),
        };
        Ok(PayloadWriter {
            gzip: flate2::write::GzEncoder::new(sealer, flate2::Compression::fast()),
            hasher: Sha256::new(),
            counts: BTreeMap::new(),
        })
    }

    fn line(&mut self, value: &Json) -> io::Result<()> {
        let mut bytes = serde_json::to_vec(value)?;
        bytes.push(b'\n');
        self.hasher.update(&bytes);
        self.gzip.write_all(&bytes)
    }

    fn finish(mut self, attachments: u64) -> Result<()> {
        let sha256 = hex::encode(self.hasher.clone().finalize());
        let end =
            json!({ "end": { "sha256": sha256, "rows": self.counts, "attachments": attachments } });
        self.line(&end).map_err(other)?;
        let sealer = self.gzip.finish().map_err(other)?;
        let file = sealer.finish().map_err(other)?;
        let file = file.into_inner().map_err(|e| other(e.error()))?;
        file.sync_all().map_err(other)
    }
}

enum Sealer {
    Plain(io::BufWriter<std::fs::File>),
    Sealed {
        encryptor: Option<EncryptorBE32<XChaCha20Poly1305>>,
        file: io::BufWriter<std::fs::File>,
        buffer: Vec<u8>,
        aad: Vec<u8>,
    },
}

fn seal_error() -> io::Error {
    io::Error::other("encryption failed")
}

impl Write for Sealer {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match self {
            Sealer::Plain(file) => file.write(bytes),
            Sealer::Sealed {
                encryptor,
                file,
                buffer,
                aad,
            } => {
                buffer.extend_from_slice(bytes);
                // Whole chunks go out as they fill; the last, shorter one waits for `finish`.
                while buffer.len() >= CHUNK {
                    let chunk: Vec<u8> = buffer.drain(..CHUNK).collect();
                    let sealed = encryptor
                        .as_mut()
                        .ok_or_else(seal_error)?
                        .encrypt_next(Payload { msg: &chunk, aad })
                        .map_err(|_| seal_error())?;
                    file.write_all(&sealed)?;
                }
                Ok(bytes.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sealer::Plain(file) | Sealer::Sealed { file, .. } => file.flush(),
        }
    }
}

impl Sealer {
    fn finish(self) -> io::Result<io::BufWriter<std::fs::File>> {
        match self {
            Sealer::Plain(file) => Ok(file),
            Sealer::Sealed {
                encryptor,
                mut file,
                buffer,
                aad,
            } => {
                let sealed = encryptor
                    .ok_or_else(seal_error)?
                    .encrypt_last(Payload {
                        msg: &buffer,
                        aad: &aad,
                    })
                    .map_err(|_| seal_error())?;
                file.write_all(&sealed)?;
                Ok(file)
            }
        }
    }
}

/// The payload's plain JSON lines, from a file positioned after the header.
struct PayloadReader(Box<dyn Read>);

impl PayloadReader {
    fn open(
        file: BufReader<std::fs::File>,
        header: &Header,
        unseal: Unseal<'_>,
    ) -> Result<PayloadReader> {
        let opened: Box<dyn Read> = match &header.sealing {
            // Archives from before sealing was required.
            None => Box::new(file),
            Some(sealing) => {
                let (cipher, nonce) = sealing.cipher(unseal)?;
                Box::new(Opener {
                    decryptor: Some(DecryptorBE32::from_aead(cipher, nonce.as_slice().into())),
                    file,
                    aad: header_bytes(header)?,
                    plain: Vec::new(),
                    at: 0,
                })
            }
        };
        Ok(PayloadReader(Box::new(flate2::read::GzDecoder::new(
            opened,
        ))))
    }
}

impl Read for PayloadReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

struct Opener {
    decryptor: Option<DecryptorBE32<XChaCha20Poly1305>>,
    file: BufReader<std::fs::File>,
    aad: Vec<u8>,
    plain: Vec<u8>,
    at: usize,
}

/// A chunk that fails to open: a wrong passphrase or changed bytes, told apart from other
/// read errors by its kind.
fn open_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        "wrong passphrase or damaged",
    )
}

impl Read for Opener {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.plain.len() {
            if self.decryptor.is_none() {
                return Ok(0);
            }
            let mut sealed = vec![0u8; CHUNK + TAG];
            let mut n = 0;
            while n < sealed.len() {
                let got = self.file.read(&mut sealed[n..])?;
                if got == 0 {
                    break;
                }
                n += got;
            }
            sealed.truncate(n);
            let payload = Payload {
                msg: &sealed,
                aad: &self.aad,
            };
            // Only the last chunk is shorter than a whole one (see `Sealer::write`).
            self.plain = if n == CHUNK + TAG {
                self.decryptor
                    .as_mut()
                    .ok_or_else(open_error)?
                    .decrypt_next(payload)
                    .map_err(|_| open_error())?
            } else {
                self.decryptor
                    .take()
                    .ok_or_else(open_error)?
                    .decrypt_last(payload)
                    .map_err(|_| open_error())?
            };
            self.at = 0;
        }
        let n = buf.len().min(self.plain.len() - self.at);
        buf[..n].copy_from_slice(&self.plain[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_take_the_target_columns_form() {
        assert_eq!(
            to_value(Kind::Bool, &json!(1)),
            Some(Value::Bool(Some(true)))
        );
        assert_eq!(
            to_value(Kind::Integer, &json!(true)),
            Some(Value::I64(Some(1)))
        );
        assert_eq!(
            to_value(Kind::Date, &json!("2027-04-01")),
            Some(Value::Date(Some(time::macros::date!(2027 - 04 - 01))))
        );
        assert_eq!(
            to_value(Kind::Timestamp, &json!("2027-04-01T00:00:00Z")),
            Some(Value::Timestamp(Some(
                time::macros::datetime!(2027-04-01 00:00:00 UTC)
            )))
        );
        assert_eq!(
            to_value(Kind::Timestamp, &json!("2027-04-01 09:30:00")),
            Some(Value::Timestamp(Some(
                time::macros::datetime!(2027-04-01 09:30:00 UTC)
            )))
        );
        assert_eq!(to_value(Kind::Text, &json!(null)), Some(Value::Text(None)));
        assert_eq!(to_value(Kind::Integer, &json!("x")), None);
        assert_eq!(to_value(Kind::Date, &json!("2027-13-01")), None);
    }

    #[test]
    fn tables_load_after_the_tables_they_refer_to() {
        let t = |name: &str, parents: &[&str]| Table {
            name: name.into(),
            columns: vec![],
            parents: parents.iter().map(|p| p.to_string()).collect(),
            self_refs: vec![],
        };
        let order = load_order(&[t("a", &["c"]), t("b", &[]), t("c", &["b"])]).unwrap_or_default();
        let names: Vec<&str> = order.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["b", "c", "a"]);
        assert!(load_order(&[t("a", &["b"]), t("b", &["a"])]).is_err());
    }
}
