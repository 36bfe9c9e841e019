//! The data key: 32 random bytes that encrypt the SQLite database (SQLCipher), wrap each
//! attachment's own key, and can seal backups. It comes from `TSUNAGU_DATABASE_KEY` (64 hex
//! digits) or from a key file (one line of 64 hex digits, mode 0600), by default beside the
//! SQLite database; Tsunagu makes that file on the first start. Only its fingerprint is ever
//! printed or logged.

use std::{
    fmt,
    path::{Path, PathBuf},
};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::{db::query, Db, Error, Result};

/// The variable that may hold the key instead of a file.
pub const KEY_ENV: &str = "TSUNAGU_DATABASE_KEY";

#[derive(Clone, PartialEq, Eq)]
pub struct DataKey([u8; 32]);

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key itself, in logs or panics.
        write!(f, "DataKey({})", self.fingerprint())
    }
}

impl DataKey {
    pub fn generate() -> DataKey {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        DataKey(bytes)
    }

    pub fn from_bytes(bytes: [u8; 32]) -> DataKey {
        DataKey(bytes)
    }

    /// 64 hex digits (surrounding white space ignored).
    pub fn from_hex(text: &str) -> Result<DataKey> {
        let bytes = hex::decode(text.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok());
        bytes.map(DataKey).ok_or_else(|| {
            Error::Other("データ鍵は64桁の16進数で指定してください（256ビット）。".into())
        })
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A short name for the key that reveals nothing of it: `ab12-cd34-ef56-7890`.
    pub fn fingerprint(&self) -> String {
        let digest = self.derive(b"tsunagu key fingerprint");
        let hex = hex::encode(&digest[..8]);
        hex.as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }

    /// A key for one purpose, derived from this one (a hash with a label over a uniformly
    /// random key): keys for different uses never coincide.
    pub fn derive(&self, label: &[u8]) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(label);
        hasher.update([0]);
        hasher.update(self.0);
        hasher.finalize().into()
    }

    /// The SQLCipher `PRAGMA key` value: a raw key, so no key derivation runs per connection.
    pub(crate) fn sqlcipher_pragma(&self) -> String {
        format!("\"x'{}'\"", self.to_hex())
    }

    /// Reads a key file.
    pub fn read_file(path: &Path) -> Result<DataKey> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Other(format!("鍵ファイル {} を読めません: {e}", path.display()))
        })?;
        DataKey::from_hex(text.lines().next().unwrap_or("")).map_err(|_| {
            Error::Other(format!(
                "鍵ファイル {} の中身が鍵ではありません（64桁の16進数の1行）。",
                path.display()
            ))
        })
    }

    /// Writes a key file that only its owner may read, never over an existing one.
    pub fn write_file(&self, path: &Path) -> Result<()> {
        use std::io::Write;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::Other(format!("{} を作れません: {e}", dir.display())))?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(|e| {
            Error::Other(format!("鍵ファイル {} を作れません: {e}", path.display()))
        })?;
        writeln!(file, "{}", self.to_hex())
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::Other(format!("鍵ファイル {} を書けません: {e}", path.display())))
    }
}

/// Where a key came from, to say so at start without saying the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    File(PathBuf),
    /// A key file made just now, on the first start.
    NewFile(PathBuf),
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Environment => write!(f, "環境変数 {KEY_ENV}"),
            KeySource::File(p) => write!(f, "鍵ファイル {}", p.display()),
            KeySource::NewFile(p) => write!(f, "新しく作った鍵ファイル {}", p.display()),
        }
    }
}

/// The key file's default place: beside a SQLite database (`tsunagu-data/tsunagu.key`).
/// PostgreSQL has none: several servers must share one key, so it is named explicitly.
pub fn default_key_file(database_url: &str) -> Option<PathBuf> {
    crate::db::sqlite_path(database_url).map(|p| p.with_extension("key"))
}

/// Finds the key for `database_url`: the variable's value, else the named or default key
/// file. A missing file is made with a new key only when there is no database yet to lose
/// (a SQLite file that does not exist or is not yet encrypted; a PostgreSQL database is checked
/// against its recorded fingerprint by [`check`] when opened).
pub fn resolve(
    env_value: Option<&str>,
    key_file: Option<&Path>,
    database_url: &str,
) -> Result<(DataKey, KeySource)> {
    if let Some(value) = env_value.filter(|v| !v.trim().is_empty()) {
        return Ok((DataKey::from_hex(value)?, KeySource::Environment));
    }
    let path = match key_file {
        Some(p) => p.to_owned(),
        None => default_key_file(database_url).ok_or_else(|| {
            Error::Other(format!(
                "PostgreSQL ではデータ鍵を指定してください（--database-key-file か {KEY_ENV}）。すべてのサーバーで同じ鍵を使います。"
            ))
        })?,
    };
    if path.exists() {
        return Ok((DataKey::read_file(&path)?, KeySource::File(path)));
    }
    if let Some(db_path) = crate::db::sqlite_path(database_url) {
        if is_encrypted_sqlite(db_path) {
            return Err(Error::Other(format!(
                "データベース {} は暗号化されていますが、鍵ファイル {} がありません。鍵ファイルを元の場所に戻してください。",
                db_path.display(),
                path.display()
            )));
        }
    }
    let key = DataKey::generate();
    key.write_file(&path)?;
    Ok((key, KeySource::NewFile(path)))
}

