//! The audit log, for the administrator: search, and export as CSV.

pub mod api;
pub mod html;

use time::{format_description::well_known::Rfc3339, Date, OffsetDateTime, Time};
use tsunagu_domain::{japanese_date::JST, validation::Errors};
use tsunagu_store::audit::Filter;

/// The search form, as typed.
#[derive(serde::Deserialize, Default, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Login of the user who acted.
    pub user: Option<String>,
    /// Action, or its beginning (`login`, `user.`…).
    pub action: Option<String>,
    /// Object type (`user`, `area`, `route`…).
    pub object_type: Option<String>,
    /// Object id.
    pub object_id: Option<String>,
    /// First day, YYYY-MM-DD (Japan time).
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD (Japan time), included.
    pub until: Option<String>,
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
    #[param(value_type = Option<i64>)]
    pub offset: Option<String>,
}

fn text(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(200).collect())
}

/// Parses a day given as YYYY-MM-DD.
pub fn parse_day(
    errors: &mut Errors,
    field: &str,
    label: &str,
    v: &Option<String>,
) -> Option<Date> {
    let v = text(v)?;
    match Date::parse(
        &v,
        time::macros::format_description!("[year]-[month]-[day]"),
    ) {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(
                field,
                format!("{label}は YYYY-MM-DD の形で入力してください。"),
            );
            None
        }
    }
}

impl AuditQuery {
    pub fn filter(&self) -> Result<Filter, Errors> {
        let mut errors = Errors::new();
        let from = parse_day(&mut errors, "from", "開始日", &self.from);
        let until = parse_day(&mut errors, "until", "終了日", &self.until);
        errors.into_result()?;
        // Days are Japan's: 2026-04-01 starts at 00:00 JST.
        let start = |d: Date| OffsetDateTime::new_in_offset(d, Time::MIDNIGHT, JST);
        Ok(Filter {
            user_login: text(&self.user),
            action: text(&self.action),
            object_type: text(&self.object_type),
            object_id: text(&self.object_id),
            from: from.map(start),
            until: until.and_then(|d| d.next_day()).map(start),
        })
    }

