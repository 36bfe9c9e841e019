//! `tsunagu backup` and `tsunagu restore` as an IT department runs them: the demo data and an
//! attachment written out while the server runs, loaded into an empty database of the same or
//! the other backend, every table equal afterwards; and every refusal leaves the target empty.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{Api, Backend, TestApp};
use tsunagu_store::{
    audit::{self, Verification},
    backup,
    blobs::BlobStore,
    db::query,
    testing::fresh_database,
    Db,
};

fn shared_attachments() -> PathBuf {
    std::env::temp_dir()
        .join("tsunagu-tests")
        .join("attachments")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join("tsunagu-tests")
        .join(format!("backup-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tsunagu(args: &[&str], passphrase: Option<&str>) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tsunagu"));
    command.args(args).env("TSUNAGU_LOG", "error");
    match passphrase {
        Some(p) => command.env("TSUNAGU_BACKUP_PASSPHRASE", p),
        None => command.env_remove("TSUNAGU_BACKUP_PASSPHRASE"),
    };
    command.output().unwrap()
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The demo data, plus an uploaded file; answers the app and the file's storage key and bytes.
async fn source(b: Backend) -> (TestApp, String, Vec<u8>) {
    let app = TestApp::demo(b).await;
    let api = Api::new(&app, "demo-coordinator").await;
    let (_, children) = api.get("/api/v1/children?q=").await;
    let child = children["items"][0]["id"].as_i64().unwrap();
    let bytes = b"%PDF-1.4\n% backup test\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec();
    let form = reqwest::multipart::Form::new()
        .text("title", "受診メモ")
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes.clone())
                .file_name("memo.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/children/{child}/attachments", api.base))
        .bearer_auth(&api.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "upload: {}", res.status());
    let (key,): (String,) = query("SELECT storage_key FROM attachments ORDER BY id DESC")
        .fetch_one(&app.db)
        .await
        .unwrap();
    (app, key, bytes)
}

