//! Attachments of a child's record: stored through [`BlobStore`], listed and downloaded only
//! through the child's access path, every download audited and, for an agency, disclosed.

use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tsunagu_domain::{
    access::{Purpose, SharePart},
    files::{sniff, FileType, MAX_ATTACHMENT_BYTES},
    Actor,
};

use crate::{
    audit::{self, Event, Outcome, RequestMeta},
    blobs::BlobStore,
    children::{self, ChildId},
    consultations,
    db::query,
    Db, Error, Result,
};

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Attachment {
    pub id: i64,
    pub child_id: Option<i64>,
    pub consultation_id: Option<i64>,
    pub title: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    #[serde(with = "time::serde::rfc3339")]
    pub uploaded_at: OffsetDateTime,
    pub uploaded_by_name: Option<String>,
}

const COLUMNS: &str = "a.id, a.child_id, a.consultation_id, a.title, a.file_name, a.content_type, a.size_bytes, a.sha256, a.uploaded_at, \
    u.display_name AS uploaded_by_name";

/// Checks and stores an upload for the child; refused unless the user may change the record.
/// A file as uploaded.
pub struct NewAttachment<'a> {
    pub title: &'a str,
    pub file_name: &'a str,
    pub bytes: &'a [u8],
}

pub async fn upload(
    db: &Db,
    blobs: &BlobStore,
    meta: &RequestMeta,
    actor: &Actor,
    child: ChildId,
    file: &NewAttachment<'_>,
) -> Result<i64> {
    children::authorize(db, meta, actor, child, Purpose::Write, "attachment.upload").await?;
    store(db, blobs, meta, actor, Some(child), None, file).await
}

/// A document of a consultation (a referral letter, a note brought by the family); it follows
/// the consultation to the child's record when the consultation is linked.
pub async fn upload_to_consultation(
    db: &Db,
    blobs: &BlobStore,
    meta: &RequestMeta,
    actor: &Actor,
    consultation: i64,
    file: &NewAttachment<'_>,
) -> Result<i64> {
    let child = consultations::authorize(
        db,
        meta,
        actor,
        consultation,
        Purpose::Write,
        "attachment.upload",
    )
    .await?;
    store(db, blobs, meta, actor, child, Some(consultation), file).await
}

async fn store(
    db: &Db,
    blobs: &BlobStore,
    meta: &RequestMeta,
    actor: &Actor,
    child: Option<ChildId>,
    consultation: Option<i64>,
    file: &NewAttachment<'_>,
) -> Result<i64> {
    let NewAttachment {
        title,
        file_name,
        bytes,
    } = *file;
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(Error::Invalid {
            field: "file",
            message: "ファイルが大きすぎます（20MBまで）。",
        });
    }
    let Some(kind): Option<FileType> = sniff(bytes) else {
        audit::record_alone(
            db,
            meta,
            Event::new("attachment.upload")
                .by(actor)
                .object_type("attachment")
                .outcome(Outcome::Failure)
                .detail("unsupported type"),
        )
        .await?;
        return Err(Error::Invalid {
            field: "file",
            message: "PDF、JPEG、PNGのファイルだけを添付できます。",
        });
    };
    let key = blobs.put(bytes).await?;
    let result = async {
        let mut tx = db.begin().await?;
        let (id,): (i64,) = query(
            "INSERT INTO attachments (child_id, consultation_id, title, file_name, content_type, size_bytes, sha256, storage_key, uploaded_by, uploaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(child.map(|c| c.0))
        .bind(consultation)
        .bind(title)
        .bind(file_name)
        .bind(kind.content_type())
        .bind(bytes.len() as i64)
        .bind(hex::encode(Sha256::digest(bytes)))
        .bind(&key)
        .bind(actor.user_id)
        .bind(crate::now())
        .fetch_one(&mut tx)
        .await?;
        if let Some(child) = child {
            children::add_event(&mut tx, child, "document", &format!("書類を添付しました：{title}"), Some(id), Some(actor)).await?;
        }
        audit::record(&mut tx, meta, Event::new("attachment.upload").by(actor).object("attachment", id)).await?;
        tx.commit().await?;
        Ok::<i64, Error>(id)
    }
    .await;
    if result.is_err() {
        blobs.delete(&key).await;
    }
    result
}

