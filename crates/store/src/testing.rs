//! Fresh databases for tests, on either backend: a temporary SQLite file, or a new database on
//! the PostgreSQL server named by `TSUNAGU_TEST_POSTGRES_URL` (scripts/test starts a throwaway
//! cluster and sets it). No mocked database anywhere.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::{db::query, keys::DataKey, Backend, Db, Result};

/// Variable naming the PostgreSQL server tests create their databases on.
pub const POSTGRES_ENV: &str = "TSUNAGU_TEST_POSTGRES_URL";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The data key of every test database (a child process gets it as `TSUNAGU_DATABASE_KEY`).
pub fn key() -> DataKey {
    DataKey::from_bytes([0x42; 32])
}

fn unique_name() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("tsunagu_test_{}_{nanos}_{n}", std::process::id())
}

/// A new, migrated, empty database; answers its pool and URL (for the CLI and the server).
pub async fn fresh_database(backend: Backend) -> Result<(Db, String)> {
    let url = fresh_database_url(backend).await?;
    let db = Db::connect(&url, &key()).await?;
    db.migrate().await?;
    Ok((db, url))
}

/// The URL of a new database with nothing in it, not even the schema (for servers that
/// migrate it themselves).
pub async fn fresh_database_url(backend: Backend) -> Result<String> {
    Ok(match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join("tsunagu-tests");
            std::fs::create_dir_all(&dir).map_err(|e| crate::Error::Other(e.to_string()))?;
            format!("sqlite://{}/{}.db", dir.display(), unique_name())
        }
        Backend::Postgres => {
            let admin_url = std::env::var(POSTGRES_ENV).map_err(|_| {
                crate::Error::Other(format!(
                    "{POSTGRES_ENV} is not set: run the tests with scripts/test, which starts PostgreSQL"
                ))
            })?;
            let admin = Db::connect(&admin_url, &key()).await?;
            let name = unique_name();
            // The name is made here from digits and letters only, never from input.
            query(format!("CREATE DATABASE {name}"))
                .execute(&admin)
                .await?;
            admin.close().await;
            let base = admin_url
                .rsplit_once('/')
                .map_or(admin_url.as_str(), |(b, _)| b);
            format!("{base}/{name}")
        }
    })
}
