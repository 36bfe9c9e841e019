//! Extractors that turn malformed input into a clear Japanese message (never axum's English
//! plain-text rejection), and list parameters shared by every list.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::{header, request::Parts},
};
use serde::{de::DeserializeOwned, Deserialize};
use tsunagu_store::Paging;

use crate::AppError;

fn content_type(req: &Request) -> Option<String> {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, AppError> {
    Bytes::from_request(req, state).await.map_err(|_| {
        AppError::BadRequest("送信されたデータが大きすぎるか、読み取れませんでした。".into())
    })
}

/// A body format: how its bytes become the value, with a Japanese message when they do not.
pub trait FromBody: Sized {
    fn from_body(content_type: Option<&str>, bytes: &[u8]) -> Result<Self, AppError>;
}

/// A submitted HTML form (`application/x-www-form-urlencoded`); repeated keys fill a `Vec`.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned> FromBody for Form<T> {
    fn from_body(content_type: Option<&str>, bytes: &[u8]) -> Result<Self, AppError> {
        if !content_type.is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded")) {
            return Err(AppError::BadRequest(
                "フォームの送信形式が正しくありません。".into(),
            ));
        }
        serde_html_form::from_bytes(bytes).map(Form).map_err(|_| {
            AppError::BadRequest(
                "送信内容を読み取れませんでした。入力内容を確認してください。".into(),
            )
        })
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ct = content_type(&req);
        Form::from_body(ct.as_deref(), &body_bytes(req, state).await?)
    }
}

/// A JSON body; a syntax error or a wrong field type says where.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> FromBody for Json<T> {
    fn from_body(content_type: Option<&str>, bytes: &[u8]) -> Result<Self, AppError> {
        if !content_type.is_some_and(|ct| ct.starts_with("application/json")) {
            return Err(AppError::BadRequest(
                "Content-Type: application/json で送信してください。".into(),
            ));
        }
        let de = &mut serde_json::Deserializer::from_slice(bytes);
        serde_path_to_error_free(de).map(Json)
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ct = content_type(&req);
        Json::from_body(ct.as_deref(), &body_bytes(req, state).await?)
    }
}

/// A JSON Merge Patch (RFC 7396, `application/merge-patch+json`): the members to change, `null`
/// for those to clear.
pub struct MergePatch(pub serde_json::Value);

impl FromBody for MergePatch {
    fn from_body(content_type: Option<&str>, bytes: &[u8]) -> Result<Self, AppError> {
        if !content_type.is_some_and(|ct| ct.starts_with("application/merge-patch+json")) {
            return Err(AppError::BadRequest(
                "Content-Type: application/merge-patch+json で送信してください。".into(),
            ));
        }
        let de = &mut serde_json::Deserializer::from_slice(bytes);
        let patch: serde_json::Value = serde_path_to_error_free(de)?;
        if !patch.is_object() {
            return Err(AppError::BadRequest(
                "変更する項目を JSON のオブジェクトで送信してください。".into(),
            ));
        }
        Ok(MergePatch(patch))
    }
}

impl MergePatch {
    /// `current` with the patch applied.
    pub fn apply_to(&self, mut current: serde_json::Value) -> serde_json::Value {
        json_patch::merge(&mut current, &self.0);
        current
    }
}

/// A body read but not yet parsed. A handler of a change first asks whether the caller may
/// make it, then parses: whoever may not is refused (403, or 404 for a child they may not know
/// of) whatever the body holds, and only those who may act are told what to fix.
pub struct Deferred<E> {
    content_type: Option<String>,
    bytes: Bytes,
    format: std::marker::PhantomData<E>,
}

impl<E: FromBody> Deferred<E> {
    pub fn parse(self) -> Result<E, AppError> {
        E::from_body(self.content_type.as_deref(), &self.bytes)
    }
}

impl<S: Send + Sync, E> FromRequest<S> for Deferred<E> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = content_type(&req);
        Ok(Deferred {
            content_type,
            bytes: body_bytes(req, state).await?,
            format: std::marker::PhantomData,
        })
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
