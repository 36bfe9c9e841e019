//! The token list and the confirmation before a token is revoked.

use askama::Template;
use axum::{
    extract::{Path, State},
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};
use tsunagu_domain::TokenId;
use tsunagu_store::tokens::{self, Token};

use crate::{
    auth::{Auth, Meta},
    layout::{filters, Layout},
    routing::Router,
    unit::Pooled,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/tokens", get(list))
        .route("/admin/tokens/{id}/revoke", get(confirm).post(revoke))
}

#[derive(Template)]
#[template(path = "admin/tokens.html")]
struct ListPage {
    layout: Layout,
    tokens: Vec<Token>,
}

#[derive(serde::Deserialize, Default)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    crate::extract::Query(q): crate::extract::Query<NoticeQuery>,
) -> Result<Html<String>, AppError> {
    let page = ListPage {
        layout: Layout::page(&auth, "APIトークン", "/admin/tokens")
            .with_notice(q.notice.as_deref()),
        tokens: tokens::list(&state.db).await?,
    };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "admin/token_revoke.html")]
struct ConfirmPage {
    layout: Layout,
    token: Token,
}

async fn confirm(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let token = tokens::list(&state.db)
        .await?
        .into_iter()
        .find(|t| t.id == TokenId(id) && t.revoked_at.is_none())
        .ok_or(AppError::NotFound)?;
    let page = ConfirmPage {
        layout: Layout::page(&auth, "APIトークンの失効", "/admin/tokens"),
        token,
    };
    Ok(Html(page.render()?))
}

async fn revoke(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    tokens::revoke(&mut tx, &meta, &auth.actor, TokenId(id)).await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/tokens?notice=revoked").into_response())
}
