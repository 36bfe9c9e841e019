//! The frame of every page: title, the user's name, role and area, the navigation of their role,
//! today's date with the 和暦, and the CSRF token forms and htmx send back.

use tsunagu_domain::{japanese_date, Role};

use crate::auth::Auth;

pub struct Layout {
    pub title: String,
    pub user: Option<UserBadge>,
    pub nav: Vec<NavItem>,
    pub csrf_token: String,
    pub today: String,
    /// A one-line confirmation after a redirect ("保存しました。").
    pub notice: Option<&'static str>,
    /// The session's idle limit in seconds, for the warning before it passes (none without a
    /// browser session).
    pub session_idle_seconds: Option<i64>,
}

pub struct UserBadge {
    pub name: String,
    pub role: &'static str,
    /// The areas (coordinator, supervisor) or agency (agency staff) the user works for.
    pub place: String,
    /// Whether the header's search box is shown (not for the committee, which sees counts).
    pub searches: bool,
}

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// Each role's menu. Later features add their entries here.
pub fn nav_entries(role: Role) -> &'static [(&'static str, &'static str)] {
    match role {
        Role::Coordinator => &[
            ("/", "ホーム"),
            ("/consultations/new", "相談受付"),
            ("/children", "子ども"),
            ("/consultations", "相談記録"),
            ("/referrals", "つなぎ"),
            ("/meetings", "会議"),
            ("/action-items", "役割分担"),
            ("/plans", "計画"),
            ("/agencies", "関係機関"),
            ("/transitions", "移行"),
            ("/network", "ネットワーク"),
            ("/capacity", "研修・巡回"),
            ("/challenges", "課題"),
            ("/evaluation", "検証"),
        ],
        Role::Supervisor => &[
            ("/", "ホーム"),
            ("/children", "子ども"),
            ("/caseload", "担当状況"),
            ("/consultations", "相談記録"),
            ("/referrals", "つなぎ"),
            ("/meetings", "会議"),
            ("/action-items", "役割分担"),
            ("/plans", "計画"),
            ("/agencies", "関係機関"),
            ("/transitions", "移行"),
            ("/network", "ネットワーク"),
            ("/capacity", "研修・巡回"),
            ("/challenges", "課題"),
            ("/evaluation", "検証"),
        ],
        Role::AgencyStaff => &[
            ("/", "ホーム"),
            ("/inbox", "受信箱"),
            ("/children", "共有されている子ども"),
            ("/action-items", "役割分担"),
            ("/agencies", "関係機関"),
            ("/school-calendar", "就学早見表"),
        ],
        Role::Committee => &[
            ("/", "ホーム"),
            ("/evaluation", "検証（年度の集計）"),
            ("/challenges", "提起された課題"),
            ("/conclusions", "結論・提言"),
            ("/agencies", "関係機関の集計"),
        ],
        Role::Admin => &[
            ("/", "ホーム"),
            ("/agencies", "関係機関"),
            ("/councils", "協議会"),
            ("/admin/agency-kinds", "機関種別"),
            ("/admin/consultation-categories", "相談の分類"),
            ("/admin/users", "ユーザー"),
            ("/admin/areas", "地域"),
            ("/admin/municipalities", "市町村"),
            ("/admin/tokens", "APIトークン"),
            ("/admin/audit", "操作ログ"),
        ],
    }
}

fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "saved" => "保存しました。",
        "raised" => "県の療育支援専門部会へ提起しました。",
        "answered" => "部会の回答を記録しました。",
        "created" => "登録しました。",
        "logged_out" => "ログアウトしました。",
        "session_expired" => "操作のないまま時間がたったため、ログインが切れました。入力した内容は保存してあります。もう一度ログインすると、続けて送信します。",
        "setup_done" => "管理者アカウントを作成しました。ログインしてください。",
        "password_changed" => "パスワードを変更しました。",
        "second_factor_required" => "管理者とコーディネーターは二段階認証（確認コード）の設定が必要です。設定すると、続けて使えます。",
        "second_factor_reset" => "二段階認証をリセットしました。本人は次回ログイン時に設定し直します。",
        "recovery_code_used" => "復旧コードでログインしました。使ったコードはもう使えません。残りが少なければ作り直してください。",
        "password_reset" => "パスワードを再設定しました。次回ログイン時に変更が求められます。",
        "disabled" => "アカウントを無効にしました。",
        "enabled" => "アカウントを有効にしました。",
        "revoked" => "APIトークンを失効させました。",
        "closed" => "閉鎖として記録しました。",
        "reopened" => "再開しました。",
        "imported" => "CSVから関係機関を登録しました。",
        "consultation_saved" => "相談を記録しました。",
        "replied" => "会議の案内に回答しました。コーディネーターに伝わります。",
        "notifications_saved" => "メール通知の設定を保存しました。",
        "quick_note_saved" => "訪問のメモを相談記録として保存しました。",
        "intake_saved" => "子どもと保護者を登録し、相談を記録しました。同意はこの画面から続けて記録できます。",
        "case_closed" => "終結として記録しました。記録は読み取り専用になります。",
        "linked" => "相談をこの子どもの記録に結びつけました。",
        "attached" => "書類を添付しました。",
        "merged" => "記録を統合しました。両方の経過がこの記録に残っています。",
        "referred" => "つなぎ（紹介）を記録しました。相手の機関の受信箱に届きます。",
        "reviewed" => "見直し（モニタリング）を記録し、次の版を作りました。",
        "sent" => "引継ぎシートを送付しました。受け取る機関の受信箱に届きます。",
        "acknowledged" => "受領を確認しました。コーディネーターに伝わります。",
        "feedback" => "移行後のフィードバックを送りました。子どもの経過に記録されます。",
        "deleted" => "削除しました。",
        "revoked_consent" => "同意の撤回を記録しました。この時点から共有は止まります。",
        "assigned" => "担当を変更しました。経過に記録されます。",
        "transfer_proposed" => "移管を提案しました。移る先の地域のコーディネーターが受け入れると、記録が移ります。",
        "transfer_accepted" => "移管を受け入れました。前の地域での同意は引き継がれていません。関係機関と共有するには、改めて同意を記録してください。",
        "transfer_declined" => "移管を受け入れないことを記録しました。提案した地域に伝わります。",
        "staffing_saved" => "配置と不在を保存しました。",
        _ => return None,
    })
}

