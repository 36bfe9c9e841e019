//! The request unit: one database connection for a request's reads, holding one snapshot;
//! one transaction for its change, in which the access check runs again (no gap between the
//! check and the act); and the trail its reads leave behind (audit entries, disclosure records,
//! 既読, a session's last-seen time), written once at the end, after the read connection is
//! released, by the audit log's group appender. A GET never opens a write transaction of its
//! own.

use std::{sync::Arc, time::Duration};

use time::OffsetDateTime;
use tsunagu_domain::{Actor, AgencyId, ChildId, ConsentId, UserId};

use crate::{
    audit::{self, Entry, Event, RequestMeta},
    Backend, Db, Error, Result, Tx,
};

/// How long a request waits for a database connection before it is told the database is
/// unavailable (503), unless configured otherwise.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(2);

/// What reads leave behind, written after them in one group.
#[derive(Debug, Default)]
pub(crate) struct Trail {
    pub entries: Vec<Entry>,
    pub disclosures: Vec<DisclosureRow>,
    pub note_reads: Vec<(i64, UserId, OffsetDateTime)>,
    /// A session's token hash and the time it was seen.
    pub session_seen: Option<(String, OffsetDateTime)>,
    /// An API token's id and the time it was used.
    pub token_used: Option<(i64, OffsetDateTime)>,
}

impl Trail {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
            && self.disclosures.is_empty()
            && self.note_reads.is_empty()
            && self.session_seen.is_none()
            && self.token_used.is_none()
    }

    pub fn append(&mut self, other: Trail) {
        self.entries.extend(other.entries);
        self.disclosures.extend(other.disclosures);
        self.note_reads.extend(other.note_reads);
        if other.session_seen.is_some() {
            self.session_seen = other.session_seen;
        }
        if other.token_used.is_some() {
            self.token_used = other.token_used;
        }
    }
}

/// The first time a part of a child's record reached an agency.
#[derive(Clone, Debug)]
pub(crate) struct DisclosureRow {
    pub child: ChildId,
    pub agency: AgencyId,
    pub part: &'static str,
    pub user: UserId,
    pub basis: String,
    pub consent: Option<ConsentId>,
    pub at: OffsetDateTime,
}

/// One request's way to the database.
pub struct Unit {
    db: Db,
    wait: Duration,
    read: Option<Tx>,
    meta: RequestMeta,
    actor: Option<Arc<Actor>>,
    pub(crate) trail: Trail,
    /// The children the request's lists showed, and under which action: one entry at the end.
    shown: (Option<String>, std::collections::BTreeSet<ChildId>),
}

impl std::fmt::Debug for Unit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unit")
            .field("reading", &self.read.is_some())
            .field("actor", &self.actor.as_ref().map(|a| a.user_id))
            .finish_non_exhaustive()
    }
}

impl Unit {
    /// A unit for one request; it takes no connection until its first read.
    pub fn new(db: Db, meta: RequestMeta, wait: Duration) -> Unit {
        Unit {
            db,
            wait,
            read: None,
            meta,
            actor: None,
            trail: Trail::default(),
            shown: (None, std::collections::BTreeSet::new()),
        }
    }

    /// A unit acting as `actor` (the command line, background work, tests).
    pub fn acting(db: &Db, meta: RequestMeta, actor: Actor) -> Unit {
        let mut u = Unit::new(db.clone(), meta, DEFAULT_WAIT);
        u.set_actor(actor);
        u
    }

    pub fn set_actor(&mut self, actor: Actor) {
        self.actor = Some(Arc::new(actor));
    }

    /// Who is acting; a unit without a user may read nobody's data.
    pub fn actor(&self) -> Result<Arc<Actor>> {
        self.actor.clone().ok_or(Error::Unauthenticated)
    }

    pub fn meta(&self) -> &RequestMeta {
        &self.meta
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// The pool itself, for work that must not share the unit's snapshot (nothing that reads a
    /// child: those go through the unit).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The pool, for a change made by a function of its own (the administrator's screens): the
    /// read snapshot ends first, so the request never holds two connections at once.
    pub async fn pool(&mut self) -> Result<Db> {
        self.release().await?;
        Ok(self.db.clone())
    }

    /// The read snapshot, begun on first use within the unit's wait.
    pub(crate) async fn snapshot(&mut self) -> Result<&mut Tx> {
        if self.read.is_none() {
            self.read = Some(self.db.begin_snapshot_within(self.wait).await?);
        }
        self.read
            .as_mut()
            .ok_or_else(|| Error::Other("no read snapshot".into()))
    }

    /// Ends the read snapshot and gives its connection back. The next read begins a new one,
    /// which sees what this request has written meanwhile.
    pub async fn release(&mut self) -> Result<()> {
        if let Some(tx) = self.read.take() {
            tx.commit().await?;
        }
        Ok(())
    }

    /// Starts the request's change: the read snapshot ends first (its connection goes back, so
    /// a request never holds two), and the write transaction waits at most the unit's wait.
    pub async fn write(&mut self) -> Result<Write<'_>> {
        self.release().await?;
        let tx = self.db.begin_within(self.wait).await?;
        self.db.count_unit_write();
        Ok(Write {
            tx,
            meta: self.meta.clone(),
            unit: self,
        })
    }

