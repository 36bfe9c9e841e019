//! The local resources directory on the web: screens, API, CSV export and import. One set of
//! fields ([`AgencyFields`]) serves the form, the JSON API and a CSV row, so every way in is
//! checked by the same [`validate`].

pub mod api;
pub mod html;
pub mod import;
pub mod kinds;

use serde::Deserialize;
use time::Date;
use tsunagu_documents::csv::{safe_cell, to_excel_csv};
use tsunagu_domain::{
    directory::{self, SERVICES},
    japanese_date::DateRange,
    validation::Errors,
    AreaId, MunicipalityId,
};
use tsunagu_store::{
    agencies::{Agency, AgencyInput, AgencyKind, Contact, Filter},
    areas::Municipality,
    Db, Paging,
};

use crate::AppError;

/// An agency as typed: every field text, so nothing is lost when a check fails.
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AgencyFields {
    pub name: String,
    pub kana: String,
    /// Agency kind id (see /api/v1/agency-kinds).
    pub kind_id: String,
    /// Municipality id (see /api/v1/municipalities).
    pub municipality_id: String,
    pub postal_code: String,
    pub address: String,
    pub phone: String,
    pub fax: String,
    pub email: String,
    pub website: String,
    pub hours: String,
    pub age_from: String,
    pub age_to: String,
    pub needs_served: String,
    /// Services from the controlled list.
    pub services: Vec<String>,
    /// Further services as free tags, separated by 「、」 or commas.
    pub other_services: String,
    /// One contact a line: 氏名（役割）.
    pub contacts: String,
    pub capacity_note: String,
    /// YYYY-MM-DD
    pub capacity_checked_on: String,
    pub notes: String,
    /// Ids of further areas served.
    pub served_area_ids: Vec<String>,
    /// The version the form was opened on (hidden): a save over a newer one is refused.
    pub version: String,
}

/// The master data a check needs, loaded once per request or import.
pub struct Lookups {
    pub kinds: Vec<AgencyKind>,
    pub municipalities: Vec<Municipality>,
}

impl Lookups {
    pub async fn load(db: &Db) -> Result<Lookups, AppError> {
        Ok(Lookups {
            kinds: tsunagu_store::agencies::kinds(db).await?,
            municipalities: tsunagu_store::areas::municipalities(
                db,
                None,
                Paging {
                    limit: 10_000,
                    offset: 0,
                },
            )
            .await?
            .items,
        })
    }
}

