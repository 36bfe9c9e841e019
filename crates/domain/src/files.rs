//! Which uploaded files Tsunagu accepts, decided by their content, never by their name.

/// The kinds of document a child's record takes: scanned forms, reports and photos.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    Pdf,
    Jpeg,
    Png,
}

impl FileType {
    pub fn content_type(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
        }
    }

    /// The type a stored attachment was recorded with.
    pub fn of_content_type(content_type: &str) -> Option<FileType> {
        [FileType::Pdf, FileType::Jpeg, FileType::Png]
            .into_iter()
            .find(|t| t.content_type() == content_type)
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Jpeg => "jpg",
            FileType::Png => "png",
        }
    }
}

/// Largest attachment accepted.
pub const MAX_ATTACHMENT_BYTES: usize = 20 * 1024 * 1024;

/// The file's type from its first bytes (its "magic number").
pub fn sniff(bytes: &[u8]) -> Option<FileType> {
    if bytes.starts_with(b"%PDF-") {
        Some(FileType::Pdf)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(FileType::Jpeg)
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(FileType::Png)
    } else {
        None
    }
}

/// Why an upload is not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not a PDF, JPEG or PNG by its first bytes.
    UnknownType,
    /// It begins as one but does not read as one to the end (a polyglot, a broken or
    /// password-protected file).
    Unreadable(FileType),
}

/// Largest image accepted, per side, so a small file cannot claim a huge picture.
const MAX_IMAGE_SIDE: u32 = 20_000;

/// The file's type from its bytes, and only when the whole file reads as that type: a PDF
/// whose document structure and pages parse, an image that decodes. Never from its name.
pub fn detect(bytes: &[u8]) -> Result<FileType, Refusal> {
    let kind = sniff(bytes).ok_or(Refusal::UnknownType)?;
    let readable = match kind {
        FileType::Pdf => {
            let data: hayro_syntax::PdfData = std::sync::Arc::new(bytes.to_vec());
            hayro_syntax::Pdf::new(data).is_ok_and(|pdf| !pdf.pages().is_empty())
        }
        FileType::Jpeg | FileType::Png => {
            let format = if kind == FileType::Png {
                image::ImageFormat::Png
            } else {
                image::ImageFormat::Jpeg
            };
            let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
            let mut limits = image::Limits::default();
            limits.max_image_width = Some(MAX_IMAGE_SIDE);
            limits.max_image_height = Some(MAX_IMAGE_SIDE);
            limits.max_alloc = Some(512 * 1024 * 1024);
            reader.limits(limits);
            reader.decode().is_ok()
        }
    };
    if readable {
        Ok(kind)
    } else {
        Err(Refusal::Unreadable(kind))
    }
}

/// The name a stored document gets: its title, made safe, with the extension of the type its
/// bytes are (whatever the uploaded file was called).
pub fn stored_name(title: &str, kind: FileType) -> String {
    let base = clean_file_name(title);
    let ext = kind.extension();
    let lower = base.to_lowercase();
    let has_ext =
        lower.ends_with(&format!(".{ext}")) || (kind == FileType::Jpeg && lower.ends_with(".jpeg"));
    if has_ext {
        base
    } else {
        format!("{}.{ext}", base.trim_end_matches('.'))
    }
}

/// A blank one-page PDF with a correct cross-reference table, `note` in a comment so two of
/// them differ: the smallest file the upload check takes (for tests and smoke checks).
pub fn blank_pdf(note: &str) -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ];
    let note: String = note.chars().filter(|c| !c.is_control()).collect();
    let mut pdf = format!("%PDF-1.4\n% {note}\n").into_bytes();
    let mut offsets = vec![];
    for (i, o) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend(format!("{} 0 obj {o} endobj\n", i + 1).bytes());
    }
    let xref = pdf.len();
    pdf.extend(b"xref\n0 4\n0000000000 65535 f \n");
    for o in offsets {
        pdf.extend(format!("{o:010} 00000 n \n").bytes());
    }
    pdf.extend(format!("trailer << /Size 4 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").bytes());
    pdf
}

/// A file name safe to show and to send back: no path, no control characters, at most 100 characters.
pub fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(100)
        .collect();
    if cleaned.trim().is_empty() {
        "file".to_owned()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_content_not_names() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some(FileType::Pdf));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some(FileType::Jpeg));
        assert_eq!(
            sniff(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]),
            Some(FileType::Png)
        );
        assert_eq!(sniff(b"MZ\x90\x00 an exe called report.pdf"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn a_file_must_read_as_its_type_to_the_end() {
        assert_eq!(detect(&blank_pdf("test")), Ok(FileType::Pdf));
        let polyglot = b"%PDF-1.7\n<html><script>alert(document.cookie)</script></html>\n";
        assert_eq!(detect(polyglot), Err(Refusal::Unreadable(FileType::Pdf)));
        let mut png = vec![];
        image::RgbImage::new(2, 2)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert_eq!(detect(&png), Ok(FileType::Png));
        assert_eq!(
            detect(&png[..png.len() / 2]),
            Err(Refusal::Unreadable(FileType::Png))
        );
        assert_eq!(
            detect(&[0xFF, 0xD8, 0xFF, 0xE0, b'<', b'h']),
            Err(Refusal::Unreadable(FileType::Jpeg))
        );
        assert_eq!(detect(b"<html>"), Err(Refusal::UnknownType));
    }

    #[test]
    fn the_stored_name_is_the_title_with_the_detected_extension() {
        assert_eq!(stored_name("受診メモ", FileType::Pdf), "受診メモ.pdf");
        assert_eq!(stored_name("p.html", FileType::Pdf), "p.html.pdf");
        assert_eq!(stored_name("写真.JPG", FileType::Jpeg), "写真.JPG");
        assert_eq!(stored_name("写真.jpeg", FileType::Jpeg), "写真.jpeg");
        assert_eq!(
            stored_name("../同意書.png", FileType::Pdf),
            "同意書.png.pdf"
        );
    }

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(clean_file_name("C:\\scan\\同意書.pdf"), "同意書.pdf");
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("a\"b\nc.pdf"), "abc.pdf");
        assert_eq!(clean_file_name(""), "file");
    }
}
