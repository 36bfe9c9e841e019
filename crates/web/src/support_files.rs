//! The family's support file on the web: the few things only it asks for (written with the
//! family), and the whole file as an A4 print view and a PDF the family keeps.

use askama::Template;
use axum::{
    extract::Path,
    http::{HeaderMap, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
    Json,
};
use serde::{Deserialize, Serialize};
use tsunagu_documents::pdf::{Document, Section};
use tsunagu_domain::access::Purpose;
use tsunagu_domain::{children as child_rules, japanese_date, validation::Errors};
use tsunagu_store::{
    access,
    children::{self, ChildId},
    support_files::{self, FamilyPart, SupportFile},
};

use crate::{
    auth::Auth,
    error::into_form_errors,
    extract::{Deferred, Form, Json as JsonBody, Query},
    layout::{filters, Layout},
    printing::{self, or_dash},
    routing::Router,
    unit::Unit,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/children/{id}/support-file", get(show).post(save))
        .route("/children/{id}/support-file/print", get(print))
        .route("/children/{id}/support-file/pdf", get(pdf))
        .route(
            "/api/v1/children/{id}/support-file",
            get(api_show).put(api_update),
        )
}

/// The family's part as typed.
#[derive(Deserialize, Default, Clone, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct FamilyFields {
    pub growth: String,
    pub aids: String,
    pub allowances: String,
    pub likes: String,
    pub behaviours: String,
    pub what_helps: String,
}

const FIELDS: [(&str, &str); 6] = [
    ("growth", "成長・医療や検査の記録"),
    ("allowances", "手当（特別児童扶養手当など）"),
    ("aids", "補装具・日常生活用具"),
    ("likes", "好きなこと・得意なこと"),
    ("behaviours", "気になる行動"),
    ("what_helps", "そんなときの対応・うまくいく関わり方"),
];

impl FamilyFields {
    fn from_part(p: &FamilyPart) -> FamilyFields {
        let t = |v: &Option<String>| v.clone().unwrap_or_default();
        FamilyFields {
            growth: t(&p.growth),
            aids: t(&p.aids),
            allowances: t(&p.allowances),
            likes: t(&p.likes),
            behaviours: t(&p.behaviours),
            what_helps: t(&p.what_helps),
        }
    }
    fn value(&self, code: &str) -> &str {
        match code {
            "growth" => &self.growth,
            "aids" => &self.aids,
            "allowances" => &self.allowances,
            "likes" => &self.likes,
            "behaviours" => &self.behaviours,
            _ => &self.what_helps,
        }
    }
    fn check(&self) -> Result<FamilyPart, AppError> {
        let mut e = Errors::new();
        let mut text = |code: &str| {
            let label = FIELDS.iter().find(|(c, _)| *c == code).map_or("", |f| f.1);
            e.optional_text(code, label, self.value(code))
        };
        let part = FamilyPart {
            growth: text("growth"),
            aids: text("aids"),
            allowances: text("allowances"),
            likes: text("likes"),
            behaviours: text("behaviours"),
            what_helps: text("what_helps"),
        };
        e.into_result().map_err(AppError::Validation)?;
        Ok(part)
    }
}

#[derive(Template)]
#[template(path = "children/support_file.html")]
struct Page {
    layout: Layout,
    child_id: i64,
    child_name: String,
    may_write: bool,
    form: FamilyFields,
    errors: Errors,
    updated_at: Option<time::OffsetDateTime>,
}

