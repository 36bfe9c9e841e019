//! Printed documents: each is one [`Document`] shown either as an A4 HTML print view or as a PDF
//! typeset in Rust (see `tsunagu_documents::pdf`), so the screen's print and the PDF never differ.

use askama::Template;
use axum::{
    http::{header, HeaderValue},
    response::{Html, IntoResponse, Response},
};
use tsunagu_documents::pdf::{Block, Document};

use crate::{layout::Layout, AppError};

/// The footer of every printed page about a child.
pub const CONFIDENTIAL: &str =
    "取扱注意：要配慮個人情報を含みます。目的外の利用・複写をしないでください。";

#[derive(Template)]
#[template(path = "print/document.html")]
struct PrintPage<'a> {
    layout: Layout,
    doc: &'a Document,
    back: &'a str,
    back_label: &'a str,
    pdf: &'a str,
}

impl PrintPage<'_> {
    fn fields(b: &Block) -> Option<&Vec<(String, String)>> {
        match b {
            Block::Fields { fields } => Some(fields),
            _ => None,
        }
    }
    fn table(b: &Block) -> Option<(&Vec<String>, &Vec<Vec<String>>)> {
        match b {
            Block::Table { headers, rows, .. } => Some((headers, rows)),
            _ => None,
        }
    }
    fn text(b: &Block) -> Option<&str> {
        match b {
            Block::Text { text } => Some(text),
            _ => None,
        }
    }
    fn signature(b: &Block) -> Option<&str> {
        match b {
            Block::Signature { label } => Some(label),
            _ => None,
        }
    }
}

/// The A4 print view of a document, with links back and to its PDF (hidden when printing).
pub fn html(
    layout: Layout,
    doc: &Document,
    back: &str,
    back_label: &str,
    pdf: &str,
) -> Result<Html<String>, AppError> {
    let page = PrintPage {
        layout,
        doc,
        back,
        back_label,
        pdf,
    };
    Ok(Html(page.render()?))
}

/// The document as a PDF, typeset off the async workers (it takes tens of milliseconds).
pub async fn pdf(doc: Document, file_name: &str) -> Result<Response, AppError> {
    let bytes = tokio::task::spawn_blocking(move || tsunagu_documents::pdf::render(&doc))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    // An ASCII name for old clients, the Japanese one (RFC 5987) for the rest.
    let disposition = format!(
        "inline; filename=\"tsunagu.pdf\"; filename*=UTF-8''{}",
        percent_encode(file_name)
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Whether an API caller asked for the PDF rather than JSON.
pub fn wants_pdf(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/pdf"))
}

/// 「—」 for an empty value on paper, so a blank reads as "nothing recorded", not "forgotten".
pub fn or_dash(s: &str) -> String {
    if s.trim().is_empty() {
        "—".to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_are_percent_encoded_as_utf8() {
        assert_eq!(
            super::percent_encode("引継ぎ-1.pdf"),
            "%E5%BC%95%E7%B6%99%E3%81%8E-1.pdf"
        );
    }
}
