//! The home page: one per role, made of cards that later features fill.

use askama::Template;
use axum::{extract::State, response::Html, routing::get, Router};
use tsunagu_domain::japanese_date;
use tsunagu_domain::Role;
use tsunagu_store::{consents, referrals, tokens, users};

use crate::{auth::Auth, extract::Query, layout::Layout, AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

/// A card on the home page: a heading, and either lines or what shows when there are none.
pub struct Card {
    pub title: &'static str,
    pub lines: Vec<String>,
    pub empty: &'static str,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    greeting: String,
    cards: Vec<Card>,
}

#[derive(serde::Deserialize, Default)]
struct HomeQuery {
    notice: Option<String>,
}

async fn home(
    State(state): State<AppState>,
    crate::auth::Meta(meta): crate::auth::Meta,
    auth: Auth,
    Query(q): Query<HomeQuery>,
) -> Result<Html<String>, AppError> {
    let layout = Layout::new(&state, &auth, "ホーム", "/")
        .await?
        .with_notice(q.notice.as_deref());
    let today = japanese_date::today(time::OffsetDateTime::now_utc());
    let cards = match auth.actor.role {
        Role::Coordinator => vec![
            Card {
                title: "今日の予定",
                lines: todays_meetings(&state, &auth).await?,
                empty: "今日の予定はありません。",
            },
            Card {
                title: "フォロー予定の相談",
                lines: tsunagu_store::consultations::follow_ups(
                    &state.db,
                    &auth.actor,
                    today + time::Duration::days(7),
                )
                .await?
                .into_iter()
                .map(|c| {
                    let who = c.child_name.unwrap_or_else(|| "匿名の相談".to_owned());
                    let on = c
                        .follow_up_on
                        .map(japanese_date::format_date)
                        .unwrap_or_default();
                    format!(
                        "{on}：{who}（{}）",
                        c.concern.chars().take(20).collect::<String>()
                    )
                })
                .collect(),
                empty: "1週間以内にフォロー予定の相談はありません。",
            },
            Card {
                title: "期限の近いタスク",
                lines: due_items(&state, &auth, today)
                    .await?
                    .into_iter()
                    .chain(
                        consents::expiring(&state.db, &auth.actor, today, 60)
                            .await?
                            .into_iter()
                            .map(|e| {
                                format!(
                                    "{}さんの{}（{}まで）",
                                    e.child_name,
                                    e.what,
                                    japanese_date::format_date(e.until)
                                )
                            }),
                    )
                    .collect(),
                empty: "60日以内に期限が切れる同意・受給者証はありません。",
            },
            Card {
                title: "未対応の依頼",
                lines: referrals::overdue(
                    &state.db,
                    &auth.actor,
                    state.config.referral_overdue_days,
                )
                .await?
                .into_iter()
                .map(|r| {
                    format!(
                        "{}さん → {}（{}から回答待ち）",
                        r.child_name,
                        r.agency_name,
                        japanese_date::format_date(japanese_date::today(r.created_at))
                    )
                })
                .collect(),
                empty: "回答が遅れているつなぎはありません。",
            },
        ],
        Role::Supervisor => vec![
            Card {
                title: "担当地域の状況",
                lines: vec![],
                empty: "表示できる集計はまだありません。",
            },
            Card {
                title: "協議中の課題",
                lines: vec![],
                empty: "協議中の課題はありません。",
            },
        ],
        Role::AgencyStaff => vec![
            Card {
                title: "受信した依頼",
                lines: referrals::inbox(&state.db, &meta, &auth.actor)
                    .await?
                    .into_iter()
                    .filter(|r| r.state == "open")
                    .map(|r| {
                        if r.child_name.is_empty() {
                            "つなぎの依頼（同意終了）".to_owned()
                        } else {
                            format!("{}さんのつなぎの依頼", r.child_name)
                        }
                    })
                    .collect(),
                empty: "未対応の依頼はありません。",
            },
            Card {
                title: "共有されている子ども",
                lines: tsunagu_store::children::search(
                    &state.db,
                    &meta,
                    &auth.actor,
                    None,
                    false,
                    tsunagu_store::Paging::new(Some(10), None),
                )
                .await?
                .items
                .into_iter()
                .map(|c| format!("{} {}", c.family_name, c.given_name))
                .collect(),
                empty: "いま共有されている子どもはいません。",
            },
            Card {
                title: "今日の予定",
                lines: todays_meetings(&state, &auth).await?,
                empty: "今日の予定はありません。",
            },
            Card {
                title: "期限の近いタスク",
                lines: due_items(&state, &auth, today).await?,
                empty: "1週間以内に期限の来る役割分担はありません。",
            },
        ],
        Role::Committee => vec![
            Card {
                title: "検証（年度集計）",
                lines: vec![],
                empty: "集計できるデータはまだありません。",
            },
            Card {
                title: "課題の一覧",
                lines: vec![],
                empty: "報告された課題はまだありません。",
            },
        ],
        Role::Admin => {
            let user_count = users::count(&state.db).await?;
            let active_tokens = tokens::list(&state.db)
                .await?
                .iter()
                .filter(|t| t.revoked_at.is_none())
                .count();
            vec![Card {
                title: "システムの状況",
                lines: vec![
                    format!("登録ユーザー：{user_count}人"),
                    format!("有効なAPIトークン：{active_tokens}件"),
                ],
                empty: "",
            }]
        }
    };
    let greeting = format!("{}さん、こんにちは。", auth.actor.display_name);
    Ok(Html(
        HomePage {
            layout,
            greeting,
            cards,
        }
        .render()?,
    ))
}

/// Today's meetings (Japan time) for the user: the area's, or those the agency is invited to.
async fn todays_meetings(state: &AppState, auth: &Auth) -> Result<Vec<String>, AppError> {
    let today = japanese_date::today(time::OffsetDateTime::now_utc());
    let start =
        time::OffsetDateTime::new_in_offset(today, time::Time::MIDNIGHT, japanese_date::JST);
    Ok(tsunagu_store::meetings::between(
        &state.db,
        &auth.actor,
        start,
        start + time::Duration::days(1),
    )
    .await?
    .into_iter()
    .map(|m| {
        let t = m.starts_at.to_offset(japanese_date::JST);
        format!("{}:{:02} 支援会議：{}", t.hour(), t.minute(), m.purpose)
    })
    .collect())
}

/// Open action items due within a week (overdue ones first).
async fn due_items(
    state: &AppState,
    auth: &Auth,
    today: time::Date,
) -> Result<Vec<String>, AppError> {
    Ok(
        tsunagu_store::meetings::due_items(&state.db, &auth.actor, today + time::Duration::days(7))
            .await?
            .into_iter()
            .map(|i| {
                let due = i.due_on.map(japanese_date::format_date).unwrap_or_default();
                let late = if i.due_on.is_some_and(|d| d < today) {
                    "【期限切れ】"
                } else {
                    ""
                };
                format!("{late}{due}まで：{}", i.title)
            })
            .collect(),
    )
}
