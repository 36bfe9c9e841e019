//! The store's one error type.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    /// A unique key refused the write; the field says which.
    #[error("conflict on {0}")]
    Conflict(&'static str),
    /// The record changed since the writer read it (its version moved to `current`): nothing
    /// was written.
    #[error("stale: the record is now version {current}")]
    Stale { current: i64 },
    /// The acting user may not do this; the refusal is already in the audit log.
    #[error("forbidden")]
    Forbidden,
    /// The case is closed (終結): read-only until it is reopened.
    #[error("closed")]
    Closed,
    /// No one is logged in: a read of anyone's data needs a user.
    #[error("unauthenticated")]
    Unauthenticated,
    /// The data breaks a rule the store checks (a reference to a row that does not exist…).
    #[error("invalid {field}: {message}")]
    Invalid {
        field: &'static str,
        message: &'static str,
    },
    #[error("database: {0}")]
    Database(sqlx::Error),
    /// The database does not answer (stopped, unreachable, its connections cut): nothing was
    /// written, and the request may be tried again shortly.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The data key does not open this database (SQLCipher's "file is not a database", or
    /// a PostgreSQL database recorded with another key); the text says so in Japanese.
    #[error("{0}")]
    WrongDataKey(String),
    /// An attachment failed its integrity check (changed, swapped, or written without the
    /// key); it is not served. Holds the storage key, which names no one.
    #[error("添付ファイル {0} は改ざんされているか壊れています（暗号の検証に失敗しました）。")]
    Tampered(String),
    #[error("{0}")]
    Other(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        if unavailable(&e) {
            Error::Unavailable(e.to_string())
        } else {
            Error::Database(e)
        }
    }
}

/// Whether `e` says the database could not be reached, rather than that a statement failed:
/// no connection in time, a connection cut or refused, or PostgreSQL shutting down (SQLSTATE
/// classes 08, connection exception, and 57P, operator intervention).
fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => d
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
        _ => false,
    }
}

impl Error {
    /// Turns a unique-key violation into [`Error::Conflict`] on `field`; other errors pass.
    pub fn on_unique(self, field: &'static str) -> Error {
        match &self {
            Error::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                Error::Conflict(field)
            }
            _ => self,
        }
    }

    /// Turns a foreign-key violation into [`Error::Invalid`] on `field`.
    pub fn on_foreign_key(self, field: &'static str, message: &'static str) -> Error {
        match &self {
            Error::Database(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => {
                Error::Invalid { field, message }
            }
            _ => self,
        }
    }
}
