//! Drafts of long forms (consultation, minutes, plan, handover sheet, support file), kept on
//! the server for the user who types them, one per form: a closed tab or a dropped connection
//! loses nothing. A draft is the user's own typing, readable only by them; it is not the
//! child's record until the form is sent, so saving one is not an audited change of it.

use time::OffsetDateTime;

use crate::{db::query, Error, Result, Unit};

/// Longest draft kept (its fields as JSON): a long plan with many goals fits many times over.
pub const MAX_BYTES: usize = 256 * 1024;

/// A saved draft: the form's fields as `[name, value]` pairs and when they were saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub fields: Vec<(String, String)>,
    pub saved_at: OffsetDateTime,
}

/// Whether `key` names a form of this site: its address, a path of at most 200 characters.
pub fn is_form_key(key: &str) -> bool {
    key.starts_with('/')
        && !key.starts_with("//")
        && key.len() <= 200
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/-_.".contains(c))
}

fn check(key: &str) -> Result<()> {
    if is_form_key(key) {
        Ok(())
    } else {
        Err(Error::Invalid {
            field: "key",
            message: "下書きの保存先が正しくありません。",
        })
    }
}

/// Saves (or replaces) the unit's user's draft of the form at `key`.
pub async fn save(u: &mut Unit, key: &str, fields: &[(String, String)]) -> Result<()> {
    check(key)?;
    let user = u.actor()?.user_id;
    let json = serde_json::to_string(fields).map_err(|e| Error::Other(e.to_string()))?;
    if json.len() > MAX_BYTES {
        return Err(Error::Invalid {
            field: "fields",
            message: "下書きが大きすぎます。",
        });
    }
    let mut w = u.write().await?;
    query(
        "INSERT INTO drafts (user_id, form_key, fields, saved_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, form_key) DO UPDATE SET fields = excluded.fields, saved_at = excluded.saved_at",
    )
    .bind(user)
    .bind(key)
    .bind(json)
    .bind(crate::now())
    .execute(&mut w.tx)
    .await?;
    w.commit().await
}

/// The unit's user's draft of the form at `key`, if any.
pub async fn load(u: &mut Unit, key: &str) -> Result<Option<Draft>> {
    check(key)?;
    let user = u.actor()?.user_id;
    let row: Option<(String, OffsetDateTime)> =
        query("SELECT fields, saved_at FROM drafts WHERE user_id = $1 AND form_key = $2")
            .bind(user)
            .bind(key)
            .fetch_optional(&mut *u)
            .await?;
    Ok(row.map(|(fields, saved_at)| Draft {
        fields: serde_json::from_str(&fields).unwrap_or_default(),
        saved_at,
    }))
}

/// Discards the unit's user's draft of the form at `key` (sent, or thrown away).
pub async fn discard(u: &mut Unit, key: &str) -> Result<()> {
    check(key)?;
    let user = u.actor()?.user_id;
    let mut w = u.write().await?;
    query("DELETE FROM drafts WHERE user_id = $1 AND form_key = $2")
        .bind(user)
        .bind(key)
        .execute(&mut w.tx)
        .await?;
    w.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_belongs_to_a_form_of_this_site() {
        assert!(is_form_key("/consultations"));
        assert!(is_form_key("/children/12/plan"));
        assert!(!is_form_key("//evil.example/x"));
        assert!(!is_form_key("https://evil.example"));
        assert!(!is_form_key("/a?b=c"));
        assert!(!is_form_key(&format!("/{}", "a".repeat(200))));
    }
}
