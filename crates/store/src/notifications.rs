//! Mail notifications: what a user wants to be told by mail, and the outbox the server's mailer
//! sends from. A notification is queued in the same transaction as what it tells of (a referral
//! that never committed sends nothing) and says only what happened and where to look: never a
//! child's name or any other personal data (PRODUCT.md; the mail leaves Tsunagu's protection).

use time::Date;
use tsunagu_domain::{validation::Errors, AgencyId, UserId};

use crate::{db::query, Error, Result, Tx, Unit};

/// What a user may ask to be told by mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A new referral in the agency's inbox.
    Referral,
    /// An invitation to a support meeting.
    Meeting,
    /// A new message in a care team's conversation the user takes part in.
    Note,
    /// An action item (or a consultation's follow-up) due tomorrow.
    Due,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Referral, Kind::Meeting, Kind::Note, Kind::Due];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Referral => "referral",
            Kind::Meeting => "meeting",
            Kind::Note => "note",
            Kind::Due => "due",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Referral => "受信箱に新しいつなぎ（紹介）が届いたとき",
            Kind::Meeting => "支援会議に招待されたとき",
            Kind::Note => "支援チームの連絡に新しい書き込みがあったとき",
            Kind::Due => "役割分担・フォローの期限の前日",
        }
    }

    pub fn from_code(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// A user's mail settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    pub email: Option<String>,
    pub kinds: Vec<String>,
}

/// The unit's user's own settings.
pub async fn settings(u: &mut Unit) -> Result<Settings> {
    let user = u.actor()?.user_id;
    let (email,): (Option<String>,) = query("SELECT email FROM users WHERE id = $1")
        .bind(user)
        .fetch_one(&mut *u)
        .await?;
    let kinds: Vec<(String,)> =
        query("SELECT kind FROM notification_settings WHERE user_id = $1 ORDER BY kind")
            .bind(user)
            .fetch_all(&mut *u)
            .await?;
    Ok(Settings {
        email,
        kinds: kinds.into_iter().map(|(k,)| k).collect(),
    })
}

/// Saves the unit's user's address and the kinds they want; an address is needed for any.
pub async fn save_settings(u: &mut Unit, email: &str, kinds: &[Kind]) -> Result<()> {
    let mut e = Errors::new();
    let email = tsunagu_domain::directory::check_email(&mut e, "email", email);
    if !e.is_empty() {
        return Err(Error::Invalid {
            field: "email",
            message: "メールアドレスの形式が正しくありません。",
        });
    }
    if email.is_none() && !kinds.is_empty() {
        return Err(Error::Invalid {
            field: "email",
            message: "通知を受け取るメールアドレスを入力してください。",
        });
    }
    let user = u.actor()?.user_id;
    let mut w = u.write().await?;
    query("UPDATE users SET email = $1 WHERE id = $2")
        .bind(email.as_deref())
        .bind(user)
        .execute(&mut w.tx)
        .await?;
    query("DELETE FROM notification_settings WHERE user_id = $1")
        .bind(user)
        .execute(&mut w.tx)
        .await?;
    for kind in kinds {
        query("INSERT INTO notification_settings (user_id, kind) VALUES ($1, $2)")
            .bind(user)
            .bind(kind.code())
            .execute(&mut w.tx)
            .await?;
    }
    w.record(crate::audit::Event::new("notification.settings").object("user", user))
        .await?;
    w.commit().await
}

/// One mail to queue: a subject, one line of what happened (no personal data) and the path
/// of the page to look at.
pub struct Notice<'a> {
    pub kind: Kind,
    pub subject: &'a str,
    pub what: &'a str,
    pub path: &'a str,
}

const WANTS: &str = "u.disabled = $1 AND u.email IS NOT NULL \
    AND EXISTS (SELECT 1 FROM notification_settings n WHERE n.user_id = u.id AND n.kind = $2)";