fn today() -> String {
    japanese_date::format_date_with_era(japanese_date::today(time::OffsetDateTime::now_utc()))
}

impl Layout {
    /// The frame for a logged-in user; `current` is the menu entry to mark. Everything it
    /// shows came with the user's authentication: a page's frame reads nothing more.
    pub fn page(auth: &Auth, title: &str, current: &str) -> Layout {
        Layout {
            title: title.to_owned(),
            user: Some(UserBadge {
                name: auth.actor.display_name.clone(),
                role: auth.actor.role.label(),
                place: auth.placement.clone(),
                searches: auth.actor.role != Role::Committee,
            }),
            nav: nav_entries(auth.actor.role)
                .iter()
                .map(|(href, label)| NavItem {
                    href,
                    label,
                    current: *href == current,
                })
                .collect(),
            csrf_token: auth.csrf_token().to_owned(),
            today: today(),
            notice: None,
            session_idle_seconds: auth.session_idle_seconds,
        }
    }

    /// The frame of the login and setup pages.
    pub fn anonymous(title: &str, csrf_token: &str) -> Layout {
        Layout {
            title: title.to_owned(),
            user: None,
            nav: Vec::new(),
            csrf_token: csrf_token.to_owned(),
            today: today(),
            notice: None,
            session_idle_seconds: None,
        }
    }

    /// Shows the confirmation named by a `notice` query parameter. Only fixed codes are known,
    /// so a link cannot put text of its own on the page.
    pub fn with_notice(mut self, code: Option<&str>) -> Layout {
        self.notice = code.and_then(notice_text);
        self
    }
}

/// Template filters shared by every page (a module with templates does `use crate::layout::filters;`).
pub mod filters {
    use time::OffsetDateTime;
    use tsunagu_domain::japanese_date;

    /// A value askama hands a filter, however many references deep.
    pub trait Value<T: Copy> {
        fn value(&self) -> T;
    }
    impl<T: Copy> Value<T> for T {
        fn value(&self) -> T {
            *self
        }
    }
    impl<T: Copy> Value<T> for &T {
        fn value(&self) -> T {
            **self
        }
    }
    impl<T: Copy> Value<T> for &&T {
        fn value(&self) -> T {
            ***self
        }
    }

    /// 2026年4月1日
    pub fn jdate(d: impl Value<time::Date>, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(japanese_date::format_date(d.value()))
    }

    /// 2026年12月10日（木）, 2027年2月23日（火・祝）: a date on a schedule.
    pub fn day(d: impl Value<time::Date>, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(tsunagu_domain::calendar::day_label(d.value()))
    }

    /// 2026年12月10日（木） 10:00: when a meeting is, in Japan time.
    pub fn daytime(
        t: impl Value<OffsetDateTime>,
        _: &dyn askama::Values,
    ) -> askama::Result<String> {
        Ok(tsunagu_domain::calendar::daytime_label(t.value()))
    }

    /// 2026年4月1日 9:05
    pub fn datetime(
        t: impl Value<OffsetDateTime>,
        _: &dyn askama::Values,
    ) -> askama::Result<String> {
        Ok(japanese_date::format_datetime(t.value()))
    }
}

/// Links to the previous and next page of a list, keeping the other query parameters.
pub struct Pager {
    pub total: i64,
    pub first: i64,
    pub last: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// `base` is the list's URL with its filters, ending in `?` or `&`.
    pub fn new(base: &str, total: i64, paging: tsunagu_store::Paging, shown: usize) -> Pager {
        let link = |offset: i64| format!("{base}offset={offset}&limit={}", paging.limit);
        Pager {
            total,
            first: if shown == 0 { 0 } else { paging.offset + 1 },
            last: paging.offset + shown as i64,
            prev: (paging.offset > 0).then(|| link((paging.offset - paging.limit).max(0))),
            next: (paging.offset + (shown as i64) < total)
                .then(|| link(paging.offset + paging.limit)),
        }
    }
}

/// A query string value, percent-encoded.
pub fn qs(value: &str) -> String {
    crate::error::encode_component(value).replace('/', "%2F")
}
