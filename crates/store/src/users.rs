//! Accounts: who may log in, with which role, in which areas or agency.

use serde::Serialize;
use time::OffsetDateTime;
use tsunagu_domain::{kana, login_policy, Actor, AgencyId, AreaId, Role, UserId};

use crate::{
    audit::{self, Event, Outcome, RequestMeta},
    contains_pattern,
    db::{query, On},
    password, Db, Error, Page, Paging, Result, Tx,
};

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct User {
    #[schema(value_type = i64)]
    pub id: UserId,
    pub login: String,
    pub display_name: String,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String, example = "coordinator")]
    pub role: Role,
    pub agency_id: Option<i64>,
    pub must_change_password: bool,
    /// Whether logging in asks for a TOTP code after the password.
    pub second_factor_enabled: bool,
    pub disabled: bool,
    #[serde(skip)]
    #[schema(ignore)]
    pub failed_logins: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub locked_until: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_login_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

const USER_COLUMNS: &str = "id, login, display_name, role, agency_id, must_change_password, \
     (totp_enabled_at IS NOT NULL) AS second_factor_enabled, disabled, failed_logins, locked_until, last_login_at, created_at";

/// A user's columns on the `users` table aliased `u`, and their areas as one text
/// (`area_ids`, comma-separated): who is asking, read in one statement with the session or
/// token that says so. The aggregate is the one thing the dialects spell differently.
pub(crate) fn actor_columns(backend: crate::Backend) -> &'static str {
    match backend {
        crate::Backend::Sqlite => "u.id, u.login, u.display_name, u.role, u.agency_id, u.must_change_password, \
            (u.totp_enabled_at IS NOT NULL) AS second_factor_enabled, u.disabled, u.failed_logins, u.locked_until, \
            u.last_login_at, u.created_at, (SELECT group_concat(ua.area_id) FROM user_areas ua WHERE ua.user_id = u.id) AS area_ids, \
            (SELECT group_concat(name, '・') FROM (SELECT a.name FROM user_areas ua JOIN areas a ON a.id = ua.area_id \
               WHERE ua.user_id = u.id ORDER BY a.name)) AS area_names, \
            (SELECT ag.name FROM agencies ag WHERE ag.id = u.agency_id) AS agency_name",
        crate::Backend::Postgres => "u.id, u.login, u.display_name, u.role, u.agency_id, u.must_change_password, \
            (u.totp_enabled_at IS NOT NULL) AS second_factor_enabled, u.disabled, u.failed_logins, u.locked_until, \
            u.last_login_at, u.created_at, (SELECT string_agg(ua.area_id::text, ',') FROM user_areas ua WHERE ua.user_id = u.id) AS area_ids, \
            (SELECT string_agg(a.name, '・' ORDER BY a.name) FROM user_areas ua JOIN areas a ON a.id = ua.area_id \
               WHERE ua.user_id = u.id) AS area_names, \
            (SELECT ag.name FROM agencies ag WHERE ag.id = u.agency_id) AS agency_name",
    }
}

/// A user and their areas, as [`actor_columns`] reads them.
#[derive(sqlx::FromRow)]
pub(crate) struct UserWithAreas {
    #[sqlx(flatten)]
    pub user: User,
    pub area_ids: Option<String>,
    area_names: Option<String>,
    agency_name: Option<String>,
}

impl UserWithAreas {
    /// Where the user works, as the page's frame names it: their areas, or their agency.
    pub fn placement(&self) -> String {
        let place = if self.user.role.needs_areas() {
            &self.area_names
        } else {
            &self.agency_name
        };
        place.clone().unwrap_or_default()
    }

    /// The acting user as the rest of Tsunagu knows them.
    pub fn actor(&self) -> Actor {
        let mut area_ids: Vec<AreaId> = if self.user.role.needs_areas() {
            self.area_ids
                .as_deref()
                .unwrap_or_default()
                .split(',')
                .filter_map(|a| a.trim().parse().ok())
                .map(AreaId)
                .collect()
        } else {
            Vec::new()
        };
        area_ids.sort();
        Actor {
            user_id: self.user.id,
            login: self.user.login.clone(),
            display_name: self.user.display_name.clone(),
            role: self.user.role,
            area_ids,
            agency_id: self.user.agency_id.map(AgencyId),
        }
    }
}

