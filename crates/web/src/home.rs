//! The home page: one per role, made of cards that later features fill.

use askama::Template;
use axum::{extract::State, response::Html, routing::get};
use time::{Date, Duration};
use tsunagu_domain::{calendar, japanese_date, Role};
use tsunagu_store::{consents, notes, plans, referrals, tokens, users};

use crate::{
    auth::Auth, extract::Query, layout::Layout, routing::Router, unit::Unit, AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

/// A card on the home page: a heading, and either lines or what shows when there are none.
pub struct Card {
    pub title: &'static str,
    pub lines: Vec<Line>,
    pub empty: &'static str,
    /// The page with the whole list, for the line that says how many more there are.
    pub more: Option<&'static str>,
}

impl Card {
    /// At most [`CARD_LINES`] lines, then how many more there are: a card is a glance, and
    /// a long list belongs on its own page.
    fn capped(mut self) -> Card {
        if self.lines.len() > CARD_LINES {
            let more = self.lines.len() - CARD_LINES;
            self.lines.truncate(CARD_LINES);
            self.lines.push(match self.more {
                Some(href) => Line::to(format!("ほか{more}件（一覧を開く）"), href.to_owned()),
                None => Line::plain(format!("ほか{more}件")),
            });
        }
        self
    }
}

const CARD_LINES: usize = 10;

/// One line of a card, with the page it is about when there is one, and the child it names.
pub struct Line {
    pub text: String,
    pub href: Option<String>,
}

impl Line {
    fn to(text: String, href: String) -> Line {
        Line {
            text,
            href: Some(href),
        }
    }
    fn plain(text: String) -> Line {
        Line { text, href: None }
    }
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
    auth: Auth,
    mut u: Unit,
    Query(q): Query<HomeQuery>,
) -> Result<Html<String>, AppError> {
    // The cards name children: one audit entry, under this name, says whose names they showed.
    u.audit_shown("home.read", []);
    let layout = Layout::page(&auth, "ホーム", "/").with_notice(q.notice.as_deref());
    let today = japanese_date::today(time::OffsetDateTime::now_utc());
    let cards = match auth.actor.role {
        Role::Coordinator => coordinator_cards(&state, &mut u, today).await?,
        Role::Supervisor => vec![
            Card {
                title: "今日と今週の支援会議",
                lines: week_meetings(&mut u, today).await?,
                empty: "1週間以内の支援会議はありません。",
                more: None,
            },
            Card {
                title: "地域の課題（未解決）",
                lines: open_challenges(&mut u).await?,
                empty: "未解決の課題はありません。",
                more: Some("/challenges"),
            },
            Card {
                title: "コーディネーターの担当状況",
                lines: caseload_lines(&mut u, &auth.actor, today).await?,
                empty: "この地域のコーディネーターはまだ登録されていません。",
                more: Some("/caseload"),
            },
        ],
        Role::AgencyStaff => agency_cards(&mut u, today).await?,
        Role::Committee => {
            let fy = tsunagu_domain::school_year::fiscal_year(today);
            let fy_label = tsunagu_domain::school_year::fiscal_year_label(fy);
            let written = tsunagu_store::challenges::conclusions(&mut u, &auth.actor, fy)
                .await?
                .len();
            vec![
                Card {
                    title: "部会での検討を待つ課題",
                    lines: awaiting_committee(&mut u).await?,
                    empty: "回答を待っている課題はありません。",
                    more: Some("/challenges"),
                },
                Card {
                    title: "検証（年度の集計）と報告",
                    lines: vec![
                        Line::to(format!("{fy_label}の集計を見る"), "/evaluation".into()),
                        Line::to(
                            format!("{fy_label}の検証報告（印刷・PDF）"),
                            format!("/evaluation/report?fiscal_year={fy}"),
                        ),
                        Line::to(
                            format!("{fy_label}の結論・提言（{written}件）"),
                            format!("/conclusions?fiscal_year={fy}"),
                        ),
                    ],
                    empty: "",
                    more: None,
                },
            ]
        }
        Role::Admin => {
            let user_count = users::count(&mut u).await?;
            let active_tokens = tokens::list(&mut u)
                .await?
                .iter()
                .filter(|t| t.revoked_at.is_none())
                .count();
            vec![Card {
                title: "システムの状況",
                lines: vec![
                    Line::plain(format!("登録ユーザー：{user_count}人")),
                    Line::plain(format!("有効なAPIトークン：{active_tokens}件")),
                ],
                empty: "",
                more: None,
            }]
        }
    };
    let cards: Vec<Card> = cards.into_iter().map(Card::capped).collect();
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

/// The coordinator's day: meetings, what waits on others, what falls due. Each card is one
/// aggregated query over the coordinator's areas, never a query per line.
async fn coordinator_cards(
    state: &AppState,
    u: &mut Unit,
    today: Date,
) -> Result<Vec<Card>, AppError> {
    // Shown only when there is something: most days nobody is away and nothing moves in.
    let mut first = Vec::new();
    let covering = covering(u, today).await?;
    if !covering.is_empty() {
        first.push(Card {
            title: "不在の担当者の代わりに（期限の近いこと）",
            lines: covering,
            empty: "",
            more: None,
        });
    }
    let waiting: Vec<Line> = tsunagu_store::transfers::waiting(u)
        .await?
        .into_iter()
        .map(|t| {
            Line::to(
                format!(
                    "{}さん：{}から移管の提案（{}）",
                    t.child_name,
                    t.from_area_name,
                    japanese_date::format_date(japanese_date::today(t.proposed_at))
                ),
                format!("/transfers/{}", t.id),
            )
        })
        .collect();
    if !waiting.is_empty() {
        first.push(Card {
            title: "移管の受け入れ待ち",
            lines: waiting,
            empty: "",
            more: Some("/transfers"),
        });
    }
    Ok(first
        .into_iter()
        .chain([
            Card {
                title: "今日と今週の支援会議",
                lines: week_meetings(u, today).await?,
                empty: "1週間以内の支援会議はありません。",
                more: None,
            },
            Card {
                title: "回答が遅れているつなぎ",
                lines: referrals::overdue(u, state.config.referral_overdue_days)
                    .await?
                    .into_iter()
                    .map(|r| {
                        Line::to(
                            format!(
                                "{}さん → {}（{}から回答待ち）",
                                r.child_name,
                                r.agency_name,
                                japanese_date::format_date(japanese_date::today(r.created_at))
                            ),
                            format!("/children/{}#referrals", r.child_id),
                        )
                    })
                    .collect(),
                empty: "回答が遅れているつなぎはありません。",
                more: None,
            },
            Card {
                title: "期限の近い役割分担",
                lines: due_items(u, today).await?,
                empty: "1週間以内に期限の来る役割分担はありません。",
                more: None,
            },
            Card {
                title: "支援計画の見直し",
                lines: plans::reviews_due(u, today + Duration::days(30))
                    .await?
                    .into_iter()
                    .map(|p| {
                        Line::to(
                            format!(
                                "{}{}まで：{}さんの支援計画（コーディネーター作成・第{}版）",
                                late(p.review_on, today),
                                calendar::day_label(p.review_on),
                                p.child_name,
                                p.version
                            ),
                            format!("/children/{}/plan", p.child_id),
                        )
                    })
                    .collect(),
                empty: "30日以内に見直し日の来る支援計画はありません。",
                more: None,
            },
            Card {
                title: "移行のチェック項目",
                lines: tsunagu_store::transitions::due_items(u, today + Duration::days(14))
                    .await?
                    .into_iter()
                    .map(|i| {
                        Line::to(
                            format!(
                                "{}{}まで：{}さん {}",
                                late(i.due_on, today),
                                calendar::day_label(i.due_on),
                                i.child_name,
                                i.title
                            ),
                            format!(
                                "/children/{}/transitions#transition-{}",
                                i.child_id, i.transition_id
                            ),
                        )
                    })
                    .collect(),
                empty: "2週間以内に期限の来る移行のチェック項目はありません。",
                more: None,
            },
            Card {
                title: "期限の近い同意・受給者証",
                lines: consents::expiring(u, today, 60)
                    .await?
                    .into_iter()
                    .map(|e| {
                        Line::to(
                            format!(
                                "{}さんの{}（{}まで）",
                                e.child_name,
                                e.what,
                                calendar::day_label(e.until)
                            ),
                            format!("/children/{}", e.child_id),
                        )
                    })
                    .collect(),
                empty: "60日以内に期限が切れる同意・受給者証はありません。",
                more: None,
            },
            Card {
                title: "フォロー予定（相談・巡回）",
                lines: follow_ups(u, today).await?,
                empty: "1週間以内にフォロー予定の相談・巡回相談はありません。",
                more: None,
            },
            Card {
                title: "地域の課題（未解決）",
                lines: open_challenges(u).await?,
                empty: "未解決の課題はありません。",
                more: Some("/challenges"),
            },
        ])
        .collect())
}

/// Each coordinator's active children this month, flagged when above the area's limit.
async fn caseload_lines(
    u: &mut Unit,
    actor: &tsunagu_domain::Actor,
    today: Date,
) -> Result<Vec<Line>, AppError> {
    let month = Date::from_calendar_date(today.year(), today.month(), 1).unwrap_or(today);
    let mut lines = Vec::new();
    for area in &actor.area_ids {
        let c = tsunagu_store::caseload::caseload(u, *area, month, today).await?;
        for l in &c.coordinators {
            let mut text = format!("{}：{}さん 担当{}人", c.area_name, l.display_name, l.active);
            if l.over_limit {
                text.push_str("（目安超え）");
            }
            if l.absent {
                text.push_str("・不在中");
            }
            lines.push(Line::to(text, format!("/caseload?area_id={}", c.area_id)));
        }
        if c.unassigned.active > 0 {
            lines.push(Line::to(
                format!("{}：担当未定 {}人", c.area_name, c.unassigned.active),
                format!("/caseload?area_id={}", c.area_id),
            ));
        }
    }
    Ok(lines)
}

/// What falls due within a week (and what is late) for the children of colleagues away today
/// that the user covers, each line naming whose case it is.
async fn covering(u: &mut Unit, today: Date) -> Result<Vec<Line>, AppError> {
    Ok(
        tsunagu_store::caseload::covering(u, today, today + Duration::days(7))
            .await?
            .into_iter()
            .map(|c| {
                let (what, href) = match c.kind.as_str() {
                    "follow_up" => ("相談のフォロー", format!("/consultations/{}", c.ref_id)),
                    "action" => ("役割分担", format!("/meetings/{}#items", c.ref_id)),
                    _ => (
                        "移行のチェック項目",
                        format!(
                            "/children/{}/transitions#transition-{}",
                            c.child_id, c.ref_id
                        ),
                    ),
                };
                Line::to(
                    format!(
                        "{}{}まで：{}さん {}「{}」（{}さんの担当）",
                        late(c.due_on, today),
                        calendar::day_label(c.due_on),
                        c.child_name,
                        what,
                        c.title.chars().take(20).collect::<String>(),
                        c.lead_name
                    ),
                    href,
                )
            })
            .collect(),
    )
}

/// The consultations and visits to follow up within a week (and those late), by date.
async fn follow_ups(u: &mut Unit, today: Date) -> Result<Vec<Line>, AppError> {
    let until = today + Duration::days(7);
    let mut dated: Vec<(Date, Line)> = tsunagu_store::consultations::follow_ups(u, until)
        .await?
        .into_iter()
        .filter_map(|c| {
            let on = c.follow_up_on?;
            let who = c.child_name.unwrap_or_else(|| "匿名の相談".to_owned());
            Some((
                on,
                Line::to(
                    format!(
                        "{}{}：{who}（{}）",
                        late(on, today),
                        calendar::day_label(on),
                        c.concern.chars().take(20).collect::<String>()
                    ),
                    format!("/consultations/{}", c.id),
                ),
            ))
        })
        .collect();
    dated.extend(
        tsunagu_store::capacity::follow_ups(u, until)
            .await?
            .into_iter()
            .filter_map(|v| {
                let on = v.follow_up_on?;
                Some((
                    on,
                    Line::to(
                        format!(
                            "{}{}：巡回相談のフォロー {}（{}）",
                            late(on, today),
                            calendar::day_label(on),
                            v.agency_name,
                            v.purpose.chars().take(20).collect::<String>()
                        ),
                        format!("/capacity#visit-{}", v.id),
                    ),
                ))
            }),
    );
    dated.sort_by_key(|(on, _)| *on);
    Ok(dated.into_iter().map(|(_, l)| l).collect())
}

/// The area's challenges not yet resolved, oldest first, with where each stands.
async fn open_challenges(u: &mut Unit) -> Result<Vec<Line>, AppError> {
    let actor = u.actor()?;
    let (items, total) =
        tsunagu_store::challenges::open_in_areas(&mut *u, &actor, CARD_LINES as i64 + 1).await?;
    let mut lines: Vec<Line> = items
        .into_iter()
        .map(|c| {
            let place = if c.awaiting_committee() {
                "県の部会で検討中".to_string()
            } else if c.committee_response.is_some() {
                "部会の回答あり".to_string()
            } else {
                c.status_label().to_string()
            };
            Line::to(
                format!("{}（{}・{}）", c.title, c.area_name, place),
                format!("/challenges/{}", c.id),
            )
        })
        .collect();
    // The card shows ten and says how many more; the count is exact, not the rows read.
    if total > lines.len() as i64 {
        lines.truncate(CARD_LINES);
        lines.push(Line::to(
            format!("ほか{}件（一覧を開く）", total - CARD_LINES as i64),
            "/challenges".to_owned(),
        ));
    }
    Ok(lines)
}

/// The committee's challenges: those raised to it and not yet answered, oldest first.
async fn awaiting_committee(u: &mut Unit) -> Result<Vec<Line>, AppError> {
    Ok(tsunagu_store::challenges::raised(
        &mut *u,
        tsunagu_store::challenges::Awaiting::Answer,
        None,
    )
    .await?
    .into_iter()
    .map(|c| {
        Line::to(
            format!(
                "{}：{}（{}提起）",
                c.area_name,
                c.title,
                c.prefecture_raised_on
                    .map(japanese_date::format_date)
                    .unwrap_or_default()
            ),
            format!("/challenges/{}", c.id),
        )
    })
    .collect())
}

/// The agency's inbox (referrals waiting for an answer, meeting invitations, notes not yet
/// read), its action items, and the children shared with it.
async fn agency_cards(u: &mut Unit, today: Date) -> Result<Vec<Card>, AppError> {
    let mut inbox: Vec<Line> = tsunagu_store::handovers::inbox(u)
        .await?
        .into_iter()
        .map(|h| {
            let what = if h.status == tsunagu_domain::handover::HandoverStatus::Sent {
                "引継ぎシート（受領の確認待ち）"
            } else {
                "引継ぎシート（移行後のフィードバック待ち）"
            };
            Line::to(
                format!("{what}：{}さん", h.child_name),
                format!("/handovers/{}", h.id),
            )
        })
        .collect();
    inbox.extend(
        referrals::inbox(u)
            .await?
            .into_iter()
            .filter(|r| r.is_open())
            .map(|r| {
                let href = format!("/inbox#ref-{}", r.id);
                if r.child_name.is_empty() {
                    Line::to("つなぎの依頼（同意終了）".to_owned(), href)
                } else {
                    Line::to(format!("つなぎの依頼：{}さん", r.child_name), href)
                }
            }),
    );
    inbox.extend(week_meetings(u, today).await?.into_iter().map(|l| Line {
        text: format!("会議の案内：{}", l.text),
        ..l
    }));
    let shared = tsunagu_store::children::search(
        u,
        None,
        false,
        tsunagu_store::Paging::new(Some(tsunagu_store::Paging::MAX_LIMIT), None),
    )
    .await?
    .items;
    for (child, count) in notes::unread_by_child(u).await? {
        if let Some(c) = shared.iter().find(|c| c.id == child.0) {
            inbox.push(Line::to(
                format!(
                    "未読の連絡：{} {}さん（{count}件）",
                    c.family_name, c.given_name
                ),
                format!("/children/{child}#notes"),
            ));
        }
    }
    Ok(vec![
        Card {
            title: "受信箱",
            lines: inbox,
            empty: "未対応の依頼や引継ぎシート、1週間以内の会議、未読の連絡はありません。",
            more: None,
        },
        Card {
            title: "担当の役割分担",
            lines: due_items(u, today).await?,
            empty: "1週間以内に期限の来る役割分担はありません。",
            more: None,
        },
        Card {
            title: "共有されている子ども",
            lines: shared
                .iter()
                .map(|c| {
                    Line::to(
                        format!("{} {}", c.family_name, c.given_name),
                        format!("/children/{}", c.id),
                    )
                })
                .collect(),
            empty: "いま共有されている子どもはいません。",
            more: Some("/children"),
        },
    ])
}

/// 【期限切れ】 before a date already past.
fn late(due: Date, today: Date) -> &'static str {
    if due < today {
        "【期限切れ】"
    } else {
        ""
    }
}

/// Meetings from today to a week ahead (Japan time) for the user: the area's, or those the
/// agency is invited to.
async fn week_meetings(u: &mut Unit, today: Date) -> Result<Vec<Line>, AppError> {
    let start =
        time::OffsetDateTime::new_in_offset(today, time::Time::MIDNIGHT, japanese_date::JST);
    Ok(
        tsunagu_store::meetings::between(u, start, start + Duration::days(7))
            .await?
            .into_iter()
            .map(|m| {
                let t = m.starts_at.to_offset(japanese_date::JST);
                let day = if t.date() == today {
                    "今日".to_owned()
                } else {
                    format!(
                        "{}月{}日（{}）",
                        u8::from(t.month()),
                        t.day(),
                        calendar::weekday_suffix(t.date())
                    )
                };
                Line::to(
                    format!(
                        "{day} {}:{:02} 支援会議：{}",
                        t.hour(),
                        t.minute(),
                        m.purpose
                    ),
                    format!("/meetings/{}", m.id),
                )
            })
            .collect(),
    )
}

/// Open action items due within a week, overdue ones first: the area's for a coordinator, the
/// agency's own for its staff.
async fn due_items(u: &mut Unit, today: Date) -> Result<Vec<Line>, AppError> {
    Ok(
        tsunagu_store::meetings::due_items(u, Some(today + Duration::days(7)))
            .await?
            .into_iter()
            .map(|i| {
                let (due, mark) = match i.due_on {
                    Some(d) => (calendar::day_label(d), late(d, today)),
                    None => (String::new(), ""),
                };
                Line::to(
                    format!("{mark}{due}まで：{}", i.title),
                    format!("/meetings/{}#items", i.meeting_id),
                )
            })
            .collect(),
    )
}
