//! Attachments of a child's record: stored through [`BlobStore`], listed and downloaded only
//! through the child's access path, every download audited and, for an agency, disclosed.

use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tsunagu_domain::{
    access::{Purpose, SharePart},
    files::{self, FileType, Refusal, MAX_ATTACHMENT_BYTES},
    AttachmentId, ChildId, ConsultationId,
};

use crate::{
    access::{self, ChildAccess},
    audit::{Event, Outcome},
    blobs::BlobStore,
    children, consultations,
    db::query,
    Error, Result, Unit,
};

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Attachment {
    #[schema(value_type = i64)]
    pub id: AttachmentId,
    #[schema(value_type = Option<i64>)]
    pub child_id: Option<ChildId>,
    #[schema(value_type = Option<i64>)]
    pub consultation_id: Option<ConsultationId>,
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

/// A file as uploaded. Its own name is not kept: the stored name is the title with the
/// extension of the type its bytes are.
pub struct NewAttachment<'a> {
    pub title: &'a str,
    pub bytes: &'a [u8],
}

/// Checks and stores an upload for the child; `access` is a coordinator's, minted for a change.
pub async fn upload(
    u: &mut Unit,
    blobs: &BlobStore,
    access: &ChildAccess,
    file: &NewAttachment<'_>,
) -> Result<AttachmentId> {
    store(u, blobs, Some(access), None, file).await
}

/// A document of a consultation (a referral letter, a note brought by the family); it follows
/// the consultation to the child's record when the consultation is linked.
pub async fn upload_to_consultation(
    u: &mut Unit,
    blobs: &BlobStore,
    consultation: ConsultationId,
    file: &NewAttachment<'_>,
) -> Result<AttachmentId> {
    let (_, child) =
        consultations::authorize(u, consultation, Purpose::Write, "attachment.upload").await?;
    store(u, blobs, child.as_ref(), Some(consultation), file).await
}

async fn store(
    u: &mut Unit,
    blobs: &BlobStore,
    child: Option<&ChildAccess>,
    consultation: Option<ConsultationId>,
    file: &NewAttachment<'_>,
) -> Result<AttachmentId> {
    let stored = Stored::put(u, blobs, file).await?;
    let result = async {
        let mut w = match child {
            Some(access) => access::write(u, access, "attachment.upload").await?,
            None => u.write().await?,
        };
        let id = stored.insert(&mut w, child, consultation).await?;
        w.commit().await?;
        Ok::<AttachmentId, Error>(id)
    }
    .await;
    if result.is_err() {
        stored.forget(blobs).await;
    }
    result
}

/// A file checked and written to the blob store, not yet recorded: recorded inside a write
/// ([`Stored::insert`]) or forgotten ([`Stored::forget`]) if that write fails.
pub(crate) struct Stored<'a> {
    title: &'a str,
    bytes: &'a [u8],
    kind: FileType,
    file_name: String,
    key: String,
}

impl<'a> Stored<'a> {
    /// Checks the file's size and type (a refusal is audited) and writes its bytes, encrypted.
    pub(crate) async fn put(
        u: &mut Unit,
        blobs: &BlobStore,
        file: &NewAttachment<'a>,
    ) -> Result<Stored<'a>> {
        let NewAttachment { title, bytes } = *file;
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(Error::Invalid {
                field: "file",
                message: "ファイルが大きすぎます（20MBまで）。",
            });
        }
        // Reading a whole image or PDF takes a while: off the async workers.
        let owned = bytes.to_vec();
        let detected = tokio::task::spawn_blocking(move || files::detect(&owned))
            .await
            .map_err(|e| Error::Other(e.to_string()))?;
        let kind: FileType = match detected {
            Ok(kind) => kind,
            Err(refusal) => {
                let (detail, message) = match refusal {
                    Refusal::UnknownType => (
                        "unsupported type",
                        "PDF、JPEG、PNGのファイルだけを添付できます。",
                    ),
                    Refusal::Unreadable(FileType::Pdf) => (
                        "unreadable pdf",
                        "PDFとして読み取れないファイルです（壊れている、パスワードが付いている、または別の形式のファイルです）。",
                    ),
                    Refusal::Unreadable(_) => (
                        "unreadable image",
                        "画像として読み取れないファイルです（壊れているか、別の形式のファイルです）。",
                    ),
                };
                u.audit(
                    Event::new("attachment.upload")
                        .object_type("attachment")
                        .outcome(Outcome::Failure)
                        .detail(detail),
                );
                return Err(Error::Invalid {
                    field: "file",
                    message,
                });
            }
        };
        let key = blobs.put(bytes).await?;
        Ok(Stored {
            title,
            bytes,
            kind,
            file_name: files::stored_name(title, kind),
            key,
        })
    }

    /// Records the attachment (and the child's timeline entry) inside `w`.
    pub(crate) async fn insert(
        &self,
        w: &mut crate::unit::Write<'_>,
        child: Option<&ChildAccess>,
        consultation: Option<ConsultationId>,
    ) -> Result<AttachmentId> {
        let actor = w.actor()?;
        let (id,): (i64,) = query(
            "INSERT INTO attachments (child_id, consultation_id, title, file_name, content_type, size_bytes, sha256, storage_key, uploaded_by, uploaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(child.map(|c| c.child().0))
        .bind(consultation.map(|c| c.0))
        .bind(self.title)
        .bind(&self.file_name)
        .bind(self.kind.content_type())
        .bind(self.bytes.len() as i64)
        .bind(hex::encode(Sha256::digest(self.bytes)))
        .bind(&self.key)
        .bind(actor.user_id)
        .bind(crate::now())
        .fetch_one(&mut w.tx)
        .await?;
        if let Some(child) = child {
            children::add_event(
                &mut w.tx,
                child.child(),
                "document",
                &format!("書類を添付しました：{}", self.title),
                Some(id),
                Some(&actor),
            )
            .await?;
        }
        w.record(Event::new("attachment.upload").object("attachment", id))
            .await?;
        Ok(AttachmentId(id))
    }

    /// Removes the bytes of a file whose record was not written.
    pub(crate) async fn forget(self, blobs: &BlobStore) {
        blobs.delete(&self.key).await;
    }
}