/// A consultation's attachments, for the staff who may see the consultation.
pub async fn list_for_consultation(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    consultation: i64,
) -> Result<Vec<Attachment>> {
    consultations::authorize(
        db,
        meta,
        actor,
        consultation,
        Purpose::Read,
        "attachment.list",
    )
    .await?;
    query(format!("SELECT {COLUMNS} FROM attachments a LEFT JOIN users u ON u.id = a.uploaded_by WHERE a.consultation_id = $1 ORDER BY a.id DESC"))
        .bind(consultation)
        .fetch_all(db)
        .await
}

/// Downloads a consultation's attachment (audited).
pub async fn download_for_consultation(
    db: &Db,
    blobs: &BlobStore,
    meta: &RequestMeta,
    actor: &Actor,
    consultation: i64,
    id: i64,
) -> Result<(Attachment, Vec<u8>)> {
    consultations::authorize(
        db,
        meta,
        actor,
        consultation,
        Purpose::Read,
        "attachment.read",
    )
    .await?;
    let attachment: Option<Attachment> =
        query(format!("SELECT {COLUMNS} FROM attachments a LEFT JOIN users u ON u.id = a.uploaded_by WHERE a.id = $1 AND a.consultation_id = $2"))
            .bind(id)
            .bind(consultation)
            .fetch_optional(db)
            .await?;
    let attachment = attachment.ok_or(Error::NotFound)?;
    let (key,): (String,) = query("SELECT storage_key FROM attachments WHERE id = $1")
        .bind(id)
        .fetch_one(db)
        .await?;
    let bytes = blobs.get(&key).await?;
    audit::record_alone(
        db,
        meta,
        Event::new("attachment.read")
            .by(actor)
            .object("attachment", id)
            .detail(format!("consultation={consultation}")),
    )
    .await?;
    Ok((attachment, bytes))
}

/// The child's attachments, for a user who may see the record's documents.
pub async fn list(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    child: ChildId,
) -> Result<Vec<Attachment>> {
    let basis =
        children::authorize(db, meta, actor, child, Purpose::Read, "attachment.list").await?;
    if !basis.parts().contains(&SharePart::Documents) {
        return Ok(vec![]);
    }
    query(format!("SELECT {COLUMNS} FROM attachments a LEFT JOIN users u ON u.id = a.uploaded_by WHERE a.child_id = $1 ORDER BY a.uploaded_at DESC, a.id DESC"))
        .bind(child.0)
        .fetch_all(db)
        .await
}

/// The attachment's record and bytes; audited, and disclosed when an agency downloads it.
pub async fn download(
    db: &Db,
    blobs: &BlobStore,
    meta: &RequestMeta,
    actor: &Actor,
    child: ChildId,
    id: i64,
) -> Result<(Attachment, Vec<u8>)> {
    let basis =
        children::authorize(db, meta, actor, child, Purpose::Read, "attachment.read").await?;
    let found: Option<(String,)> =
        query("SELECT storage_key FROM attachments WHERE id = $1 AND child_id = $2")
            .bind(id)
            .bind(child.0)
            .fetch_optional(db)
            .await?;
    let (Some((key,)), true) = (found, basis.parts().contains(&SharePart::Documents)) else {
        audit::record_alone(
            db,
            meta,
            Event::new("attachment.read")
                .by(actor)
                .object("attachment", id)
                .outcome(Outcome::Denied),
        )
        .await?;
        return Err(Error::NotFound);
    };
    let attachment: Attachment = query(format!("SELECT {COLUMNS} FROM attachments a LEFT JOIN users u ON u.id = a.uploaded_by WHERE a.id = $1"))
        .bind(id)
        .fetch_one(db)
        .await?;
    let bytes = blobs.get(&key).await?;
    let mut tx = db.begin().await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("attachment.read")
            .by(actor)
            .object("attachment", id)
            .detail(format!("child={child}")),
    )
    .await?;
    if !basis.sees_everything() {
        children::record_disclosure_of(&mut tx, actor, child, &basis, SharePart::Documents).await?;
    }
    tx.commit().await?;
    Ok((attachment, bytes))
}