    /// The query string that reproduces this search (for paging and the CSV link).
    pub fn query_string(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("user", &self.user),
            ("action", &self.action),
            ("object_type", &self.object_type),
            ("object_id", &self.object_id),
            ("from", &self.from),
            ("until", &self.until),
        ] {
            if let Some(v) = text(v) {
                parts.push(format!("{k}={}", crate::layout::qs(&v)));
            }
        }
        parts.join("&")
    }
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// The Japanese name of an audit action; unknown codes show as they are.
pub fn action_label(code: &str) -> &str {
    match code {
        "login" => "ログイン",
        "login.second_factor" => "ログイン（確認コード）",
        "second_factor.enrolment_started" => "二段階認証の設定開始",
        "second_factor.enrol" => "二段階認証の設定",
        "second_factor.enrolled" => "二段階認証の設定完了",
        "second_factor.recovery_codes_renewed" => "復旧コードの再発行",
        "second_factor.reset" => "二段階認証のリセット",
        "backup_created" => "バックアップの作成",
        "backup_restored" => "バックアップからの復元",
        "data_key_changed" => "データ鍵の変更",
        "audit.chain_keyed" => "操作ログの連鎖を鍵付きに移行",
        "logout" => "ログアウト",
        "user.create" => "ユーザー作成",
        "user.update" => "ユーザー変更",
        "user.disable" => "アカウント無効化",
        "user.enable" => "アカウント有効化",
        "user.lock" => "アカウントロック",
        "user.reset_password" => "パスワード再設定",
        "user.change_password" => "パスワード変更",
        "token.create" => "APIトークン発行",
        "token.revoke" => "APIトークン失効",
        "api.token" => "APIトークン認証",
        "area.create" => "地域作成",
        "area.update" => "地域変更",
        "municipality.update" => "市町村変更",
        "agency.create" => "関係機関登録",
        "agency.update" => "関係機関変更",
        "agency.update_contacts" => "関係機関の連絡先更新",
        "agency.close" => "関係機関の閉鎖",
        "agency.reopen" => "関係機関の再開",
        "agency.import" => "関係機関のCSV取込",
        "agency_kind.save" => "機関種別の変更",
        "council.save" => "協議会の登録・変更",
        "consultation_category.save" => "相談の分類の変更",
        "child.read" => "子どもの記録の閲覧",
        "child.search" => "子どもの検索",
        "child.create" => "子どもの記録の作成",
        "child.update" => "子どもの記録の更新",
        "child.close" => "終結",
        "child.reopen" => "再開",
        "child.timeline" => "経過の閲覧",
        "child.merge" => "記録の統合",
        "child.duplicates" => "重複の可能性の確認",
        "child.siblings" => "きょうだいの閲覧",
        "consultation.create" => "相談の記録",
        "consultation.read" => "相談の閲覧",
        "consultation.list" => "相談一覧の閲覧",
        "consultation.follow_ups" => "相談のフォローアップ一覧の閲覧",
        "consultation.link" => "相談と子どもの結びつけ",
        "consultation.update" => "相談記録の修正",
        "consultation.search" => "相談の検索",
        "challenge.raise" => "課題の県への提起",
        "challenge.respond" => "部会の回答",
        "conclusion.save" => "部会の結論・提言の記録",
        "evaluation.report" => "検証報告の作成",
        "plan.list" => "支援計画一覧の閲覧",
        "notification.settings" => "メール通知の設定",
        "meeting.reply" => "会議の案内への回答（出席・欠席）",
        "consent.create" => "同意の記録",
        "consent.revoke" => "同意の撤回",
        "consent.expiring" => "期限の近い同意の一覧の閲覧",
        "care_team.add" => "支援チームへの追加",
        "child.assign" => "担当変更",
        "child.transfer.propose" => "移管の提案",
        "child.transfer.accept" => "移管の受け入れ",
        "child.transfer.decline" => "移管の受け入れ不可",
        "child.transfer.withdraw" => "移管の取り下げ",
        "transfer.read" => "移管の閲覧",
        "transfer.list" => "移管の一覧",
        "difficulty.add" => "二次障害の記録",
        "difficulty.update" => "二次障害の更新",
        "difficulty.read" => "二次障害の閲覧",
        "caseload.read" => "担当状況の閲覧",
        "caseload.covering" => "不在の担当者の代わりの一覧",
        "user.staffing" => "配置・不在の記録",
        "care_team.end" => "支援チームの終了",
        "attachment.upload" => "書類の添付",
        "attachment.read" => "書類の閲覧",
        "attachment.list" => "書類一覧",
        "duplicate.raise" => "重複の可能性の記録",
        "duplicate.decide" => "重複の判断",
        "duplicate.distinct" => "別人と判断",
        "duplicate.list" => "重複の可能性の一覧の閲覧",
        "child.sibling" => "きょうだいの記録",
        "referral.create" => "つなぎ（紹介）の記録",
        "referral.update" => "つなぎの回答・取り消し",
        "referral.inbox" => "受信箱の閲覧",
        "referral.list" => "つなぎ一覧の閲覧",
        "referral.overdue" => "回答待ちのつなぎの閲覧",
        "care_note.post" => "支援チームへの連絡",
        "care_note.read" => "支援チームへの連絡の閲覧",
        "care_note.unread" => "未読の連絡の一覧の閲覧",
        "meeting.create" => "支援会議の予定",
        "meeting.read" => "支援会議の閲覧",
        "meeting.update" => "支援会議の記録",
        "meeting.list" => "支援会議一覧の閲覧",
        "action_item.create" => "役割分担の追加",
        "action_item.update" => "役割分担の完了・再開",
        "action_item.list" => "役割分担一覧の閲覧",
        "calendar.issue" => "カレンダー購読URLの発行",
        "calendar.feed" => "カレンダーの購読",
        "plan.create" => "支援計画の作成",
        "plan.update" => "支援計画の修正",
        "plan.review" => "支援計画の見直し（モニタリング）",
        "plan.read" => "支援計画の閲覧",
        "plan.reviews_due" => "見直しの近い支援計画の閲覧",
        "network.read" => "ネットワーク図の閲覧",
        "hold.create" => "就学猶予・原級留置の記録",
        "transition.create" => "移行の計画",
        "transition.read" => "移行の閲覧",
        "transition.update" => "移行・チェック項目の更新",
        "transition.calendar" => "移行カレンダーの閲覧",
        "transition.due" => "期限の近い移行の準備の閲覧",
        "transition_template.update" => "移行チェックリストひな形の変更",
        "transition_template.delete" => "移行チェックリストひな形の削除",
        "handover.create" => "引継ぎシートの作成",
        "handover.read" => "引継ぎシートの閲覧",
        "handover.update" => "引継ぎシートの編集",
        "handover.send" => "引継ぎシートの送付",
        "handover.acknowledge" => "引継ぎシートの受領確認",
        "handover.feedback" => "移行後のフィードバック",
        "handover.list" => "引継ぎシート一覧の閲覧",
        "support_file.read" => "サポートファイルの閲覧",
        "support_file.update" => "サポートファイルの更新",
        "visit.create" => "巡回相談・施設支援の記録",
        "visit.list" => "巡回相談・施設支援の一覧の閲覧",
        "training.create" => "研修会の記録",
        "training_topic.create" => "研修テーマの追加",
        "council_meeting.create" => "協議会の会議の記録",
        "challenge.save" => "課題の記録・更新",
        "evaluation.read" => "検証（集計）の閲覧",
        "evaluation.export" => "検証（集計）の書き出し",
        "home.read" => "ホーム画面の閲覧",
        "access.denied" => "権限のないアクセス",
        "csrf.refused" => "不正な送信の拒否",
        "session.form_kept" => "ログイン切れの間の入力を保管",
        "audit.export" => "操作ログ書き出し",
        other => other,
    }
}