/// A consultation's attachments, for the staff who may see the consultation.
pub async fn list_for_consultation(
    u: &mut Unit,
    consultation: ConsultationId,
) -> Result<Vec<Attachment>> {
    let (_, child) =
        consultations::authorize(u, consultation, Purpose::Read, "attachment.list").await?;
    let found: Vec<Attachment> = query(format!("SELECT {COLUMNS} FROM attachments a LEFT JOIN users u ON u.id = a.uploaded_by WHERE a.consultation_id = $1 ORDER BY a.id DESC"))
        .bind(consultation.0)
        .fetch_all(&mut *u)
        .await?;
    u.audit_shown("attachment.list", child.map(|c| c.child()));
    Ok(found)
}

/// Downloads a consultation's attachment (audited).
pub async fn download_for_consultation(
    u: &mut Unit,
    blobs: &BlobStore,
    consultation: ConsultationId,
    id: AttachmentId,
) -> Result<(Attachment, Vec<u8>)> {
    consultations::authorize(u, consultation, Purpose::Read, "attachment.read").await?;
    let attachment: Option<Attachment> =
        query(format!("SELECT {COLUMNS} FROM attachments a LEFT JOIN users u ON u.id = a.uploaded_by WHERE a.id = $1 AND a.consultation_id = $2"))
            .bind(id.0)
            .bind(consultation.0)
            .fetch_optional(&mut *u)
            .await?;
    let attachment = attachment.ok_or(Error::NotFound)?;
    let (key,): (String,) = query("SELECT storage_key FROM attachments WHERE id = $1")
        .bind(id.0)
        .fetch_one(&mut *u)
        .await?;
    let bytes = blobs.get(&key).await?;
    u.audit(
        Event::new("attachment.read")
            .object("attachment", id)
            .detail(format!("consultation={consultation}")),
    );
    Ok((attachment, bytes))
}

/// The child's attachments, for a user whose access shows the record's documents (an agency's
/// sight of their titles is a disclosure of the part).
pub async fn list(u: &mut Unit, access: &ChildAccess) -> Result<Vec<Attachment>> {
    if !access.sees(SharePart::Documents) {
        return Ok(vec![]);
    }
    let found: Vec<Attachment> = query(format!("SELECT {COLUMNS} FROM attachments a LEFT JOIN users u ON u.id = a.uploaded_by WHERE a.child_id = $1 ORDER BY a.uploaded_at DESC, a.id DESC"))
        .bind(access.child().0)
        .fetch_all(&mut *u)
        .await?;
    if !found.is_empty() {
        u.audit_shown("attachment.list", [access.child()]);
        access.disclose(u, &[SharePart::Documents])?;
    }
    Ok(found)
}

/// The attachment's record and bytes; audited, and disclosed when an agency downloads it.
pub async fn download(
    u: &mut Unit,
    blobs: &BlobStore,
    access: &ChildAccess,
    id: AttachmentId,
) -> Result<(Attachment, Vec<u8>)> {
    let child = access.child();
    let found: Option<Attachment> = query(format!(
        "SELECT {COLUMNS} FROM attachments a LEFT JOIN users u ON u.id = a.uploaded_by WHERE a.id = $1 AND a.child_id = $2"
    ))
    .bind(id.0)
    .bind(child.0)
    .fetch_optional(&mut *u)
    .await?;
    let (Some(attachment), true) = (found, access.sees(SharePart::Documents)) else {
        u.audit(
            Event::new("attachment.read")
                .object("attachment", id)
                .outcome(Outcome::Denied),
        );
        return Err(Error::NotFound);
    };
    let (key,): (String,) = query("SELECT storage_key FROM attachments WHERE id = $1")
        .bind(id.0)
        .fetch_one(&mut *u)
        .await?;
    let bytes = blobs.get(&key).await?;
    u.audit(
        Event::new("attachment.read")
            .object("attachment", id)
            .detail(format!("child={child}")),
    );
    access.disclose(u, &[SharePart::Documents])?;
    Ok((attachment, bytes))
}