/// A user with the names of their areas and agency, for lists and the admin screen.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UserDetail {
    #[serde(flatten)]
    pub user: User,
    pub areas: Vec<AreaRef>,
    pub agency_name: Option<String>,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AreaRef {
    pub id: i64,
    pub name: String,
}

/// What an administrator (or `tsunagu user add`) gives to create an account.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub area_ids: Vec<AreaId>,
    pub agency_id: Option<AgencyId>,
    pub password: String,
    pub must_change_password: bool,
}

/// What an administrator may change of an account.
#[derive(Clone, Debug)]
pub struct UserChange {
    pub display_name: String,
    pub role: Role,
    pub area_ids: Vec<AreaId>,
    pub agency_id: Option<AgencyId>,
}

fn check_assignment(role: Role, areas: &[AreaId], agency: Option<AgencyId>) -> Result<()> {
    match role.assignment_problem(!areas.is_empty(), agency.is_some()) {
        Some((field, message)) => Err(Error::Invalid { field, message }),
        None => Ok(()),
    }
}

/// Creates an account; `actor` is `None` only for the first administrator and the CLI.
pub async fn create(
    tx: &mut Tx,
    meta: &RequestMeta,
    actor: Option<&Actor>,
    new: NewUser,
) -> Result<UserId> {
    check_assignment(new.role, &new.area_ids, new.agency_id)?;
    let hash = password::hash(&new.password).await?;
    let now = crate::now();
    let areas = if new.role.needs_areas() {
        new.area_ids
    } else {
        Vec::new()
    };
    let (id,): (i64,) = query(
        "INSERT INTO users (login, display_name, search_key, role, agency_id, password_hash, \
         must_change_password, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(&new.login)
    .bind(&new.display_name)
    .bind(search_key(&new.login, &new.display_name))
    .bind(new.role.code())
    .bind(new.agency_id)
    .bind(hash)
    .bind(new.must_change_password)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        e.on_unique("login")
            .on_foreign_key("agency_id", "所属機関が見つかりません。")
    })?;
    let id = UserId(id);
    set_areas(tx, id, &areas).await?;
    let event = Event::new("user.create")
        .object("user", id)
        .detail(format!("role={}", new.role));
    let event = match actor {
        Some(a) => event.by(a),
        None => event,
    };
    audit::record(tx, meta, event).await?;
    Ok(id)
}

/// The name and the login id, both folded as a search is (a login's `-` is `ー` in both).
fn search_key(login: &str, display_name: &str) -> String {
    format!(
        "{} {}",
        kana::normalize(display_name),
        kana::normalize(login)
    )
}

async fn set_areas(tx: &mut Tx, user: UserId, areas: &[AreaId]) -> Result<()> {
    query("DELETE FROM user_areas WHERE user_id = $1")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    for area in areas {
        query("INSERT INTO user_areas (user_id, area_id) VALUES ($1, $2)")
            .bind(user)
            .bind(*area)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                e.on_foreign_key("area_ids", "担当地域が見つかりません。")
                    .on_unique("area_ids")
            })?;
    }
    Ok(())
}

pub async fn get<'a>(on: impl Into<On<'a>>, id: UserId) -> Result<User> {
    let mut on = on.into();
    query(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_one(on.exec())
        .await
}

pub async fn find_by_login<'e>(
    exec: impl Into<crate::db::Exec<'e>>,
    login: &str,
) -> Result<Option<User>> {
    query(format!("SELECT {USER_COLUMNS} FROM users WHERE login = $1"))
        .bind(login)
        .fetch_optional(exec)
        .await
}

pub async fn area_ids<'a>(on: impl Into<On<'a>>, id: UserId) -> Result<Vec<AreaId>> {
    let mut on = on.into();
    let rows: Vec<(i64,)> =
        query("SELECT area_id FROM user_areas WHERE user_id = $1 ORDER BY area_id")
            .bind(id)
            .fetch_all(on.exec())
            .await?;
    Ok(rows.into_iter().map(|(id,)| AreaId(id)).collect())
}