/// Queues `notice` for the active staff of `agency` who asked for its kind, inside `tx`.
pub async fn to_agency(tx: &mut Tx, agency: AgencyId, notice: &Notice<'_>) -> Result<()> {
    query(format!(
        "INSERT INTO mail_outbox (user_id, kind, subject, what, path, created_at) \
         SELECT u.id, $2, $3, $4, $5, $6 FROM users u WHERE {WANTS} AND u.agency_id = $7"
    ))
    .bind(false)
    .bind(notice.kind.code())
    .bind(notice.subject)
    .bind(notice.what)
    .bind(notice.path)
    .bind(crate::now())
    .bind(agency)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Queues `notice` for the given users who asked for its kind, inside `tx`; with a
/// `dedupe` key a mail already queued under it is not queued again.
pub async fn to_users(
    tx: &mut Tx,
    users: &[UserId],
    notice: &Notice<'_>,
    dedupe: Option<&str>,
) -> Result<()> {
    for user in users {
        let key = dedupe.map(|d| format!("{d}:{user}"));
        query(format!(
            "INSERT INTO mail_outbox (user_id, kind, subject, what, path, dedupe_key, created_at) \
             SELECT u.id, $2, $3, $4, $5, $6, $7 FROM users u WHERE {WANTS} AND u.id = $8 \
             ON CONFLICT (dedupe_key) DO NOTHING"
        ))
        .bind(false)
        .bind(notice.kind.code())
        .bind(notice.subject)
        .bind(notice.what)
        .bind(notice.path)
        .bind(key)
        .bind(crate::now())
        .bind(*user)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Queues the reminders of what falls due on `day` (the server runs it each morning for the
/// next day): open action items, to their agency's staff (or the area's coordinators when no
/// agency owns one), and consultations' follow-ups, to who recorded them. Once per item and day.
pub async fn queue_due(db: &crate::Db, day: Date) -> Result<u64> {
    let mut tx = db.begin().await?;
    let items: Vec<(i64, Option<i64>, i64)> = query(
        "SELECT i.id, i.owner_agency_id, m.area_id FROM action_items i JOIN meetings m ON m.id = i.meeting_id \
         WHERE i.status = 'open' AND i.due_on = $1",
    )
    .bind(day)
    .fetch_all(&mut tx)
    .await?;
    let mut queued = 0;
    for (item, agency, area) in items {
        let users: Vec<(i64,)> = match agency {
            Some(agency) => {
                query("SELECT id FROM users WHERE agency_id = $1")
                    .bind(agency)
                    .fetch_all(&mut tx)
                    .await?
            }
            None => {
                query(
                    "SELECT u.id FROM users u JOIN user_areas ua ON ua.user_id = u.id \
                 WHERE ua.area_id = $1 AND u.role = 'coordinator'",
                )
                .bind(area)
                .fetch_all(&mut tx)
                .await?
            }
        };
        let users: Vec<UserId> = users.into_iter().map(|(u,)| UserId(u)).collect();
        to_users(
            &mut tx,
            &users,
            &Notice {
                kind: Kind::Due,
                subject: "【つなぐ】明日が期限の役割分担があります",
                what: "支援会議で決めた役割分担の期限が明日です。",
                path: "/action-items?status=open&due=week",
            },
            Some(&format!("due:{day}:item:{item}")),
        )
        .await?;
        queued += users.len() as u64;
    }
    let follow_ups: Vec<(i64, Option<i64>)> =
        query("SELECT id, created_by FROM consultations WHERE follow_up_on = $1")
            .bind(day)
            .fetch_all(&mut tx)
            .await?;
    for (consultation, by) in follow_ups {
        let Some(by) = by else { continue };
        to_users(
            &mut tx,
            &[UserId(by)],
            &Notice {
                kind: Kind::Due,
                subject: "【つなぐ】明日が相談のフォロー日です",
                what: "受け付けた相談の次回フォロー日が明日です。",
                path: &format!("/consultations/{consultation}"),
            },
            Some(&format!("due:{day}:consultation:{consultation}")),
        )
        .await?;
        queued += 1;
    }
    tx.commit().await?;
    Ok(queued)
}

/// A queued mail with its address.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Outgoing {
    pub id: i64,
    pub email: String,
    pub subject: String,
    pub what: String,
    pub path: String,
}

/// The next mails to send (oldest first), at most `limit`; those that failed five times wait
/// for an operator.
pub async fn outgoing(db: &crate::Db, limit: i64) -> Result<Vec<Outgoing>> {
    query(
        "SELECT o.id, u.email, o.subject, o.what, o.path FROM mail_outbox o JOIN users u ON u.id = o.user_id \
         WHERE o.sent_at IS NULL AND o.attempts < 5 AND u.email IS NOT NULL AND u.disabled = $1 ORDER BY o.id LIMIT $2",
    )
    .bind(false)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Marks a mail sent, or counts a failed attempt with its reason.
pub async fn mark(db: &crate::Db, id: i64, outcome: std::result::Result<(), String>) -> Result<()> {
    match outcome {
        Ok(()) => {
            query("UPDATE mail_outbox SET sent_at = $1, attempts = attempts + 1 WHERE id = $2")
                .bind(crate::now())
                .bind(id)
                .execute(db)
                .await
                .map(|_| ())
        }
        Err(reason) => {
            query("UPDATE mail_outbox SET attempts = attempts + 1, last_error = $1 WHERE id = $2")
                .bind(reason.chars().take(500).collect::<String>())
                .bind(id)
                .execute(db)
                .await
                .map(|_| ())
        }
    }
}

/// Forgets mails sent (or given up) more than 30 days ago: the outbox is not an archive.
pub async fn purge_old(db: &crate::Db) -> Result<u64> {
    query("DELETE FROM mail_outbox WHERE created_at < $1")
        .bind(crate::now() - time::Duration::days(30))
        .execute(db)
        .await
}