impl Page {
    fn fields(&self) -> Vec<(&'static str, &'static str, &str)> {
        FIELDS
            .iter()
            .map(|(c, l)| (*c, *l, self.form.value(c)))
            .collect()
    }
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn page(
    u: &mut Unit,
    auth: &Auth,
    id: i64,
    notice: Option<&str>,
    typed: Option<(FamilyFields, Errors)>,
) -> Result<Response, AppError> {
    let staff = access::area_staff(u, ChildId(id), support_files::READ).await?;
    let file = support_files::get(u, &staff).await?;
    let (form, errors) =
        typed.unwrap_or_else(|| (FamilyFields::from_part(&file.family), Errors::new()));
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let may_write = auth.actor.role == tsunagu_domain::Role::Coordinator
        && file.record.child.status == "active";
    let page = Page {
        layout: Layout::page(auth, "サポートファイル", "/children").with_notice(notice),
        child_id: id,
        child_name: file.record.child.name(),
        may_write,
        form,
        errors,
        updated_at: file.updated_at,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn show(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    page(&mut u, &auth, id, q.notice.as_deref(), None).await
}

async fn save(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
    form: Deferred<Form<FamilyFields>>,
) -> Result<Response, AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "support_file.update").await?;
    let Form(form) = form.parse()?;
    let mut errors = Errors::new();
    match form.check() {
        Ok(part) => match support_files::save(&mut u, &access, &part).await {
            Ok(()) => {
                return Ok(
                    Redirect::to(&format!("/children/{id}/support-file?notice=saved"))
                        .into_response(),
                )
            }
            Err(e) => into_form_errors(&mut errors, e)?,
        },
        Err(AppError::Validation(found)) => errors = found,
        Err(e) => return Err(e),
    }
    page(&mut u, &auth, id, None, Some((form, errors))).await
}

fn date(d: Option<time::Date>) -> String {
    d.map(japanese_date::format_date).unwrap_or_default()
}

/// The support file on paper, in the order of Chiba's municipal サポートファイル.
pub fn document(f: &SupportFile) -> Document {
    let r = &f.record;
    let c = &r.child;
    let today = children::today_in_japan();
    let text = |v: &Option<String>| or_dash(v.as_deref().unwrap_or_default());
    let mut profile = vec![
        ("氏名".to_string(), format!("{}（{}）", c.name(), c.kana())),
        (
            "生年月日".to_string(),
            format!(
                "{}（{}）",
                japanese_date::format_date_with_era(c.birth_date),
                child_rules::format_age(c.birth_date, today)
            ),
        ),
        (
            "性別".to_string(),
            child_rules::sex_label(&c.sex).to_string(),
        ),
        (
            "住所".to_string(),
            or_dash(
                &[c.municipality_name.clone(), c.address.clone()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        ),
        ("今の所属".to_string(), text(&c.current_agency_name)),
    ];
    for g in &r.guardians {
        profile.push((
            format!("保護者（{}）", g.relation),
            format!(
                "{}{}",
                g.name,
                g.phone
                    .as_deref()
                    .map(|p| format!(" 電話 {p}"))
                    .unwrap_or_default()
            ),
        ));
    }
    let consultations: Vec<Vec<String>> = f
        .consultations
        .iter()
        .map(|s| {
            vec![
                japanese_date::format_date(japanese_date::today(s.at)),
                s.categories.join("・"),
                s.concern.chars().take(80).collect(),
            ]
        })
        .collect();
    let certificates: Vec<Vec<String>> = r
        .certificates
        .iter()
        .map(|x| {
            vec![
                child_rules::certificate_label(&x.kind).to_string(),
                x.grade.clone(),
                date(x.issued_on),
                date(x.renewal_on),
            ]
        })
        .chain(r.benefit_certificates.iter().map(|b| {
            vec![
                format!("受給者証：{}", b.service),
                b.amount.clone().unwrap_or_default(),
                date(b.valid_from),
                date(b.valid_to),
            ]
        }))
        .collect();
    let services: Vec<Vec<String>> = r
        .services
        .iter()
        .map(|(agency, role, from, to)| {
            vec![
                agency.clone(),
                role.clone(),
                format!("{}〜{}", japanese_date::format_date(*from), date(*to)),
            ]
        })
        .collect();
    let contacts: Vec<Vec<String>> = r
        .contacts
        .iter()
        .map(|(agency, role, person, phone)| {
            vec![
                agency.clone(),
                role.clone(),
                person.clone().unwrap_or_default(),
                phone.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let accommodations = r
        .accommodations
        .iter()
        .map(|a| format!("・{}", a.text))
        .collect::<Vec<_>>()
        .join("\n");
    let likes = [c.strengths.clone(), f.family.likes.clone()]
        .into_iter()
        .flatten()
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    let table_or_none = |s: Section, headers: &[(&str, u16)], rows: Vec<Vec<String>>| {
        if rows.is_empty() {
            s.text("記録はありません。")
        } else {
            s.table(headers, rows)
        }
    };
    let difficulties: Vec<Vec<String>> = f
        .difficulties
        .iter()
        .map(|d| {
            vec![
                d.title(),
                date(d.onset_on),
                d.status.label().to_owned(),
                d.follower(),
            ]
        })
        .collect();
    let mut sections = vec![
        Section::new("本人のプロフィール").fields(profile),
        Section::new("成長・医療の記録").fields([
            ("発達の様子", text(&c.development_notes)),
            ("健康・医療", text(&c.health_notes)),
            ("診断", text(&c.diagnoses)),
            ("医療的ケア", text(&c.medical_care)),
            ("成長・医療や検査の記録", text(&f.family.growth)),
        ]),
        table_or_none(
            Section::new("相談の記録"),
            &[("日付", 2), ("内容の分類", 3), ("相談のようす", 7)],
            consultations,
        ),
        table_or_none(
            Section::new("手帳・受給者証"),
            &[
                ("種類", 4),
                ("等級・量", 2),
                ("交付・開始", 2),
                ("更新・終了", 2),
            ],
            certificates,
        )
        .fields([("手当", text(&f.family.allowances))]),
        table_or_none(
            Section::new("利用しているサービス・関わった機関"),
            &[("機関", 4), ("役割", 3), ("期間", 4)],
            services,
        ),
        Section::new("補装具・日常生活用具").text(text(&f.family.aids)),
        table_or_none(
            Section::new("支援機関マップ（いまの支援チーム）"),
            &[("機関", 4), ("役割", 3), ("担当", 2), ("電話", 3)],
            contacts,
        ),
        Section::new("好きなこと・得意なこと").text(or_dash(&likes)),
        Section::new("うまくいっている配慮・支援").text(or_dash(&accommodations)),
        Section::new("気になる行動とその対応").fields([
            ("気になる行動", text(&f.family.behaviours)),
            ("そんなときの対応", text(&f.family.what_helps)),
        ]),
    ];
    // Only what the family agreed to carry; with nothing agreed, no section at all.
    if !difficulties.is_empty() {
        sections.push(
            Section::new("二次的な困りごと（二次障害）と経過を見ている機関").table(
                &[
                    ("内容", 3),
                    ("始まった時期", 2),
                    ("いまの状態", 2),
                    ("経過を見ている機関", 5),
                ],
                difficulties,
            ),
        );
    }
    Document {
        title: "サポートファイル".into(),
        meta: vec![
            format!("{}さんのサポートファイル", c.name()),
            format!("作成：{}", japanese_date::format_date(today)),
        ],
        sections,
        footer: "ご家族が保管し、新しい園・学校・事業所に見せてください。個人情報のため取扱いにご注意ください。".into(),
        landscape: false,
    }
}

async fn print(auth: Auth, mut u: Unit, Path(id): Path<i64>) -> Result<Html<String>, AppError> {
    let staff = access::area_staff(&mut u, ChildId(id), support_files::READ).await?;
    let f = support_files::get(&mut u, &staff).await?;
    printing::html(
        Layout::page(&auth, "サポートファイル", "/children"),
        &document(&f),
        &format!("/children/{id}/support-file"),
        "サポートファイルへ戻る",
        &format!("/children/{id}/support-file/pdf"),
    )
}

async fn pdf(_auth: Auth, mut u: Unit, Path(id): Path<i64>) -> Result<Response, AppError> {
    let staff = access::area_staff(&mut u, ChildId(id), support_files::READ).await?;
    let f = support_files::get(&mut u, &staff).await?;
    let name = format!(
        "サポートファイル_{}.pdf",
        f.record.child.name().replace(' ', "")
    );
    printing::pdf(document(&f), &name).await
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SupportFileAnswer {
    pub child_id: i64,
    pub family: FamilyPart,
    /// Every printed section: heading and its text, as the PDF shows them.
    pub document: serde_json::Value,
}

/// The support file as JSON (the printed document's sections), or the PDF when the request
/// accepts `application/pdf`. The area's staff only.
#[utoipa::path(get, path = "/api/v1/children/{id}/support-file", tag = "transitions", params(("id" = i64, Path)),
    responses((status = 200, description = "JSON, or the PDF when `Accept: application/pdf`", content((SupportFileAnswer = "application/json"), (String = "application/pdf"))), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn api_show(
    _auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let staff = access::area_staff(&mut u, ChildId(id), support_files::READ).await?;
    let f = support_files::get(&mut u, &staff).await?;
    let doc = document(&f);
    if printing::wants_pdf(&headers) {
        return printing::pdf(doc, "support-file.pdf").await;
    }
    Ok(Json(SupportFileAnswer {
        child_id: id,
        family: f.family,
        document: serde_json::to_value(&doc).map_err(|e| AppError::Internal(e.to_string()))?,
    })
    .into_response())
}

#[utoipa::path(put, path = "/api/v1/children/{id}/support-file", tag = "transitions", params(("id" = i64, Path)), request_body = FamilyFields,
    responses((status = 204), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_update(
    mut u: Unit,
    Path(id): Path<i64>,
    body: Deferred<JsonBody<FamilyFields>>,
) -> Result<StatusCode, AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "support_file.update").await?;
    let JsonBody(body) = body.parse()?;
    let part = body.check()?;
    support_files::save(&mut u, &access, &part).await?;
    Ok(StatusCode::NO_CONTENT)
}