/// The key if there is one already, from the variable or the named or default file; never
/// makes one (to open an archive, or for a script reading the database).
pub fn existing(
    env_value: Option<&str>,
    key_file: Option<&Path>,
    database_url: &str,
) -> Result<Option<DataKey>> {
    if let Some(value) = env_value.filter(|v| !v.trim().is_empty()) {
        return DataKey::from_hex(value).map(Some);
    }
    match key_file
        .map(Path::to_owned)
        .or_else(|| default_key_file(database_url))
    {
        Some(path) if path.exists() => DataKey::read_file(&path).map(Some),
        _ => Ok(None),
    }
}

/// [`existing`] as a program outside the CLI finds it: `TSUNAGU_DATABASE_KEY`, else
/// `TSUNAGU_DATABASE_KEY_FILE`, else the file beside the SQLite database.
pub fn from_environment(database_url: &str) -> Result<DataKey> {
    let file = std::env::var_os("TSUNAGU_DATABASE_KEY_FILE").map(PathBuf::from);
    existing(
        std::env::var(KEY_ENV).ok().as_deref(),
        file.as_deref(),
        database_url,
    )?
    .ok_or_else(|| {
        Error::Other(format!(
            "データ鍵がありません（{KEY_ENV} か TSUNAGU_DATABASE_KEY_FILE を指定してください）"
        ))
    })
}

/// Whether the SQLite file exists with content and without SQLite's plaintext header. Reads
/// the first bytes only, and only before this process opens the database (see
/// `db::is_plaintext` on why a database file is not opened beside SQLite's connections).
pub fn is_encrypted_sqlite(path: &Path) -> bool {
    use std::io::Read;
    let mut head = Vec::with_capacity(16);
    match std::fs::File::open(path).and_then(|f| f.take(16).read_to_end(&mut head)) {
        Ok(n) => n > 0 && !head.starts_with(PLAINTEXT_HEADER),
        Err(_) => false,
    }
}

/// The first bytes of every unencrypted SQLite file.
pub const PLAINTEXT_HEADER: &[u8] = b"SQLite format 3\0";

/// Records the key's check value in a database opened for the first time, and refuses a key
/// other than the recorded one (on PostgreSQL the database opens with any key, but its
/// attachments would not). The table (migration 0018) is left out of backups: a restored
/// database belongs to the key it was restored with.
pub async fn check(db: &Db, key: &DataKey) -> Result<()> {
    let check_value = hex::encode(key.derive(b"tsunagu key check"));
    let found: Option<(String, String)> =
        query("SELECT fingerprint, check_value FROM _tsunagu_data_key WHERE id = 1")
            .fetch_optional(db)
            .await?;
    match found {
        Some((_, v)) if v == check_value => Ok(()),
        Some((fingerprint, _)) => Err(Error::WrongDataKey(format!(
            "データ鍵がこのデータベースのものではありません（指定された鍵 {}、データベースの鍵 {fingerprint}）。",
            key.fingerprint()
        ))),
        None => {
            query(
                "INSERT INTO _tsunagu_data_key (id, fingerprint, check_value) VALUES (1, $1, $2) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(key.fingerprint())
            .bind(check_value)
            .execute(db)
            .await?;
            // Another server may have recorded its key at the same moment: read again.
            Box::pin(check(db, key)).await
        }
    }
}

/// Replaces the recorded check value (after `tsunagu rekey`).
pub async fn record(tx: &mut crate::db::Tx, key: &DataKey) -> Result<()> {
    query("UPDATE _tsunagu_data_key SET fingerprint = $1, check_value = $2 WHERE id = 1")
        .bind(key.fingerprint())
        .bind(hex::encode(key.derive(b"tsunagu key check")))
        .execute(tx)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_hex_and_fingerprints_hide_them() {
        let key = DataKey::generate();
        assert_eq!(DataKey::from_hex(&key.to_hex()).unwrap(), key);
        assert_ne!(key, DataKey::generate());
        let fp = key.fingerprint();
        assert_eq!(fp.len(), 19);
        assert!(!key.to_hex().contains(&fp.replace('-', "")));
        assert!(!format!("{key:?}").contains(&key.to_hex()));
        assert!(DataKey::from_hex("abc").is_err());
        assert!(DataKey::from_hex(&"g".repeat(64)).is_err());
    }

    #[test]
    fn derived_keys_differ_by_label() {
        let key = DataKey::from_bytes([1; 32]);
        assert_ne!(key.derive(b"a"), key.derive(b"b"));
        assert_eq!(key.derive(b"a"), key.derive(b"a"));
    }

    #[test]
    fn a_key_file_is_made_once_owner_only_and_read_back() {
        let dir = std::env::temp_dir().join(format!("tsunagu-keys-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let url = format!("sqlite://{}/t.db", dir.display());
        let (key, source) = resolve(None, None, &url).unwrap();
        let path = dir.join("t.key");
        assert_eq!(source, KeySource::NewFile(path.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (again, source) = resolve(None, None, &url).unwrap();
        assert_eq!(again, key);
        assert_eq!(source, KeySource::File(path.clone()));
        // The variable wins over the file.
        let other = DataKey::generate();
        assert_eq!(resolve(Some(&other.to_hex()), None, &url).unwrap().0, other);
        // An encrypted database whose key file is gone is not given a new key.
        std::fs::write(dir.join("t.db"), [0x5a; 64]).unwrap();
        std::fs::remove_file(&path).unwrap();
        let err = resolve(None, None, &url).unwrap_err().to_string();
        assert!(err.contains("鍵ファイル"), "{err}");
        assert!(!path.exists());
        assert!(resolve(None, None, "postgres://x@h/db").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
