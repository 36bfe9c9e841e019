//! Importing the directory from a CSV file: read, check every row, show a preview with each
//! row's problems, and write nothing until every row is right — then all rows in one transaction.

use std::collections::HashSet;

use tsunagu_documents::csv::{read_table, restore_cell, Table};
use tsunagu_domain::{directory::SERVICES, Actor, MunicipalityId, Role};
use tsunagu_store::{
    agencies::{self, AgencyInput},
    areas, Db,
};

use super::{validate, AgencyFields, Lookups, CSV_COLUMNS, MAX_ROWS};
use crate::AppError;

/// One row of the file as the preview shows it.
pub struct PreviewRow {
    /// The line in the file (the header is line 1).
    pub line: usize,
    pub name: String,
    pub kind: String,
    pub municipality: String,
    pub errors: Vec<String>,
}

pub struct Preview {
    pub encoding: &'static str,
    pub rows: Vec<PreviewRow>,
    /// The rows to write, when every row is right.
    pub inputs: Vec<AgencyInput>,
    /// Problems of the file as a whole (a missing column).
    pub file_errors: Vec<String>,
    pub ignored_columns: Vec<String>,
}

impl Preview {
    pub fn error_rows(&self) -> usize {
        self.rows.iter().filter(|r| !r.errors.is_empty()).count()
    }

    pub fn is_importable(&self) -> bool {
        self.file_errors.is_empty() && self.error_rows() == 0 && !self.rows.is_empty()
    }
}

const REQUIRED: [&str; 3] = ["名称", "種別", "市町村"];

/// Reads and checks a file; `Err` only when it is not a readable table at all.
pub async fn preview(
    db: &Db,
    actor: &Actor,
    bytes: &[u8],
) -> Result<Result<Preview, String>, AppError> {
    let table = match read_table(bytes, MAX_ROWS) {
        Ok(t) => t,
        Err(e) => return Ok(Err(e.to_string())),
    };
    Ok(Ok(check(db, actor, &table).await?))
}

async fn check(db: &Db, actor: &Actor, table: &Table) -> Result<Preview, AppError> {
    let lookups = Lookups::load(db).await?;
    let column = |name: &str| {
        table
            .header
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
    };
    let file_errors: Vec<String> = REQUIRED
        .iter()
        .filter(|c| column(c).is_none())
        .map(|c| format!("「{c}」の列がありません。1行目に列名を入れてください。"))
        .collect();
    let ignored_columns = table
        .header
        .iter()
        .filter(|h| !h.is_empty() && !CSV_COLUMNS.contains(&h.as_str()))
        .cloned()
        .collect();
    let mut preview = Preview {
        encoding: table.encoding,
        rows: Vec::new(),
        inputs: Vec::new(),
        file_errors,
        ignored_columns,
    };
    if !preview.file_errors.is_empty() {
        return Ok(preview);
    }
    let existing = agencies::existing_keys(db).await?;
    let allowed: Option<HashSet<MunicipalityId>> = match actor.role {
        Role::Admin => None,
        _ => Some(
            areas::municipality_ids_of(db, &actor.area_ids)
                .await?
                .into_iter()
                .collect(),
        ),
    };
    let mut in_file = HashSet::new();
    for (i, row) in table.rows.iter().enumerate() {
        let cell = |name: &str| -> String {
            column(name)
                .and_then(|c| row.get(c))
                .map(|v| restore_cell(v.trim()).to_owned())
                .unwrap_or_default()
        };
        let kind = cell("種別");
        let municipality = cell("市町村");
        let (listed, other): (Vec<String>, Vec<String>) = cell("提供サービス")
            .split(['、', ','])
            .map(tsunagu_domain::directory::current_service)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .partition(|s| SERVICES.contains(&s.as_str()));
        let fields = AgencyFields {
            name: cell("名称"),
            kana: cell("よみがな"),
            kind_id: lookups
                .kinds
                .iter()
                .find(|k| k.name == kind)
                .map(|k| k.id.to_string())
                .unwrap_or_default(),
            municipality_id: lookups
                .municipalities
                .iter()
                .find(|m| m.name == municipality)
                .map(|m| m.id.to_string())
                .unwrap_or_default(),
            postal_code: cell("郵便番号"),
            address: cell("住所"),
            phone: cell("電話番号"),
            fax: cell("FAX番号"),
            email: cell("メールアドレス"),
            website: cell("ウェブサイト"),
            hours: cell("受付時間"),
            age_from: cell("対象年齢（下限）"),
            age_to: cell("対象年齢（上限）"),
            needs_served: cell("対象となる支援ニーズ"),
            services: listed,
            other_services: other.join("、"),
            contacts: cell("担当者").split('、').collect::<Vec<_>>().join("\n"),
            capacity_note: cell("定員・空き状況"),
            capacity_checked_on: cell("空き状況の確認日"),
            notes: cell("備考"),
            served_area_ids: vec![],
            version: String::new(),
        };
        let (input, errors) = validate(&fields, &lookups);
        let mut messages: Vec<String> = errors
            .all()
            .iter()
            .map(|e| match e.field.as_str() {
                "kind_id" if !kind.is_empty() => format!("種別「{kind}」は登録されていません。"),
                "municipality_id" if !municipality.is_empty() => {
                    format!("市町村「{municipality}」は見つかりません。")
                }
                _ => e.message.clone(),
            })
            .collect();
        if messages.is_empty() {
            let key = agencies::address_key(&input.name, input.address.as_deref());
            if existing.contains(&key) {
                messages.push("同じ名称・住所の機関がすでに登録されています。".into());
            } else if !in_file.insert(key) {
                messages.push("ファイルの中に同じ名称・住所の行がほかにもあります。".into());
            }
            if allowed
                .as_ref()
                .is_some_and(|set| !set.contains(&input.municipality_id))
            {
                messages
                    .push("担当地域の外の市町村です。担当地域の機関だけを取り込めます。".into());
            }
        }
        preview.rows.push(PreviewRow {
            line: i + 2,
            name: fields.name.clone(),
            kind,
            municipality,
            errors: messages,
        });
        preview.inputs.push(input);
    }
    Ok(preview)
}