/// The acting user as the rest of Tsunagu knows them.
pub async fn actor<'a>(on: impl Into<On<'a>>, user: User) -> Result<Actor> {
    let mut on = on.into();
    let area_ids = if user.role.needs_areas() {
        area_ids(&mut on, user.id).await?
    } else {
        Vec::new()
    };
    Ok(Actor {
        user_id: user.id,
        login: user.login,
        display_name: user.display_name,
        role: user.role,
        area_ids,
        agency_id: user.agency_id.map(AgencyId),
    })
}

pub async fn detail<'a>(on: impl Into<On<'a>>, id: UserId) -> Result<UserDetail> {
    let mut on = on.into();
    let user = get(&mut on, id).await?;
    let areas = query(
        "SELECT a.id, a.name FROM user_areas ua JOIN areas a ON a.id = ua.area_id \
         WHERE ua.user_id = $1 ORDER BY a.name",
    )
    .bind(id)
    .fetch_all(on.exec())
    .await?;
    let agency_name = match user.agency_id {
        Some(agency) => query("SELECT name FROM agencies WHERE id = $1")
            .bind(agency)
            .fetch_optional::<(String,)>(on.exec())
            .await?
            .map(|(n,)| n),
        None => None,
    };
    Ok(UserDetail {
        user,
        areas,
        agency_name,
    })
}

/// Users whose name or login contains `q` (kana-insensitive), by login.
pub async fn list<'a>(
    on: impl Into<On<'a>>,
    q: Option<&str>,
    paging: Paging,
) -> Result<Page<UserDetail>> {
    let mut on = on.into();
    let pattern = q
        .map(kana::normalize)
        .filter(|k| !k.is_empty())
        .map(|k| contains_pattern(&k.to_lowercase()));
    let (total,): (i64,) =
        query("SELECT COUNT(*) FROM users WHERE ($1 IS NULL OR search_key LIKE $1 ESCAPE '\\')")
            .bind(pattern.as_deref())
            .fetch_one(on.exec())
            .await?;
    let users: Vec<User> = query(format!(
        "SELECT {USER_COLUMNS} FROM users WHERE ($1 IS NULL OR search_key LIKE $1 ESCAPE '\\') \
         ORDER BY login LIMIT $2 OFFSET $3"
    ))
    .bind(pattern.as_deref())
    .bind(paging.limit)
    .bind(paging.offset)
    .fetch_all(on.exec())
    .await?;
    // Areas and agencies of the whole page in two queries, not one per user.
    let ids: Vec<i64> = users.iter().map(|u| u.id.0).collect();
    let mut areas: Vec<(i64, i64, String)> = Vec::new();
    let mut agencies: Vec<(i64, String)> = Vec::new();
    if !ids.is_empty() {
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        // The list is built from integers only, never from user input.
        areas = query(format!(
            "SELECT ua.user_id, a.id, a.name FROM user_areas ua JOIN areas a ON a.id = ua.area_id \
             WHERE ua.user_id IN ({list}) ORDER BY a.name"
        ))
        .fetch_all(on.exec())
        .await?;
        agencies = query(format!(
            "SELECT DISTINCT g.id, g.name FROM agencies g JOIN users u ON u.agency_id = g.id \
             WHERE u.id IN ({list})"
        ))
        .fetch_all(on.exec())
        .await?;
    }
    let items = users
        .into_iter()
        .map(|user| UserDetail {
            areas: areas
                .iter()
                .filter(|(u, _, _)| *u == user.id.0)
                .map(|(_, id, name)| AreaRef {
                    id: *id,
                    name: name.clone(),
                })
                .collect(),
            agency_name: user.agency_id.and_then(|a| {
                agencies
                    .iter()
                    .find(|(id, _)| *id == a)
                    .map(|(_, n)| n.clone())
            }),
            user,
        })
        .collect();
    Ok(Page { items, total })
}

