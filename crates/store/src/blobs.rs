//! Where attachment bytes live: local disk under the data folder by default, or an
//! S3-compatible object store (`s3://bucket/prefix`), which several app servers can share.
//! Files are named by random keys, so a name says nothing about a child.
//!
//! Every file is encrypted, wherever it lives: XChaCha20-Poly1305 under a key of its own,
//! and that key wrapped by the data key ([`DataKey`]). The stored form is
//! `TSGA1` · wrap nonce (24) · wrapped file key (48) · nonce (24) · ciphertext and tag, with
//! the storage key as associated data, so a changed byte, a file swapped for another or a file
//! written without the key is refused ([`Error::Tampered`]) and never served.

use std::{path::PathBuf, sync::Arc};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use chacha20poly1305::{
    aead::{Aead, KeyInit, Payload},
    XChaCha20Poly1305, XNonce,
};
use object_store::{aws::AmazonS3Builder, path::Path as ObjectPath, ObjectStore, PutPayload};

use crate::{keys::DataKey, Error, Result};

const MAGIC: &[u8] = b"TSGA1";
const NONCE: usize = 24;
const WRAPPED: usize = 32 + 16;
const HEADER: usize = MAGIC.len() + NONCE + WRAPPED + NONCE;

#[derive(Clone, Debug)]
pub struct BlobStore {
    place: Place,
    /// Wraps each file's key; derived from the data key for this use only.
    wrapping: Arc<[u8; 32]>,
}

#[derive(Clone, Debug)]
enum Place {
    Local(PathBuf),
    /// An S3-compatible bucket; keys go under `prefix`.
    Object {
        store: Arc<dyn ObjectStore>,
        prefix: String,
    },
}

impl BlobStore {
    /// Files under a folder on this machine.
    pub fn local(dir: impl Into<PathBuf>, key: &DataKey) -> BlobStore {
        BlobStore {
            place: Place::Local(dir.into()),
            wrapping: Arc::new(key.derive(b"tsunagu attachment key wrapping")),
        }
    }

    /// The same files, read and written under another data key (`tsunagu rekey`).
    pub fn with_key(&self, key: &DataKey) -> BlobStore {
        BlobStore {
            place: self.place.clone(),
            wrapping: Arc::new(key.derive(b"tsunagu attachment key wrapping")),
        }
    }

