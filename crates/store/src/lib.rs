//! Everything that touches the database. SQL lives only here; the web layer calls these
//! functions and never writes a query.

pub mod access;
pub mod agencies;
pub mod areas;
pub mod attachments;
pub mod audit;
pub mod backup;
pub mod blobs;
pub mod bulk;
pub mod calendar_feeds;
pub mod capacity;
pub mod caseload;
pub mod challenges;
pub mod children;
pub mod consents;
pub mod consultations;
pub mod councils;
pub mod db;
pub mod difficulties;
pub mod drafts;
pub mod duplicates;
pub mod error;
pub mod evaluation;
pub mod handovers;
pub mod keys;
pub mod meetings;
pub mod network;
pub mod notes;
pub mod notifications;
pub mod password;
pub mod pending_forms;
pub mod plans;
pub mod referrals;
pub mod second_factor;
pub mod secret;
pub mod sessions;
pub mod setup;
pub mod staffing;
pub mod support_files;
pub mod testing;
pub mod throttle;
pub mod tokens;
pub mod transfers;
pub mod transitions;
pub mod unit;
pub mod users;

pub use access::ChildAccess;
pub use audit::RequestMeta;
pub use db::{Backend, Db, Tx};
pub use error::{Error, Result};
pub use unit::{Unit, Write};

/// Now, at whole seconds in UTC: the only precision Tsunagu stores (see [`db::Value`]).
pub fn now() -> time::OffsetDateTime {
    db::normalize_timestamp(time::OffsetDateTime::now_utc())
}

/// A page of a list, as every list in Tsunagu answers: the items and how many match in all.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// `limit` and `offset` of a list request, already clamped to what PRODUCT.md allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub limit: i64,
    pub offset: i64,
}

impl Paging {
    pub const DEFAULT_LIMIT: i64 = 50;
    pub const MAX_LIMIT: i64 = 500;

    pub fn new(limit: Option<i64>, offset: Option<i64>) -> Self {
        Self {
            limit: limit
                .unwrap_or(Self::DEFAULT_LIMIT)
                .clamp(1, Self::MAX_LIMIT),
            offset: offset.unwrap_or(0).max(0),
        }
    }
}

impl Default for Paging {
    fn default() -> Self {
        Self::new(None, None)
    }
}

/// A `LIKE` pattern that matches `needle` anywhere, with `%`, `_` and `\` taken literally
/// (queries use `ESCAPE '\'`).
pub fn contains_pattern(needle: &str) -> String {
    let mut p = String::with_capacity(needle.len() + 2);
    p.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}