/// The Japanese name of an audited object's type.
pub fn object_label(code: &str) -> &str {
    match code {
        "user" => "ユーザー",
        "api_token" => "APIトークン",
        "area" => "地域",
        "municipality" => "市町村",
        "agency" => "関係機関",
        "agency_kind" => "機関種別",
        "council" => "協議会",
        "child" => "子ども",
        "consultation" => "相談",
        "consent" => "同意",
        "attachment" => "書類",
        "duplicate_flag" => "重複の記録",
        "consultation_category" => "相談の分類",
        "route" => "画面・API",
        "referral" => "つなぎ",
        "care_note" => "支援チームへの連絡",
        "meeting" => "支援会議",
        "action_item" => "役割分担",
        "support_plan" => "支援計画",
        "transition" => "移行",
        "transition_item" => "移行のチェック項目",
        "transition_template_item" => "移行チェックリストのひな形",
        "handover_sheet" => "引継ぎシート",
        "visit" => "巡回相談・施設支援",
        "training" => "研修会",
        "training_topic" => "研修テーマ",
        "council_meeting" => "協議会の会議",
        "challenge" => "課題",
        "evaluation" => "検証（集計）",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every action the store and the web layer write has a Japanese name on the audit screen.
    #[test]
    fn every_audited_action_has_a_japanese_label() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut missing = Vec::new();
        let mut stack = vec![
            root.join("store/src"),
            root.join("web/src"),
            root.join("tsunagu/src"),
        ];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                // Literal events, and the actions handed to the child-access check.
                let events = text.split("Event::new(\"").skip(1);
                let checked = text.split("Purpose::Read, \"").skip(1);
                let written = text.split("Purpose::Write, \"").skip(1);
                let area_only = text.split("actor, child, \"").skip(1);
                // A list's one entry naming the children it showed.
                let shown = text
                    .split("audit_shown(")
                    .skip(1)
                    .filter_map(|p| p.trim_start().strip_prefix('"'))
                    .filter(|p| p.starts_with(|c: char| c.is_ascii_lowercase()));
                for part in events
                    .chain(checked)
                    .chain(written)
                    .chain(area_only)
                    .chain(shown)
                {
                    let code = &part[..part.find('"').unwrap()];
                    if !code.starts_with("test.") && action_label(code) == code {
                        missing.push(format!("{code} ({})", path.display()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "no Japanese label: {missing:?}");
    }
}
