//! Mail notifications through a real SMTP server (aiosmtpd): an agency hears of a referral in
//! its inbox and of a meeting invitation, a writer of a care team's conversation of the next
//! message, and whoever owns an action item of its due date the day before — only those who
//! asked, once each, and never with a child's name or any other personal data in the mail.
//! Invitations are answered 出席／欠席 from the inbox.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine;
use common::{Api, Backend, MailSink, TestApp};
use reqwest::StatusCode;
use tsunagu_store::db::query;

both_backends!(
    notifications_reach_those_who_asked_and_name_no_child,
    an_invitation_is_answered_from_the_inbox,
);

/// A mail's decoded subject and body.
fn read_mail(raw: &str) -> (String, String) {
    let engine = base64::engine::general_purpose::STANDARD;
    let (head, body) = raw
        .split_once("\n\n")
        .or_else(|| raw.split_once("\r\n\r\n"))
        .unwrap();
    let mut subject = String::new();
    let mut in_subject = false;
    for line in head.lines() {
        if let Some(rest) = line.strip_prefix("Subject:") {
            in_subject = true;
            subject.push_str(rest);
        } else if in_subject && line.starts_with([' ', '\t']) {
            subject.push_str(line);
        } else {
            in_subject = false;
        }
    }
    let subject: String = subject
        .split_whitespace()
        .map(|word| {
            let inner = word
                .strip_prefix("=?utf-8?b?")
                .or_else(|| word.strip_prefix("=?UTF-8?B?"))
                .and_then(|w| w.strip_suffix("?="));
            match inner {
                Some(b64) => String::from_utf8(engine.decode(b64).unwrap()).unwrap(),
                None => word.to_owned(),
            }
        })
        .collect();
    let body: String = body.lines().map(str::trim).collect();
    let body = String::from_utf8(engine.decode(body).unwrap()).unwrap();
    (subject, body)
}

