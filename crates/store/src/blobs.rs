//! Where attachment bytes live. Local disk under the data folder by default; the operations
//! feature adds S3-compatible storage as another variant. Files are named by random keys, so a
//! name on disk says nothing about a child.

use std::path::PathBuf;

use crate::{Error, Result};

#[derive(Clone, Debug)]
pub enum BlobStore {
    Local(PathBuf),
}

impl BlobStore {
    /// The folder beside a SQLite database (`tsunagu-data/attachments`), or `tsunagu-data/attachments`.
    pub fn local_for(database_url: &str) -> BlobStore {
        let dir = crate::db::sqlite_path(database_url)
            .and_then(|p| p.parent().map(|d| d.join("attachments")))
            .unwrap_or_else(|| PathBuf::from("tsunagu-data/attachments"));
        BlobStore::Local(dir)
    }

    fn path(dir: &std::path::Path, key: &str) -> Result<PathBuf> {
        // Keys are made by Tsunagu (URL-safe base64); anything else is refused, never a path.
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(Error::Other("invalid attachment key".into()));
        }
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
        }
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>> {
        match self {
            BlobStore::Local(dir) => tokio::fs::read(Self::path(dir, key)?)
                .await
                .map_err(|e| Error::Other(format!("attachment store: {e}"))),
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
        }
    }
}