    /// An audit entry to write after the reads; the acting user is filled in.
    pub fn audit(&mut self, event: Event<'_>) {
        let actor = self.actor.clone();
        let event = match (&actor, event.user) {
            (Some(a), None) => event.by(a),
            _ => event,
        };
        self.trail.entries.push(audit::entry_of(&self.meta, event));
    }

    /// Children a list or page showed (PRODUCT.md: lists are reads). Everything a request
    /// shows goes into one audit entry at its end, under the first action named (a page
    /// that names its read first, such as `home.read`, gives it its name); none when nothing
    /// was shown.
    pub fn audit_shown(&mut self, action: &str, children: impl IntoIterator<Item = ChildId>) {
        if self.shown.0.is_none() {
            self.shown.0 = Some(action.to_owned());
        }
        self.shown.1.extend(children);
    }

    pub(crate) fn disclose(&mut self, row: DisclosureRow) {
        self.trail.disclosures.push(row);
    }

    pub(crate) fn note_read(&mut self, note: i64, user: UserId) {
        self.trail.note_reads.push((note, user, crate::now()));
    }

    pub(crate) fn session_seen(&mut self, token_hash: String) {
        self.trail.session_seen = Some((token_hash, crate::now()));
    }

    pub(crate) fn token_used(&mut self, token: i64) {
        self.trail.token_used = Some((token, crate::now()));
    }

    /// Ends the request: the snapshot is released, then the trail is written through the group
    /// appender and this returns once it is committed, so nothing is answered before it is
    /// logged. Dropping a unit without finishing it loses its trail: the web layer finishes
    /// every unit it opens.
    pub async fn finish(mut self) -> Result<()> {
        let released = self.release().await;
        let (action, shown) = std::mem::take(&mut self.shown);
        if let (Some(action), false) = (action, shown.is_empty()) {
            self.audit(
                Event::new(&action)
                    .object_type("child")
                    .detail(children_named(shown)),
            );
        }
        let trail = std::mem::take(&mut self.trail);
        if !trail.is_empty() {
            // Within the wait too: a database gone mid-request is told as fast as one gone
            // before it (and the response then shows nothing that the log would owe).
            crate::db::within(self.wait, audit::append_trail(&self.db, trail)).await?;
        }
        released
    }
}

/// `children=1,2,3` for an audit entry's detail: the children a read showed, each once; empty
/// for none.
pub fn children_named(children: impl IntoIterator<Item = ChildId>) -> String {
    let mut ids: Vec<i64> = children.into_iter().map(|c| c.0).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return String::new();
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    format!("children={list}")
}

/// The request's change: one transaction, with what it writes to the audit log inside it.
/// Store functions that take `(&mut Tx, &RequestMeta)` run on `&mut w.tx, &w.meta`.
pub struct Write<'u> {
    pub tx: Tx,
    pub meta: RequestMeta,
    unit: &'u mut Unit,
}

impl Write<'_> {
    pub fn actor(&self) -> Result<Arc<Actor>> {
        self.unit.actor()
    }

    pub fn backend(&self) -> Backend {
        self.tx.backend()
    }

    /// Appends `event` inside the change's transaction; the acting user is filled in.
    pub async fn record(&mut self, event: Event<'_>) -> Result<()> {
        let actor = self.unit.actor.clone();
        let event = match (&actor, event.user) {
            (Some(a), None) => event.by(a),
            _ => event,
        };
        audit::record(&mut self.tx, &self.meta, event).await
    }

    /// A refusal found inside the change: written after the rollback, with the reads' trail.
    pub(crate) fn refuse(&mut self, event: Event<'_>) {
        self.unit.audit(event);
    }

    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await
    }
}

impl<'a, 'u> From<&'a mut Write<'u>> for crate::db::Exec<'a> {
    fn from(w: &'a mut Write<'u>) -> Self {
        crate::db::Exec::Tx(&mut w.tx)
    }
}

impl<'a, 'u> From<&'a mut Write<'u>> for crate::db::On<'a> {
    fn from(w: &'a mut Write<'u>) -> Self {
        crate::db::On::Tx(&mut w.tx)
    }
}