fn split_tags(text: &str) -> Vec<String> {
    text.split(['、', ',', '，', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// 「山田 花子（相談支援専門員）」 → name and role.
pub fn parse_contact(text: &str) -> Contact {
    let text = text.trim();
    let open = text.rfind(['（', '(']);
    match open {
        Some(i) if text.ends_with(['）', ')']) && i > 0 => {
            let role = text[i..]
                .trim_start_matches(['（', '('])
                .trim_end_matches(['）', ')'])
                .trim();
            Contact {
                name: text[..i].trim().to_owned(),
                role: (!role.is_empty()).then(|| role.to_owned()),
            }
        }
        _ => Contact {
            name: text.to_owned(),
            role: None,
        },
    }
}

pub fn format_contact(c: &Contact) -> String {
    match &c.role {
        Some(role) => format!("{}（{role}）", c.name),
        None => c.name.clone(),
    }
}

/// A typed date ([`tsunagu_domain::japanese_date::parse_typed`]); empty is None, anything else
/// that is not a date of a record (1900 to ten years ahead) is a problem of `field`.
pub fn parse_date(errors: &mut Errors, field: &str, label: &str, value: &str) -> Option<Date> {
    parse_date_in(errors, field, label, value, DateRange::Record)
}

/// A birth date: 1900 to a year from today.
pub fn parse_birth_date(
    errors: &mut Errors,
    field: &str,
    label: &str,
    value: &str,
) -> Option<Date> {
    parse_date_in(errors, field, label, value, DateRange::Birth)
}

/// A date on a schedule: within ten years of today.
pub fn parse_schedule_date(
    errors: &mut Errors,
    field: &str,
    label: &str,
    value: &str,
) -> Option<Date> {
    parse_date_in(errors, field, label, value, DateRange::Schedule)
}

fn parse_date_in(
    errors: &mut Errors,
    field: &str,
    label: &str,
    value: &str,
    range: DateRange,
) -> Option<Date> {
    if value.trim().is_empty() {
        return None;
    }
    let Some(parsed) = tsunagu_domain::japanese_date::parse_typed(value) else {
        errors.add(
            field,
            format!("{label}は 2026-04-01 の形で入力してください。"),
        );
        return None;
    };
    let today = tsunagu_store::children::today_in_japan();
    match range.problem(parsed, today, label) {
        Some(problem) => {
            errors.add(field, problem);
            None
        }
        None => Some(parsed),
    }
}

/// Checks every field; answers the input for the store and the problems, each naming its field.
pub fn validate(fields: &AgencyFields, lookups: &Lookups) -> (AgencyInput, Errors) {
    let mut e = Errors::new();
    let name = e.required_line("name", "名称", &fields.name);
    let kana = e
        .optional_line("kana", "よみがな", &fields.kana)
        .unwrap_or_default();
    let kind_id = match fields
        .kind_id
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|id| lookups.kinds.iter().any(|k| k.id == *id))
    {
        Some(id) => id,
        None => {
            e.add("kind_id", "種別を選んでください。");
            0
        }
    };
    let municipality_id = match fields
        .municipality_id
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|id| lookups.municipalities.iter().any(|m| m.id.0 == *id))
    {
        Some(id) => MunicipalityId(id),
        None => {
            e.add("municipality_id", "市町村を選んでください。");
            MunicipalityId(0)
        }
    };
    let postal_code = directory::normalize_postal_code(&mut e, "postal_code", &fields.postal_code);
    let address = e.optional_line("address", "住所", &fields.address);
    let phone = directory::check_phone(&mut e, "phone", "電話番号", &fields.phone);
    let fax = directory::check_phone(&mut e, "fax", "FAX番号", &fields.fax);
    let email = directory::check_email(&mut e, "email", &fields.email);
    let website = directory::check_website(&mut e, "website", &fields.website);
    let hours = e.optional_line("hours", "受付時間", &fields.hours);
    let age_from = directory::parse_age(&mut e, "age_from", "対象年齢（下限）", &fields.age_from);
    let age_to = directory::parse_age(&mut e, "age_to", "対象年齢（上限）", &fields.age_to);
    if let (Some(f), Some(t)) = (age_from, age_to) {
        if f > t {
            e.add("age_to", "対象年齢の上限は下限以上にしてください。");
        }
    }
    let needs_served =
        e.optional_text("needs_served", "対象となる支援ニーズ", &fields.needs_served);
    let mut services: Vec<String> = Vec::new();
    for s in fields
        .services
        .iter()
        .map(|s| directory::current_service(s))
        .filter(|s| !s.is_empty())
    {
        if SERVICES.contains(&s) {
            if !services.iter().any(|x| x == s) {
                services.push(s.to_owned());
            }
        } else {
            e.add("services", "提供サービスの指定が正しくありません。");
        }
    }
    for tag in split_tags(&fields.other_services) {
        if tag.chars().count() > 40 || tag.chars().any(char::is_control) {
            e.add(
                "other_services",
                "その他のサービスは1つ40文字以内で入力してください。",
            );
        } else {
            services.push(tag);
        }
    }
    let mut contacts = Vec::new();
    for line in fields
        .contacts
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        if line.chars().count() > 100 || line.chars().any(char::is_control) {
            e.add(
                "contacts",
                "担当者は1行に1人、100文字以内で入力してください。",
            );
        } else {
            contacts.push(parse_contact(line));
        }
    }
    let capacity_note = e.optional_text("capacity_note", "定員・空き状況", &fields.capacity_note);
    let capacity_checked_on = parse_date(
        &mut e,
        "capacity_checked_on",
        "確認日",
        &fields.capacity_checked_on,
    );
    let notes = e.optional_text("notes", "備考", &fields.notes);
    let mut served_area_ids = Vec::new();
    for id in fields
        .served_area_ids
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        match id.parse() {
            Ok(n) => served_area_ids.push(AreaId(n)),
            Err(_) => e.add("served_area_ids", "地域の指定が正しくありません。"),
        }
    }
    let input = AgencyInput {
        name,
        kana,
        kind_id,
        municipality_id,
        postal_code,
        address,
        phone,
        fax,
        email,
        website,
        hours,
        age_from,
        age_to,
        needs_served,
        capacity_note,
        capacity_checked_on,
        notes,
        contacts,
        services,
        served_area_ids,
    };
    (input, e)
}

