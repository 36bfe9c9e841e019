//! Extractors that turn malformed input into a clear Japanese message (never axum's English
//! plain-text rejection), and list parameters shared by every list.

use axum::{
    extract::{FromRequest, FromRequestParts, Request},
    http::{header, request::Parts},
};
use serde::{de::DeserializeOwned, Deserialize};
use tsunagu_store::Paging;

use crate::AppError;

fn has_content_type(req: &Request, expected: &str) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with(expected))
}

/// A submitted HTML form (`application/x-www-form-urlencoded`); repeated keys fill a `Vec`.
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !has_content_type(&req, "application/x-www-form-urlencoded") {
            return Err(AppError::BadRequest(
                "フォームの送信形式が正しくありません。".into(),
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| {
                AppError::BadRequest(
                    "送信されたデータが大きすぎるか、読み取れませんでした。".into(),
                )
            })?;
        serde_html_form::from_bytes(&bytes).map(Form).map_err(|_| {
            AppError::BadRequest(
                "送信内容を読み取れませんでした。入力内容を確認してください。".into(),
            )
        })
    }
}

/// A JSON body; a syntax error or a wrong field type says where.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !has_content_type(&req, "application/json") {
            return Err(AppError::BadRequest(
                "Content-Type: application/json で送信してください。".into(),
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| {
                AppError::BadRequest(
                    "送信されたデータが大きすぎるか、読み取れませんでした。".into(),
                )
            })?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error_free(de).map(Json)
    }
}

fn serde_path_to_error_free<'de, T: DeserializeOwned>(
    de: &mut serde_json::Deserializer<serde_json::de::SliceRead<'de>>,
) -> Result<T, AppError> {
    T::deserialize(&mut *de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| {
            AppError::BadRequest(format!(
                "JSONを読み取れませんでした（{}行{}列）。",
                e.line(),
                e.column()
            ))
        })
}

/// Query parameters; a malformed one is a 400 with a Japanese message.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        serde_html_form::from_str(q)
            .map(Query)
            .map_err(|_| AppError::BadRequest("検索条件を読み取れませんでした。".into()))
    }
}

/// `q`, `limit` and `offset`, which every list takes. Numbers arrive as text so that a wrong
/// one gets a clear message instead of a rejection.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Free text: names in kanji, hiragana, katakana or half-width kana alike.
    pub q: Option<String>,
    /// How many items (default 50, at most 500).
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
    /// How many to skip.
    #[param(value_type = Option<i64>)]
    pub offset: Option<String>,
}

impl ListParams {
    pub fn q(&self) -> Option<&str> {
        self.q.as_deref().map(str::trim).filter(|q| !q.is_empty())
    }

    pub fn paging(&self) -> Result<Paging, AppError> {
        let num = |field: &str, v: &Option<String>| -> Result<Option<i64>, AppError> {
            match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => s.parse::<i64>().map(Some).map_err(|_| {
                    AppError::invalid(field, format!("{field}は整数で指定してください。"))
                }),
            }
        };
        Ok(Paging::new(
            num("limit", &self.limit)?,
            num("offset", &self.offset)?,
        ))
    }
}