async fn count(db: &Db, table: &str) -> i64 {
    let (n,): (i64,) = query(format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(db)
        .await
        .unwrap();
    n
}

async fn round_trip(from: Backend, to: Backend, passphrase: Option<&str>) {
    let (app, key, bytes) = source(from).await;
    let dir = scratch(&format!("{from:?}-{to:?}"));
    let file = dir.join("tsunagu.backup");
    let before = backup::contents(&app.db).await.unwrap();

    // Written while the server is up and serving.
    let out = tsunagu(
        &[
            "backup",
            file.to_str().unwrap(),
            "--database",
            &app.database_url,
            "--attachments-dir",
            shared_attachments().to_str().unwrap(),
        ],
        passphrase,
    );
    assert!(out.status.success(), "backup: {}", text(&out));
    assert!(text(&out).contains("バックアップを書き出しました"));
    assert_eq!(
        app.audit_actions("backup_created").await.len(),
        1,
        "the backup is in the source's audit log"
    );
    let header = backup::read_header(&file).unwrap();
    assert_eq!(header.sealing.is_some(), passphrase.is_some());

    let (target, target_url) = fresh_database(to).await.unwrap();
    let restored_files = dir.join("attachments");
    let out = tsunagu(
        &[
            "restore",
            file.to_str().unwrap(),
            "--database",
            &target_url,
            "--attachments-dir",
            restored_files.to_str().unwrap(),
        ],
        passphrase,
    );
    assert!(out.status.success(), "restore: {}", text(&out));
    assert!(text(&out).contains("復元しました"), "{}", text(&out));

    let mut after = backup::contents(&target).await.unwrap();
    // The restore appends its own entry to the chain it loaded.
    let restored_entries = after.get_mut("audit_log").unwrap();
    let own: Vec<String> = restored_entries
        .iter()
        .filter(|r| r.contains("\"backup_restored\""))
        .cloned()
        .collect();
    assert_eq!(own.len(), 1);
    restored_entries.retain(|r| !r.contains("\"backup_restored\""));
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (table, rows) in &before {
        assert_eq!(
            rows.len(),
            after[table].len(),
            "{table}: row count after {from:?} → {to:?}"
        );
        assert!(
            rows == &after[table],
            "{table}: rows differ after {from:?} → {to:?}"
        );
    }
    assert!(before["children"].len() > 10 && before["audit_log"].len() > 10);
    assert!(matches!(
        audit::verify(&target).await.unwrap(),
        Verification::Intact { .. }
    ));
    assert_eq!(
        BlobStore::Local(restored_files).get(&key).await.unwrap(),
        bytes
    );

    // The restored database serves: the coordinator logs in and finds the same children, and
    // new rows get new ids (PostgreSQL's sequences were moved past the loaded ones).
    target.close().await;
    let (db2, _) = (Db::connect(&target_url).await.unwrap(), ());
    let children_before = count(&db2, "children").await;
    let mut tx = db2.begin().await.unwrap();
    audit::record(
        &mut tx,
        &tsunagu_store::RequestMeta::cli(),
        audit::Event::new("test.after_restore"),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(matches!(
        audit::verify(&db2).await.unwrap(),
        Verification::Intact { .. }
    ));
    let user = tsunagu_store::users::find_by_login(&db2, "demo-coordinator")
        .await
        .unwrap()
        .expect("the demo coordinator is restored");
    let mut tx = db2.begin().await.unwrap();
    let new_user = tsunagu_store::users::create(
        &mut tx,
        &tsunagu_store::RequestMeta::cli(),
        None,
        tsunagu_store::users::NewUser {
            login: "after-restore".into(),
            display_name: "復元後 太郎".into(),
            role: tsunagu_domain::Role::Committee,
            area_ids: vec![],
            agency_id: None,
            password: "restored-password-1234".into(),
            must_change_password: false,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(new_user.0 > user.id.0);
    assert_eq!(count(&db2, "children").await, children_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_sqlite() {
    round_trip(Backend::Sqlite, Backend::Sqlite, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_postgres_sealed() {
    round_trip(
        Backend::Sqlite,
        Backend::Postgres,
        Some("県の移行用パスフレーズ 2027"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_to_sqlite() {
    round_trip(Backend::Postgres, Backend::Sqlite, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_to_postgres_sealed() {
    round_trip(Backend::Postgres, Backend::Postgres, Some("pass phrase")).await;
}

fn restore_into(file: &Path, url: &str, passphrase: Option<&str>) -> std::process::Output {
    let files = file.with_file_name("restored-attachments");
    tsunagu(
        &[
            "restore",
            file.to_str().unwrap(),
            "--database",
            url,
            "--attachments-dir",
            files.to_str().unwrap(),
        ],
        passphrase,
    )
}

async fn refusals(to: Backend) {
    let (app, _, _) = source(Backend::Sqlite).await;
    let dir = scratch(&format!("refusals-{to:?}"));
    let sealed = dir.join("sealed.backup");
    let plain = dir.join("plain.backup");
    for (file, pass) in [(&sealed, Some("正しいパスフレーズ")), (&plain, None)] {
        let out = tsunagu(
            &[
                "backup",
                file.to_str().unwrap(),
                "--database",
                &app.database_url,
                "--attachments-dir",
                shared_attachments().to_str().unwrap(),
            ],
            pass,
        );
        assert!(out.status.success(), "{}", text(&out));
    }
    let (target, url) = fresh_database(to).await.unwrap();
    let empty = |db: Db| async move {
        assert_eq!(count(&db, "users").await, 0);
        assert_eq!(count(&db, "children").await, 0);
        assert_eq!(count(&db, "audit_log").await, 0);
        // The migrations' own rows are still there: nothing was half-deleted.
        assert!(count(&db, "municipalities").await > 50);
    };

    let out = restore_into(&sealed, &url, Some("違うパスフレーズ"));
    assert!(!out.status.success());
    assert!(text(&out).contains("パスフレーズが違う"), "{}", text(&out));
    empty(target.clone()).await;

    let out = restore_into(&sealed, &url, None);
    assert!(!out.status.success());
    assert!(text(&out).contains("暗号化されています"), "{}", text(&out));
    empty(target.clone()).await;

    // One changed byte in the middle of the payload.
    let mut bytes = std::fs::read(&plain).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x55;
    let tampered = dir.join("tampered.backup");
    std::fs::write(&tampered, &bytes).unwrap();
    let out = restore_into(&tampered, &url, None);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("壊れて"),
        "a damaged archive is named so: {}",
        text(&out)
    );
    empty(target.clone()).await;

    // Cut short: the last records missing.
    let short = dir.join("short.backup");
    std::fs::write(&short, &std::fs::read(&plain).unwrap()[..at]).unwrap();
    let out = restore_into(&short, &url, None);
    assert!(!out.status.success());
    empty(target.clone()).await;

    // Not an archive at all.
    let out = restore_into(&dir.join("missing.backup"), &url, None);
    assert!(!out.status.success());
    let out = restore_into(Path::new("Cargo.toml"), &url, None);
    assert!(!out.status.success());
    assert!(text(&out).contains("バックアップファイルではありません"));
    empty(target.clone()).await;

    // A database in use is never overwritten.
    let users = count(&app.db, "users").await;
    let out = restore_into(&plain, &app.database_url, None);
    assert!(!out.status.success());
    assert!(text(&out).contains("空ではありません"), "{}", text(&out));
    assert_eq!(count(&app.db, "users").await, users);

    // And the right key still restores into the target the refusals left alone.
    let out = restore_into(&sealed, &url, Some("正しいパスフレーズ"));
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(count(&target, "users").await, users);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_leave_a_sqlite_target_empty() {
    refusals(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_leave_a_postgres_target_empty() {
    refusals(Backend::Postgres).await;
}
