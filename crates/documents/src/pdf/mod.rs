//! PDFs in Japanese, typeset by typst as a library with the IPAex Gothic font that ships in
//! `fonts/`, so a fresh machine renders them without installing anything.
//!
//! Every printed document (handover sheet, support file, minutes, plan, transition calendar) is
//! a [`Document`]: the web layer fills it once and shows it either as the HTML print view or as
//! this PDF. The content reaches typst as JSON through `sys.inputs`, never spliced into markup,
//! so no text a user typed can change the layout.

use std::sync::OnceLock;

use serde::Serialize;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Dict, IntoValue};
use typst::layout::PagedDocument;
use typst::syntax::{FileId, Source, VirtualPath};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

/// A printable document: a title, lines under it, and sections of blocks.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Document {
    pub title: String,
    /// Lines under the title: whose document it is, when it was made.
    pub meta: Vec<String>,
    pub sections: Vec<Section>,
    /// Printed at the foot of every page (e.g. 「取扱注意：個人情報」).
    pub footer: String,
    /// A4 on its side, for wide tables (the transition calendar).
    pub landscape: bool,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Section {
    pub heading: String,
    pub blocks: Vec<Block>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    /// Label and value pairs, one row each.
    Fields { fields: Vec<(String, String)> },
    /// A table with a header row; `widths` are relative column widths.
    Table {
        headers: Vec<String>,
        widths: Vec<u16>,
        rows: Vec<Vec<String>>,
    },
    /// A paragraph (line breaks kept).
    Text { text: String },
    /// A line to sign on: 「保護者確認欄」.
    Signature { label: String },
}

impl Section {
    pub fn new(heading: impl Into<String>) -> Section {
        Section {
            heading: heading.into(),
            blocks: Vec::new(),
        }
    }

    pub fn fields<L: Into<String>, V: Into<String>>(
        mut self,
        fields: impl IntoIterator<Item = (L, V)>,
    ) -> Section {
        self.blocks.push(Block::Fields {
            fields: fields
                .into_iter()
                .map(|(l, v)| (l.into(), v.into()))
                .collect(),
        });
        self
    }

    pub fn table(mut self, headers: &[(&str, u16)], rows: Vec<Vec<String>>) -> Section {
        self.blocks.push(Block::Table {
            headers: headers.iter().map(|(h, _)| h.to_string()).collect(),
            widths: headers.iter().map(|(_, w)| *w).collect(),
            rows,
        });
        self
    }

    pub fn text(mut self, text: impl Into<String>) -> Section {
        self.blocks.push(Block::Text { text: text.into() });
        self
    }

    pub fn signature(mut self, label: impl Into<String>) -> Section {
        self.blocks.push(Block::Signature {
            label: label.into(),
        });
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("typst: {0}")]
    Typeset(String),
    #[error("document: {0}")]
    Data(#[from] serde_json::Error),
}

const TEMPLATE: &str = include_str!("document.typ");
const FONT: &[u8] = include_bytes!("../../fonts/ipaexg.ttf");

/// The font, parsed once: it takes tens of milliseconds.
struct Shared {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let fonts: Vec<Font> = Font::iter(Bytes::new(FONT)).collect();
        let book = FontBook::from_fonts(&fonts);
        Shared {
            book: LazyHash::new(book),
            fonts,
        }
    })
}

struct DocumentWorld {
    library: LazyHash<Library>,
    main: Source,
}

impl World for DocumentWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }
    fn book(&self) -> &LazyHash<FontBook> {
        &shared().book
    }
    fn main(&self) -> FileId {
        self.main.id()
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }
    fn file(&self, _id: FileId) -> FileResult<Bytes> {
        Err(FileError::AccessDenied)
    }
    fn font(&self, index: usize) -> Option<Font> {
        shared().fonts.get(index).cloned()
    }
    fn today(&self, _offset: Option<i64>) -> Option<Datetime> {
        None
    }
}

/// Typesets the document on A4 and returns the PDF's bytes.
pub fn render(doc: &Document) -> Result<Vec<u8>, PdfError> {
    let json = serde_json::to_string(doc)?;
    let mut inputs = Dict::new();
    inputs.insert("doc".into(), json.into_value());
    let library = Library::builder().with_inputs(inputs).build();
    let world = DocumentWorld {
        library: LazyHash::new(library),
        main: Source::new(
            FileId::new(None, VirtualPath::new("document.typ")),
            TEMPLATE.to_string(),
        ),
    };
    let paged: PagedDocument = typst::compile(&world)
        .output
        .map_err(|errors| PdfError::Typeset(describe(&errors)))?;
    typst_pdf::pdf(&paged, &typst_pdf::PdfOptions::default())
        .map_err(|errors| PdfError::Typeset(describe(&errors)))
}

fn describe(errors: &[typst::diag::SourceDiagnostic]) -> String {
    errors
        .iter()
        .map(|e| e.message.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests;
