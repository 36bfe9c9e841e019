//! Versions of changeable records over HTTP: the `ETag` a read answers and the `If-Match` a
//! change must carry, so two editors never overwrite each other silently.

use axum::http::{header, HeaderMap, HeaderValue};

use crate::AppError;

/// The `ETag` of version `n`: `"n"`.
pub fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// The version a change was made from, from `If-Match`: 428 without one; `*` (any version)
/// answers None, a deliberate overwrite.
pub fn if_match(headers: &HeaderMap) -> Result<Option<i64>, AppError> {
    let value = headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .ok_or(AppError::PreconditionRequired)?;
    if value == "*" {
        return Ok(None);
    }
    value
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .map(Some)
        .map_err(|_| {
            AppError::BadRequest(
                "If-Match には読んだときの ETag（\"3\" のような値）を指定してください。".into(),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_MATCH,
            HeaderValue::from_str(value).unwrap_or(etag(0)),
        );
        h
    }

    #[test]
    fn if_match_reads_what_etag_wrote() {
        assert_eq!(if_match(&with("\"7\"")).ok(), Some(Some(7)));
        assert_eq!(if_match(&with("W/\"7\"")).ok(), Some(Some(7)));
        assert_eq!(if_match(&with("*")).ok(), Some(None));
        assert_eq!(etag(7), HeaderValue::from_static("\"7\""));
        assert!(matches!(
            if_match(&HeaderMap::new()),
            Err(AppError::PreconditionRequired)
        ));
        assert!(matches!(
            if_match(&with("abc")),
            Err(AppError::BadRequest(_))
        ));
    }
}