/// The fields of a stored agency, to fill its edit form.
pub fn fields_of(a: &Agency, served_area_ids: Vec<String>) -> AgencyFields {
    let (listed, other): (Vec<String>, Vec<String>) = a
        .services
        .iter()
        .cloned()
        .partition(|s| SERVICES.contains(&s.as_str()));
    AgencyFields {
        name: a.name.clone(),
        kana: a.kana.clone(),
        kind_id: a.kind_id.map(|k| k.to_string()).unwrap_or_default(),
        municipality_id: a.municipality_id.map(|m| m.to_string()).unwrap_or_default(),
        postal_code: a.postal_code.clone().unwrap_or_default(),
        address: a.address.clone().unwrap_or_default(),
        phone: a.phone.clone().unwrap_or_default(),
        fax: a.fax.clone().unwrap_or_default(),
        email: a.email.clone().unwrap_or_default(),
        website: a.website.clone().unwrap_or_default(),
        hours: a.hours.clone().unwrap_or_default(),
        age_from: a.age_from.map(|n| n.to_string()).unwrap_or_default(),
        age_to: a.age_to.map(|n| n.to_string()).unwrap_or_default(),
        needs_served: a.needs_served.clone().unwrap_or_default(),
        services: listed,
        other_services: other.join("、"),
        contacts: a
            .contacts
            .iter()
            .map(format_contact)
            .collect::<Vec<_>>()
            .join("\n"),
        capacity_note: a.capacity_note.clone().unwrap_or_default(),
        capacity_checked_on: a
            .capacity_checked_on
            .map(|d| d.to_string())
            .unwrap_or_default(),
        notes: a.notes.clone().unwrap_or_default(),
        served_area_ids,
        version: a.version.to_string(),
    }
}

/// The CSV columns, in order: export writes them, import reads them by name.
pub const CSV_COLUMNS: [&str; 19] = [
    "名称",
    "よみがな",
    "種別",
    "市町村",
    "郵便番号",
    "住所",
    "電話番号",
    "FAX番号",
    "メールアドレス",
    "ウェブサイト",
    "担当者",
    "受付時間",
    "対象年齢（下限）",
    "対象年齢（上限）",
    "対象となる支援ニーズ",
    "提供サービス",
    "定員・空き状況",
    "空き状況の確認日",
    "備考",
];

/// The list as a CSV file for Excel (UTF-8 with BOM; formula-like cells defused).
pub fn to_csv(agencies: &[Agency]) -> Result<Vec<u8>, AppError> {
    let rows = agencies.iter().map(|a| {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        [
            a.name.clone(),
            a.kana.clone(),
            opt(&a.kind_name),
            opt(&a.municipality_name),
            opt(&a.postal_code),
            opt(&a.address),
            opt(&a.phone),
            opt(&a.fax),
            opt(&a.email),
            opt(&a.website),
            a.contacts
                .iter()
                .map(format_contact)
                .collect::<Vec<_>>()
                .join("、"),
            opt(&a.hours),
            a.age_from.map(|n| n.to_string()).unwrap_or_default(),
            a.age_to.map(|n| n.to_string()).unwrap_or_default(),
            opt(&a.needs_served),
            a.services.join("、"),
            opt(&a.capacity_note),
            a.capacity_checked_on
                .map(|d| d.to_string())
                .unwrap_or_default(),
            opt(&a.notes),
        ]
        .iter()
        .map(|c| safe_cell(c))
        .collect::<Vec<_>>()
    });
    to_excel_csv(&CSV_COLUMNS, rows).map_err(|e| AppError::Internal(e.to_string()))
}

/// The directory's filters as they arrive in a query string.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct FilterParams {
    /// Name or reading, any kana.
    pub q: Option<String>,
    pub kind_id: Option<String>,
    /// health, medical, welfare, education, administration, employment, other
    pub sector: Option<String>,
    pub municipality_id: Option<String>,
    /// An area id, or `all`; the screen defaults to the user's first area.
    pub area_id: Option<String>,
    /// A service name.
    pub service: Option<String>,
    /// A child's age in years: agencies serving it.
    pub age: Option<String>,
    /// `1` to list closed agencies too.
    pub include_closed: Option<String>,
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
    #[param(value_type = Option<i64>)]
    pub offset: Option<String>,
}

fn text(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(100).collect())
}

impl FilterParams {
    /// The store's filter; `default_area` applies when no area was asked for.
    pub fn filter(&self, default_area: Option<AreaId>) -> Result<Filter, AppError> {
        let mut e = Errors::new();
        let mut number = |field: &str, label: &str, v: &Option<String>| -> Option<i64> {
            let v = text(v)?;
            match v.parse::<i64>() {
                Ok(n) if n >= 0 => Some(n),
                _ => {
                    e.add(field, format!("{label}の指定が正しくありません。"));
                    None
                }
            }
        };
        let kind_id = number("kind_id", "種別", &self.kind_id);
        let municipality_id = number("municipality_id", "市町村", &self.municipality_id);
        let age = number("age", "年齢", &self.age);
        let area_id = match text(&self.area_id).as_deref() {
            Some("all") => None,
            Some(_) => number("area_id", "地域", &self.area_id),
            None => default_area.map(|a| a.0),
        };
        let sector = text(&self.sector);
        if sector
            .as_deref()
            .is_some_and(|s| directory::Sector::from_code(s).is_none())
        {
            e.add("sector", "分野の指定が正しくありません。");
        }
        e.into_result().map_err(AppError::Validation)?;
        Ok(Filter {
            q: text(&self.q),
            kind_id,
            sector,
            municipality_id,
            area_id,
            service: text(&self.service),
            age,
            include_closed: text(&self.include_closed).is_some_and(|v| v == "1" || v == "true"),
        })
    }