    /// Encrypts `bytes` for the storage key `key`.
    fn seal(&self, key: &str, bytes: &[u8]) -> Result<Vec<u8>> {
        let mut file_key = [0u8; 32];
        let mut wrap_nonce = [0u8; NONCE];
        let mut nonce = [0u8; NONCE];
        OsRng.fill_bytes(&mut file_key);
        OsRng.fill_bytes(&mut wrap_nonce);
        OsRng.fill_bytes(&mut nonce);
        let fail = |_| Error::Other("attachment encryption failed".into());
        let wrapped = XChaCha20Poly1305::new(self.wrapping.as_ref().into())
            .encrypt(
                XNonce::from_slice(&wrap_nonce),
                Payload {
                    msg: &file_key,
                    aad: key.as_bytes(),
                },
            )
            .map_err(fail)?;
        let sealed = XChaCha20Poly1305::new((&file_key).into())
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: bytes,
                    aad: key.as_bytes(),
                },
            )
            .map_err(fail)?;
        let mut out = Vec::with_capacity(HEADER + sealed.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&wrap_nonce);
        out.extend_from_slice(&wrapped);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Decrypts a stored file, or refuses it as tampered.
    fn open(&self, key: &str, stored: &[u8]) -> Result<Vec<u8>> {
        let tampered = || Error::Tampered(key.to_owned());
        if stored.len() < HEADER + 16 || !stored.starts_with(MAGIC) {
            return Err(tampered());
        }
        let (wrap_nonce, rest) = stored[MAGIC.len()..].split_at(NONCE);
        let (wrapped, rest) = rest.split_at(WRAPPED);
        let (nonce, sealed) = rest.split_at(NONCE);
        let file_key = XChaCha20Poly1305::new(self.wrapping.as_ref().into())
            .decrypt(
                XNonce::from_slice(wrap_nonce),
                Payload {
                    msg: wrapped,
                    aad: key.as_bytes(),
                },
            )
            .map_err(|_| tampered())?;
        let file_key: [u8; 32] = file_key.try_into().map_err(|_| tampered())?;
        XChaCha20Poly1305::new((&file_key).into())
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: key.as_bytes(),
                },
            )
            .map_err(|_| tampered())
    }

    /// Whether the stored file opens under this store's key (a rekey run again after an
    /// interruption skips what it already did).
    pub async fn opens(&self, key: &str) -> Result<bool> {
        let stored = self.get_stored(key).await?;
        Ok(self.open(key, &stored).is_ok())
    }

    /// Re-encrypts one file from the key of `from` to this store's key.
    pub async fn rewrap_from(&self, from: &BlobStore, key: &str) -> Result<()> {
        let bytes = from.get(key).await?;
        self.put_as(key, &bytes).await
    }

    /// `s3://bucket[/prefix]`, with the endpoint, region and credentials from the usual
    /// `AWS_*` variables (`AWS_ENDPOINT`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`; `AWS_ALLOW_HTTP=true` for a plain-HTTP endpoint on a private
    /// network).
    pub fn object_store(url: &str, key: &DataKey) -> Result<BlobStore> {
        let rest = url.strip_prefix("s3://").ok_or_else(|| {
            Error::Other(format!(
                "attachment store must be s3://bucket/prefix: {url}"
            ))
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(Error::Other(format!("no bucket in {url}")));
        }
        let store = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()
            .map_err(|e| Error::Other(format!("attachment store {url}: {e}")))?;
        Ok(BlobStore {
            place: Place::Object {
                store: Arc::new(store),
                prefix: prefix.trim_matches('/').to_owned(),
            },
            wrapping: Arc::new(key.derive(b"tsunagu attachment key wrapping")),
        })
    }

    fn object_path(prefix: &str, key: &str) -> Result<ObjectPath> {
        Self::check_key(key)?;
        Ok(if prefix.is_empty() {
            ObjectPath::from(key)
        } else {
            ObjectPath::from(format!("{prefix}/{key}"))
        })
    }

    fn check_key(key: &str) -> Result<()> {
        // Keys are made by Tsunagu (URL-safe base64); anything else is refused, never a path.
        if key.len() < 2
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(Error::Other("invalid attachment key".into()));
        }
        Ok(())
    }
    /// The store the options name: an object store URL, else a folder, else the folder beside
    /// the database.
    pub fn configured(
        url: Option<&str>,
        dir: Option<&std::path::Path>,
        database_url: &str,
        key: &DataKey,
    ) -> Result<BlobStore> {
        match (url.filter(|u| !u.is_empty()), dir) {
            (Some(url), _) => BlobStore::object_store(url, key),
            (None, Some(dir)) => Ok(BlobStore::local(dir, key)),
            (None, None) => Ok(BlobStore::local_for(database_url, key)),
        }
    }

    /// The folder beside a SQLite database (`tsunagu-data/attachments`), or `tsunagu-data/attachments`.
    pub fn local_for(database_url: &str, key: &DataKey) -> BlobStore {
        let dir = crate::db::sqlite_path(database_url)
            .and_then(|p| p.parent().map(|d| d.join("attachments")))
            .unwrap_or_else(|| PathBuf::from("tsunagu-data/attachments"));
        BlobStore::local(dir, key)
    }

    fn path(dir: &std::path::Path, key: &str) -> Result<PathBuf> {
        Self::check_key(key)?;
        Ok(dir.join(&key[..2]).join(key))
    }

    /// Stores `bytes` under a new key and answers it; the write is complete (synced) before it returns.
    pub async fn put(&self, bytes: &[u8]) -> Result<String> {
        let key = crate::secret::random_token();
        self.put_as(&key, bytes).await?;
        Ok(key)
    }

    /// Stores `bytes` under a key made earlier (a restore puts files back under their keys).
    pub async fn put_as(&self, key: &str, bytes: &[u8]) -> Result<()> {
        Self::check_key(key)?;
        let bytes = &self.seal(key, bytes)?;
        match &self.place {
            Place::Local(dir) => {
                let path = Self::path(dir, key)?;
                let io = |e: std::io::Error| Error::Other(format!("attachment store: {e}"));
                if let Some(parent) = path.parent() {
                    tokio::fs::create_dir_all(parent).await.map_err(io)?;
                }
                let tmp = path.with_extension("part");
                {
                    use tokio::io::AsyncWriteExt;
                    let mut f = tokio::fs::File::create(&tmp).await.map_err(io)?;
                    f.write_all(bytes).await.map_err(io)?;
                    f.sync_all().await.map_err(io)?;
                }
                tokio::fs::rename(&tmp, &path).await.map_err(io)?;
            }
            Place::Object { store, prefix } => {
                store
                    .put(
                        &Self::object_path(prefix, key)?,
                        PutPayload::from(bytes.to_vec()),
                    )
                    .await
                    .map_err(object_error)?;
            }
        }
        Ok(())
    }

    /// The file's bytes, decrypted and checked.
    pub async fn get(&self, key: &str) -> Result<Vec<u8>> {
        let stored = self.get_stored(key).await?;
        self.open(key, &stored)
    }

    async fn get_stored(&self, key: &str) -> Result<Vec<u8>> {
        match &self.place {
            Place::Local(dir) => tokio::fs::read(Self::path(dir, key)?)
                .await
                .map_err(|e| Error::Other(format!("attachment store: {e}"))),
            Place::Object { store, prefix } => {
                let found = store
                    .get(&Self::object_path(prefix, key)?)
                    .await
                    .map_err(object_error)?;
                Ok(found.bytes().await.map_err(object_error)?.to_vec())
            }
        }
    }

    /// Removes a stored file (when the record of it could not be written).
    pub async fn delete(&self, key: &str) {
        match &self.place {
            Place::Local(dir) => {
                if let Ok(path) = Self::path(dir, key) {
                    let _ = tokio::fs::remove_file(path).await;
                }
            }
            Place::Object { store, prefix } => {
                if let Ok(path) = Self::object_path(prefix, key) {
                    let _ = store.delete(&path).await;
                }
            }
        }
    }
}

fn object_error(e: object_store::Error) -> Error {
    Error::Other(format!("attachment store: {e}"))
}
