//! Where attachment bytes live: local disk under the data folder by default, or an
//! S3-compatible object store (`s3://bucket/prefix`), which several app servers can share.
//! Files are named by random keys, so a name says nothing about a child.

use std::{path::PathBuf, sync::Arc};

use object_store::{aws::AmazonS3Builder, path::Path as ObjectPath, ObjectStore, PutPayload};

use crate::{Error, Result};

#[derive(Clone, Debug)]
pub enum BlobStore {
    Local(PathBuf),
    /// An S3-compatible bucket; keys go under `prefix`.
    Object {
        store: Arc<dyn ObjectStore>,
        prefix: String,
    },
}

impl BlobStore {
    /// `s3://bucket[/prefix]`, with the endpoint, region and credentials from the usual
    /// `AWS_*` variables (`AWS_ENDPOINT`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`; `AWS_ALLOW_HTTP=true` for a plain-HTTP endpoint on a private
    /// network).
    pub fn object_store(url: &str) -> Result<BlobStore> {
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
        Ok(BlobStore::Object {
            store: Arc::new(store),
            prefix: prefix.trim_matches('/').to_owned(),
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
    ) -> Result<BlobStore> {
        match (url.filter(|u| !u.is_empty()), dir) {
            (Some(url), _) => BlobStore::object_store(url),
            (None, Some(dir)) => Ok(BlobStore::Local(dir.to_owned())),
            (None, None) => Ok(BlobStore::local_for(database_url)),
        }
    }

    /// The folder beside a SQLite database (`tsunagu-data/attachments`), or `tsunagu-data/attachments`.
    pub fn local_for(database_url: &str) -> BlobStore {
        let dir = crate::db::sqlite_path(database_url)
            .and_then(|p| p.parent().map(|d| d.join("attachments")))
            .unwrap_or_else(|| PathBuf::from("tsunagu-data/attachments"));
        BlobStore::Local(dir)
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
        match self {
            BlobStore::Local(dir) => {
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
            BlobStore::Object { store, prefix } => {
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

    pub async fn get(&self, key: &str) -> Result<Vec<u8>> {
        match self {
            BlobStore::Local(dir) => tokio::fs::read(Self::path(dir, key)?)
                .await
                .map_err(|e| Error::Other(format!("attachment store: {e}"))),
            BlobStore::Object { store, prefix } => {
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
        match self {
            BlobStore::Local(dir) => {
                if let Ok(path) = Self::path(dir, key) {
                    let _ = tokio::fs::remove_file(path).await;
                }
            }
            BlobStore::Object { store, prefix } => {
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
