//! The search box in every page's header: children (as the access rule lets the user see
//! them) and agencies, as you type, and a page of results for Enter.

use askama::Template;
use axum::{response::Html, routing::get};
use serde::Deserialize;
use tsunagu_domain::{
    directory::{directory_access, DirectoryAccess},
    Role,
};
use tsunagu_store::{agencies, children, Paging};

use crate::{
    auth::Auth,
    children::html::{summary_line, SummaryLine},
    extract::Query,
    layout::{filters, Layout},
    routing::Router,
    unit::Unit,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/search", get(page))
        .route("/search/suggest", get(suggest))
}

#[derive(Deserialize, Default)]
struct SearchQuery {
    q: Option<String>,
}

/// What was found for one text.
struct Found {
    q: String,
    children: Vec<SummaryLine>,
    children_total: i64,
    agencies: Vec<agencies::AgencyRef>,
    agencies_total: i64,
    /// The area's consultations whose caller or concern contains the text (area staff only).
    consultations: Vec<tsunagu_store::consultations::Consultation>,
    consultations_total: i64,
}

/// Who searches what: children for those who work with them, agencies for all who may read
/// the directory (the committee sees counts only, and no children).
async fn find(auth: &Auth, u: &mut Unit, q: Option<&str>, shown: i64) -> Result<Found, AppError> {
    let q: String = q
        .map(str::trim)
        .unwrap_or_default()
        .chars()
        .take(50)
        .collect();
    let mut found = Found {
        q: q.clone(),
        children: vec![],
        children_total: 0,
        agencies: vec![],
        agencies_total: 0,
        consultations: vec![],
        consultations_total: 0,
    };
    if q.is_empty() {
        return Ok(found);
    }
    let paging = Paging::new(Some(shown), None);
    if matches!(
        auth.actor.role,
        Role::Coordinator | Role::Supervisor | Role::AgencyStaff
    ) {
        let page = children::search(u, Some(&q), true, paging).await?;
        found.children_total = page.total;
        found.children = page.items.iter().map(summary_line).collect();
    }
    if matches!(auth.actor.role, Role::Coordinator | Role::Supervisor) {
        let page = tsunagu_store::consultations::search(u, &q, shown).await?;
        found.consultations_total = page.total;
        found.consultations = page.items;
    }
    if directory_access(&auth.actor) != DirectoryAccess::CountsOnly {
        let filter = agencies::Filter {
            q: Some(q),
            ..Default::default()
        };
        let page = agencies::list(&mut **u, &filter, paging).await?;
        found.agencies_total = page.total;
        found.agencies = page
            .items
            .into_iter()
            .map(|a| agencies::AgencyRef {
                id: tsunagu_domain::AgencyId(a.id),
                name: a.name,
            })
            .collect();
    }
    Ok(found)
}

#[derive(Template)]
#[template(path = "search/page.html")]
struct SearchPage {
    layout: Layout,
    found: Found,
}

async fn page(
    auth: Auth,
    mut u: Unit,
    Query(sq): Query<SearchQuery>,
) -> Result<Html<String>, AppError> {
    let found = find(&auth, &mut u, sq.q.as_deref(), 20).await?;
    let page = SearchPage {
        layout: Layout::page(&auth, "検索", ""),
        found,
    };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "search/suggest.html")]
struct Suggest {
    found: Found,
}

/// The header's list as you type: a few of each, and the way to all of them.
async fn suggest(
    auth: Auth,
    mut u: Unit,
    Query(sq): Query<SearchQuery>,
) -> Result<Html<String>, AppError> {
    let found = find(&auth, &mut u, sq.q.as_deref(), 5).await?;
    Ok(Html(Suggest { found }.render()?))
}
