//! The child's timeline page.

use askama::Template;
use axum::{extract::Path, response::Html, routing::get};
use serde::Deserialize;
use time::{Date, OffsetDateTime, Time};
use tsunagu_domain::{japanese_date::JST, validation::Errors};
use tsunagu_store::{
    access,
    children::{self, ChildId, TimelineEntry, TimelineFilter},
};

use crate::{
    agencies::parse_date,
    auth::Auth,
    extract::{ListParams, Query},
    layout::{filters, qs, Layout, Pager},
    routing::Router,
    unit::Unit,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/children/{id}/timeline", get(timeline))
}

#[derive(Template)]
#[template(path = "children/timeline.html")]
struct TimelinePage {
    layout: Layout,
    id: i64,
    name: String,
    entries: Vec<TimelineEntry>,
    pager: Pager,
    kind: String,
    from: String,
    until: String,
    kinds: Vec<(&'static str, &'static str)>,
}

pub const TIMELINE_KINDS: [(&str, &str); 15] = [
    ("visit", "巡回相談・施設支援"),
    ("transition", "移行"),
    ("handover", "引継ぎシート"),
    ("support_file", "サポートファイル"),
    ("meeting", "支援会議"),
    ("plan", "支援計画"),
    ("note", "支援チームへの連絡"),
    ("referral", "つなぎ"),
    ("duplicate", "重複・統合"),
    ("consultation", "相談"),
    ("document", "書類"),
    ("record", "記録の作成・更新"),
    ("consent", "同意"),
    ("care_team", "支援チーム"),
    ("status", "終結・再開"),
];

pub fn timeline_kind_label(code: &str) -> &'static str {
    TIMELINE_KINDS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("その他", |(_, l)| l)
}

impl TimelinePage {
    fn kind_label(&self, code: &str) -> &'static str {
        timeline_kind_label(code)
    }
    fn link(&self, kind: &str, ref_id: &Option<i64>) -> Option<String> {
        object_link(self.id, kind, *ref_id)
    }
}

/// Where a timeline entry's object is: its own page when it has one, else the tab of the
/// child's page that shows it.
pub fn object_link(child: i64, kind: &str, ref_id: Option<i64>) -> Option<String> {
    let on_page = |tab: &str| Some(format!("/children/{child}#{tab}"));
    match (kind, ref_id) {
        ("consultation", Some(id)) => Some(format!("/consultations/{id}")),
        ("meeting", Some(id)) => Some(format!("/meetings/{id}")),
        ("handover", Some(id)) => Some(format!("/handovers/{id}")),
        ("document", Some(id)) => Some(format!("/children/{child}/attachments/{id}")),
        ("plan", _) => Some(format!("/children/{child}/plan")),
        ("transition", _) => Some(format!("/children/{child}/transitions")),
        ("support_file", _) => Some(format!("/children/{child}/support-file")),
        ("referral", _) => on_page("referrals"),
        ("note", _) => on_page("notes"),
        ("care_team", _) => on_page("care-team"),
        ("consent", _) => on_page("tab-consents"),
        ("duplicate", _) => on_page("duplicates"),
        ("record" | "status", _) => on_page("tab-record"),
        _ => None,
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct TimelineQuery {
    pub kind: Option<String>,
    pub from: Option<String>,
    pub until: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
}

impl TimelineQuery {
    pub fn filter(&self) -> Result<TimelineFilter, AppError> {
        let mut e = Errors::new();
        let day = |e: &mut Errors, field: &str, label: &str, v: &Option<String>| {
            parse_date(e, field, label, v.as_deref().unwrap_or_default())
        };
        let from = day(&mut e, "from", "開始日", &self.from);
        let until = day(&mut e, "until", "終了日", &self.until);
        e.into_result().map_err(AppError::Validation)?;
        let start = |d: Date| OffsetDateTime::new_in_offset(d, Time::MIDNIGHT, JST);
        Ok(TimelineFilter {
            kind: self
                .kind
                .as_deref()
                .filter(|k| TIMELINE_KINDS.iter().any(|(c, _)| c == k))
                .map(str::to_owned),
            from: from.map(start),
            until: until.and_then(|d| d.next_day()).map(start),
        })
    }
}

async fn timeline(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
    Query(tq): Query<TimelineQuery>,
) -> Result<Html<String>, AppError> {
    let paging = ListParams {
        q: None,
        limit: tq.limit.clone(),
        offset: tq.offset.clone(),
    }
    .paging()?;
    let access = access::area_staff(&mut u, ChildId(id), children::TIMELINE).await?;
    let page = children::timeline(&mut u, &access, &tq.filter()?, paging).await?;
    let name = children::display_name(&mut u, &access).await?;
    let kind = tq.kind.clone().unwrap_or_default();
    let from = tq.from.clone().unwrap_or_default();
    let until = tq.until.clone().unwrap_or_default();
    let base = format!(
        "/children/{id}/timeline?kind={}&from={}&until={}&",
        qs(&kind),
        qs(&from),
        qs(&until)
    );
    let view = TimelinePage {
        layout: Layout::page(&auth, &format!("{name}さんの経過"), "/children"),
        id,
        pager: Pager::new(&base, page.total, paging, page.items.len()),
        entries: page.items,
        name,
        kind,
        from,
        until,
        kinds: TIMELINE_KINDS.to_vec(),
    };
    Ok(Html(view.render()?))
}