pub async fn update(
    tx: &mut Tx,
    meta: &RequestMeta,
    actor: &Actor,
    id: UserId,
    change: UserChange,
) -> Result<()> {
    check_assignment(change.role, &change.area_ids, change.agency_id)?;
    let login: Option<(String,)> = query("SELECT login FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    let (login,) = login.ok_or(Error::NotFound)?;
    query(
        "UPDATE users SET display_name = $1, search_key = $2, role = $3, agency_id = $4, \
         updated_at = $5 WHERE id = $6",
    )
    .bind(&change.display_name)
    .bind(search_key(&login, &change.display_name))
    .bind(change.role.code())
    .bind(change.agency_id)
    .bind(crate::now())
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(|e| e.on_foreign_key("agency_id", "所属機関が見つかりません。"))?;
    let areas = if change.role.needs_areas() {
        change.area_ids
    } else {
        Vec::new()
    };
    set_areas(tx, id, &areas).await?;
    // A changed role or area must not live on in an open session.
    crate::sessions::end_all_for_user(tx, id).await?;
    audit::record(
        tx,
        meta,
        Event::new("user.update")
            .by(actor)
            .object("user", id)
            .detail(format!("role={}", change.role)),
    )
    .await
}

/// Disables or re-enables an account; disabling ends its sessions and API tokens at once.
pub async fn set_disabled(
    tx: &mut Tx,
    meta: &RequestMeta,
    actor: &Actor,
    id: UserId,
    disabled: bool,
) -> Result<()> {
    if disabled && id == actor.user_id {
        return Err(Error::Invalid {
            field: "disabled",
            message: "自分自身のアカウントは無効にできません。",
        });
    }
    let changed = query("UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3")
        .bind(disabled)
        .bind(crate::now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if changed == 0 {
        return Err(Error::NotFound);
    }
    if disabled {
        crate::sessions::end_all_for_user(tx, id).await?;
        crate::tokens::revoke_all_for_user(tx, id).await?;
    }
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    audit::record(tx, meta, Event::new(action).by(actor).object("user", id)).await
}

/// An administrator sets a new password; the user must change it at the next login.
pub async fn reset_password(
    tx: &mut Tx,
    meta: &RequestMeta,
    actor: &Actor,
    id: UserId,
    new_password: &str,
) -> Result<()> {
    let hash = password::hash(new_password).await?;
    let changed = query(
        "UPDATE users SET password_hash = $1, must_change_password = $2, failed_logins = 0, \
         locked_until = NULL, updated_at = $3 WHERE id = $4",
    )
    .bind(hash)
    .bind(true)
    .bind(crate::now())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if changed == 0 {
        return Err(Error::NotFound);
    }
    crate::sessions::end_all_for_user(tx, id).await?;
    let revoked = crate::tokens::revoke_all_for_user(tx, id).await?;
    audit::record(
        tx,
        meta,
        Event::new("user.reset_password")
            .by(actor)
            .object("user", id)
            .detail(format!("tokens revoked={revoked}")),
    )
    .await
}

/// The user changes their own password, proving the current one. Every other session of theirs
/// ends; `keep` is the cookie of the session they changed it in (None: end all).
pub async fn change_own_password(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    current: &str,
    new_password: &str,
    keep: Option<&str>,
) -> Result<()> {
    let (stored,): (String,) = query("SELECT password_hash FROM users WHERE id = $1")
        .bind(actor.user_id)
        .fetch_one(db)
        .await?;
    if !password::verify(current, &stored).await {
        audit::record_alone(
            db,
            meta,
            Event::new("user.change_password")
                .by(actor)
                .object("user", actor.user_id)
                .outcome(Outcome::Failure),
        )
        .await?;
        return Err(Error::Invalid {
            field: "current_password",
            message: "現在のパスワードが正しくありません。",
        });
    }
    let hash = password::hash(new_password).await?;
    let mut tx = db.begin().await?;
    query(
        "UPDATE users SET password_hash = $1, must_change_password = $2, updated_at = $3 \
         WHERE id = $4",
    )
    .bind(hash)
    .bind(false)
    .bind(crate::now())
    .bind(actor.user_id)
    .execute(&mut tx)
    .await?;
    let ended = query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(actor.user_id)
        .bind(keep.map(crate::secret::hash).unwrap_or_default())
        .execute(&mut tx)
        .await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("user.change_password")
            .by(actor)
            .object("user", actor.user_id)
            .detail(format!("other sessions ended={ended}")),
    )
    .await?;
    tx.commit().await
}

/// Why a login did not succeed. The screen says the same thing for all but `Locked`.
#[derive(Debug, PartialEq, Eq)]
pub enum LoginRefusal {
    BadCredentials,
    Locked,
    Disabled,
}

/// Checks a login and password, counts failures and locks the account after too many; every
/// attempt is in the audit log.
pub async fn authenticate(
    db: &Db,
    meta: &RequestMeta,
    login: &str,
    password: &str,
) -> Result<Result<User, LoginRefusal>> {
    let now = crate::now();
    let found: Option<(i64, String)> =
        query("SELECT id, password_hash FROM users WHERE login = $1")
            .bind(login)
            .fetch_optional(db)
            .await?;
    let Some((id, stored)) = found else {
        password::verify(password, password::dummy_hash().await).await;
        audit::record_alone(
            db,
            meta,
            Event::new("login")
                .outcome(Outcome::Failure)
                .detail("unknown login"),
        )
        .await?;
        return Ok(Err(LoginRefusal::BadCredentials));
    };
    let password_ok = password::verify(password, &stored).await;

    let mut tx = db.begin().await?;
    // Read again inside the write transaction so concurrent failures all count.
    let user: User = query(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_one(&mut tx)
        .await?;
    let event = Event::new("login").by_user(user.id, &user.login);
    let refusal = if user.disabled {
        Some((LoginRefusal::Disabled, "disabled"))
    } else if login_policy::is_locked(user.locked_until, now) {
        Some((LoginRefusal::Locked, "locked"))
    } else if !password_ok {
        count_failure(&mut tx, meta, &user, user.failed_logins, now).await?;
        Some((LoginRefusal::BadCredentials, "wrong password"))
    } else {
        None
    };
    let result = match refusal {
        Some((refusal, why)) => {
            audit::record(&mut tx, meta, event.outcome(Outcome::Failure).detail(why)).await?;
            Err(refusal)
        }
        None => {
            query("UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = $1 WHERE id = $2")
                .bind(now)
                .bind(user.id)
                .execute(&mut tx)
                .await?;
            audit::record(&mut tx, meta, event).await?;
            Ok(user)
        }
    };
    tx.commit().await?;
    Ok(result)
}

/// Counts one more failed step of a login (a wrong password or second-factor code) on top of
/// `failures` read in this transaction, locking the account at the limit; answers whether it
/// is now locked.
pub(crate) async fn count_failure(
    tx: &mut Tx,
    meta: &RequestMeta,
    user: &User,
    failures: i64,
    now: OffsetDateTime,
) -> Result<bool> {
    let (failures, lock) = login_policy::after_failure(failures, now);
    query("UPDATE users SET failed_logins = $1, locked_until = COALESCE($2, locked_until) WHERE id = $3")
        .bind(failures)
        .bind(lock)
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    if lock.is_some() {
        audit::record(
            tx,
            meta,
            Event::new("user.lock")
                .by_user(user.id, &user.login)
                .object("user", user.id),
        )
        .await?;
    }
    Ok(lock.is_some())
}

/// Whether any administrator exists (the first start offers the setup link until one does).
pub async fn admin_exists<'a>(on: impl Into<On<'a>>) -> Result<bool> {
    let mut on = on.into();
    let (n,): (i64,) = query("SELECT COUNT(*) FROM users WHERE role = 'admin'")
        .fetch_one(on.exec())
        .await?;
    Ok(n > 0)
}

pub async fn count<'a>(on: impl Into<On<'a>>) -> Result<i64> {
    let mut on = on.into();
    let (n,): (i64,) = query("SELECT COUNT(*) FROM users")
        .fetch_one(on.exec())
        .await?;
    Ok(n)
}