    pub fn paging(&self) -> Result<Paging, AppError> {
        crate::extract::ListParams {
            q: None,
            limit: self.limit.clone(),
            offset: self.offset.clone(),
        }
        .paging()
    }

    /// The query string of these filters (without paging), for links.
    pub fn query_string(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("q", &self.q),
            ("kind_id", &self.kind_id),
            ("sector", &self.sector),
            ("municipality_id", &self.municipality_id),
            ("area_id", &self.area_id),
            ("service", &self.service),
            ("age", &self.age),
            ("include_closed", &self.include_closed),
        ] {
            if let Some(v) = text(v) {
                parts.push(format!("{k}={}", crate::layout::qs(&v)));
            }
        }
        parts.join("&")
    }
}

/// Most rows an export, a print list or an import holds.
pub const MAX_ROWS: usize = 10_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_read_back_as_written() {
        let c = parse_contact("山田 花子（相談支援専門員）");
        assert_eq!(
            c,
            Contact {
                name: "山田 花子".into(),
                role: Some("相談支援専門員".into())
            }
        );
        assert_eq!(format_contact(&c), "山田 花子（相談支援専門員）");
        assert_eq!(parse_contact("鈴木").role, None);
        assert_eq!(parse_contact("(株)つなぐ").name, "(株)つなぐ");
    }

    #[test]
    fn tags_split_on_japanese_and_latin_commas() {
        assert_eq!(
            split_tags("ペアレントトレーニング、 ST,OT"),
            vec!["ペアレントトレーニング", "ST", "OT"]
        );
    }
}

#[cfg(test)]
mod date_properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn a_date_out_of_range_names_the_range(year in 2100i32..9999) {
            let mut e = Errors::new();
            prop_assert_eq!(parse_date(&mut e, "on", "日付", &format!("{year}-04-01")), None);
            prop_assert!(e.get("on").is_some_and(|m| m.contains("1900年1月1日から")));
        }

        #[test]
        fn any_text_gives_a_date_or_a_message(text in "\\PC{0,20}") {
            let mut e = Errors::new();
            let parsed = parse_date(&mut e, "on", "日付", &text);
            prop_assert!(parsed.is_some() != e.get("on").is_some() || text.trim().is_empty());
        }

        #[test]
        fn dates_are_read_with_dashes_or_slashes_padded_or_not(
            days in 0i64..30_000, slash in any::<bool>(), pad in any::<bool>()
        ) {
            // 1950 to 2032: within the range of a record's date (1900 to ten years ahead).
            let d = time::macros::date!(1950 - 01 - 01) + time::Duration::days(days);
            let sep = if slash { "/" } else { "-" };
            let text = if pad {
                format!("{}{sep}{:02}{sep}{:02}", d.year(), u8::from(d.month()), d.day())
            } else {
                format!("{}{sep}{}{sep}{}", d.year(), u8::from(d.month()), d.day())
            };
            let mut e = Errors::new();
            prop_assert_eq!(parse_date(&mut e, "on", "日付", &format!(" {text} ")), Some(d));
            prop_assert!(e.is_empty());
        }
    }

    #[test]
    fn dates_typed_with_a_japanese_input_method_are_read() {
        for text in [
            "２０２６－１２－１０",
            "2026年12月10日",
            "２０２６／１２／１０",
            "2026ー12ー10",
        ] {
            let mut e = Errors::new();
            assert_eq!(
                parse_date(&mut e, "on", "日付", text),
                Some(time::macros::date!(2026 - 12 - 10)),
                "{text}"
            );
        }
    }

    #[test]
    fn impossible_dates_are_refused_with_the_form_to_use() {
        for text in ["2026-13-01", "2026-02-30", "令和8年4月1日", "2026-04"] {
            let mut e = Errors::new();
            assert_eq!(parse_date(&mut e, "on", "日付", text), None, "{text}");
            assert!(e.get("on").is_some_and(|m| m.contains("2026-04-01 の形")));
        }
    }
}