async fn wants_mail(c: &common::Client, address: &str, kinds: &[&str]) {
    let mut fields = vec![("email", address)];
    fields.extend(kinds.iter().map(|k| ("kinds", *k)));
    let res = c.post_form("/account/notifications", &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

async fn nursery(app: &TestApp) -> i64 {
    let (nursery,): (i64,) = query("SELECT agency_id FROM users WHERE login = 'demo-agency'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    nursery
}

/// A child whose name must never appear in a mail, shared with the nursery.
async fn secret_child(api: &Api, nursery: i64) -> i64 {
    let (status, body) = api
        .post(
            "/api/v1/children",
            serde_json::json!({"area_id": "1", "family_name": "秘匿", "given_name": "つうち", "family_kana": "ひとく", "given_kana": "つうち",
                               "birth_date": "2022-02-02", "guardian_name": ["秘匿 ははおや"], "not_a_duplicate": "1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let child = body["child"]["id"].as_i64().unwrap();
    let (status, body) = api
        .post(
            &format!("/api/v1/children/{child}/consents"),
            serde_json::json!({"basis": "consent", "guardian_name": "秘匿 ははおや", "parts": ["profile"], "agency_ids": [nursery.to_string()], "valid_from": "2026-01-01", "obtained": "written"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    child
}

fn names_no_one(mail: &str) {
    for name in ["秘匿", "つうち", "ひとく", "ははおや"] {
        assert!(!mail.contains(name), "a mail names {name}: {mail}");
    }
}

async fn notifications_reach_those_who_asked_and_name_no_child(b: Backend) {
    let sink = MailSink::start();
    let app = TestApp::demo_with(
        b,
        common::Options {
            smtp_url: Some(sink.url.clone()),
            ..Default::default()
        },
    )
    .await;
    let agency = app.login_as("demo-agency").await;
    let (_, page) = agency.get_text("/account/notifications").await;
    assert!(page.contains("個人情報は書かれません"), "{page}");
    // A bad address is refused beside the field, the choices kept.
    let res = agency
        .post_form(
            "/account/notifications",
            &[("email", "no-at-sign"), ("kinds", "referral")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("メールアドレスの形式") && page.contains("value=\"referral\" checked"));
    wants_mail(
        &agency,
        "hoikuen@example.jp",
        &["referral", "meeting", "note", "due"],
    )
    .await;
    // The supervisor asks for nothing and gets nothing.
    let nursery = nursery(&app).await;
    let api = Api::new(&app, "demo-coordinator").await;
    let child = secret_child(&api, nursery).await;

    let (status, body) = api
        .post(
            &format!("/api/v1/children/{child}/referrals"),
            serde_json::json!({"agency_id": nursery.to_string(), "reason": "秘匿 つうち さんの園での様子", "parts": ["profile"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mails = sink.wait_for(1).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].contains("To: hoikuen@example.jp"));
    let (subject, text) = read_mail(&mails[0]);
    assert!(subject.contains("受信箱に新しいつなぎ"), "{subject}");
    assert!(text.contains(&format!("{}/inbox", app.base)), "{text}");
    names_no_one(&mails[0]);
    names_no_one(&subject);
    names_no_one(&text);

    // A meeting invitation, then a care team's conversation and a due date.
    let (status, body) = api
        .post(
            &format!("/api/v1/children/{child}/meetings"),
            serde_json::json!({"purpose": "就学に向けた情報共有", "date": "2034-03-07", "start": "10:00", "end": "11:00", "agency_ids": [nursery.to_string()]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let meeting = body["id"].as_i64().unwrap();
    let mails = sink.wait_for(2).await;
    assert_eq!(mails.len(), 2);
    let invitation = mails
        .iter()
        .map(|m| read_mail(m))
        .find(|(s, _)| s.contains("支援会議の案内"))
        .expect("the invitation");
    assert!(invitation.1.contains("出席か欠席か"));
    let coordinator = app.login_as("demo-coordinator").await;
    let res = coordinator
        .post_form(
            &format!("/children/{child}/team"),
            &[
                ("agency_id", nursery.to_string().as_str()),
                ("role", "担任"),
                ("from_on", "2026-04-01"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = agency
        .post_form(
            &format!("/children/{child}/notes"),
            &[("body", "秘匿 つうち さんは今日も元気でした")],
        )
        .await;
    assert!(res.status().is_redirection(), "{}", res.status());
    let res = coordinator
        .post_form(
            &format!("/children/{child}/notes"),
            &[("body", "ありがとうございます")],
        )
        .await;
    assert!(res.status().is_redirection());
    let mails = sink.wait_for(3).await;
    assert_eq!(
        mails.len(),
        3,
        "the writer before hears of the reply, the author not of their own"
    );
    assert!(mails
        .iter()
        .map(|m| read_mail(m).0)
        .any(|s| s.contains("支援チームの連絡")));

    let tomorrow = tsunagu_domain::japanese_date::today(time::OffsetDateTime::now_utc())
        + time::Duration::days(1);
    let (status, body) = api
        .post(
            &format!("/api/v1/meetings/{meeting}/action-items"),
            serde_json::json!({"title": "秘匿 つうち さんの園での記録", "owner_agency_id": nursery.to_string(), "due_on": tomorrow.to_string()}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    // What the mailer runs each hour: twice makes one reminder.
    tsunagu_store::notifications::queue_due(&app.db, tomorrow)
        .await
        .unwrap();
    tsunagu_store::notifications::queue_due(&app.db, tomorrow)
        .await
        .unwrap();
    let mails = sink.wait_for(4).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let mails = if mails.len() >= 4 {
        sink.messages()
    } else {
        mails
    };
    assert_eq!(mails.len(), 4, "one reminder");
    assert!(mails
        .iter()
        .map(|m| read_mail(m).0)
        .any(|s| s.contains("明日が期限")));
    for raw in &mails {
        let (subject, text) = read_mail(raw);
        names_no_one(raw);
        names_no_one(&subject);
        names_no_one(&text);
    }
    let (sent,): (i64,) = query("SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NOT NULL")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(sent, 4);
}

async fn an_invitation_is_answered_from_the_inbox(b: Backend) {
    let app = TestApp::demo(b).await;
    let in_a_month = (time::OffsetDateTime::now_utc() + time::Duration::days(30)).date();
    let nursery = nursery(&app).await;
    let api = Api::new(&app, "demo-coordinator").await;
    let child = secret_child(&api, nursery).await;
    let (status, body) = api
        .post(
            &format!("/api/v1/children/{child}/meetings"),
            serde_json::json!({"purpose": "回答の確認", "confirm_closed_day": "on", "date": in_a_month.to_string(), "start": "10:00", "end": "11:00", "agency_ids": [nursery.to_string()]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let meeting = body["id"].as_i64().unwrap();
    let agency = app.login_as("demo-agency").await;
    let (_, inbox) = agency.get_text("/inbox").await;
    assert!(
        inbox.contains(&format!("action=\"/meetings/{meeting}/reply\"")),
        "{inbox}"
    );
    let res = agency
        .post_form(
            &format!("/meetings/{meeting}/reply"),
            &[("reply", "attending")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, inbox) = agency.get_text("/inbox?notice=replied").await;
    assert!(inbox.contains("出席と回答済み"));
    let c = app.login_as("demo-coordinator").await;
    let (_, page) = c.get_text(&format!("/meetings/{meeting}")).await;
    assert!(
        page.contains("出席と回答"),
        "the coordinator sees the answer"
    );
    assert_eq!(app.audit_actions("meeting.reply").await.len(), 1);
    // Only an invited agency answers.
    let other = app.login_as("demo-coordinator").await;
    let res = other
        .post_form(
            &format!("/meetings/{meeting}/reply"),
            &[("reply", "absent")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
