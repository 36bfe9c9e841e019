//! Regions, municipalities and areas: master data the administrator keeps.

pub mod api;
pub mod html;

use tsunagu_domain::{validation::Errors, MunicipalityId};
use tsunagu_store::areas::AreaInput;

/// Checks an area as submitted from the form or the API.
pub fn area_input(
    errors: &mut Errors,
    name: &str,
    kana: &str,
    note: &str,
    municipality_ids: &[String],
    active: bool,
) -> AreaInput {
    let name = errors.required_line("name", "地域名", name);
    let kana = errors
        .optional_line("kana", "よみがな", kana)
        .unwrap_or_default();
    let note = errors.optional_text("note", "備考", note);
    let mut ids = Vec::new();
    for id in municipality_ids
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        match id.parse() {
            Ok(n) => ids.push(MunicipalityId(n)),
            Err(_) => errors.add("municipality_ids", "市町村の指定が正しくありません。"),
        }
    }
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        errors.add(
            "municipality_ids",
            "この地域に含める市町村を1つ以上選んでください。",
        );
    }
    AreaInput {
        name,
        kana,
        note,
        municipality_ids: ids,
        active,
    }
}
