//! `tsunagu backup` and `tsunagu restore` as an IT department runs them: the demo data and an
//! attachment written out while the server runs, loaded into an empty database of the same or
//! the other backend, every table equal afterwards; and every refusal leaves the target empty.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{
    contains_bytes as contains, output_text as text, run_tsunagu, scratch, shared_attachments,
    Backend, TestApp,
};
use tsunagu_store::{
    audit::{self, Verification},
    backup,
    blobs::BlobStore,
    db::query,
    keys::DataKey,
    testing::fresh_database,
    Db,
};

fn tsunagu(args: &[&str], passphrase: Option<&str>) -> std::process::Output {
    tsunagu_with_key(args, passphrase, &tsunagu_store::testing::key())
}

fn tsunagu_with_key(
    args: &[&str],
    passphrase: Option<&str>,
    key: &DataKey,
) -> std::process::Output {
    run_tsunagu(args, Some(key), passphrase)
}

/// The demo data, plus an uploaded file; answers the app and the file's storage key and bytes.
async fn source(b: Backend) -> (TestApp, String, Vec<u8>) {
    let app = TestApp::demo(b).await;
    let (key, bytes) = app.upload_pdf("demo-coordinator").await;
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
    // Always sealed: with the passphrase if one is given, else with the data key.
    let header = backup::read_header(&file).unwrap();
    let sealing = header.sealing.expect("every archive is sealed");
    match passphrase {
        Some(_) => assert_eq!(sealing.kdf, "argon2id"),
        None => assert_eq!(
            sealing.key_fingerprint,
            Some(tsunagu_store::testing::key().fingerprint())
        ),
    }
    // No child's name in the archive's bytes.
    let raw = std::fs::read(&file).unwrap();
    let name = before["children"][0].clone();
    let name: serde_json::Value = serde_json::from_str(&name).unwrap();
    let family = name["family_name"].as_str().unwrap();
    assert!(
        !contains(&raw, family.as_bytes()),
        "{family} in the archive"
    );

    // Checked without restoring: integrity and the audit chain.
    let out = tsunagu(
        &[
            "backup",
            "verify",
            file.to_str().unwrap(),
            "--database",
            &app.database_url,
        ],
        passphrase,
    );
    assert!(out.status.success(), "verify: {}", text(&out));
    assert!(text(&out).contains("OK"), "{}", text(&out));
    assert!(text(&out).contains("連鎖を確認済み"), "{}", text(&out));

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
        BlobStore::local(restored_files, &tsunagu_store::testing::key())
            .get(&key)
            .await
            .unwrap(),
        bytes
    );

    // The restored database serves: the coordinator logs in and finds the same children, and
    // new rows get new ids (PostgreSQL's sequences were moved past the loaded ones).
    target.close().await;
    let db2 = Db::connect(&target_url, &tsunagu_store::testing::key())
        .await
        .unwrap();
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
    // Sealed with the data key: what a backup without a passphrase is.
    let plain = dir.join("keyed.backup");
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

    // Another data key opens neither the archive nor, with `backup verify`, checks it.
    let other = DataKey::generate();
    let other_target = tsunagu_store::testing::fresh_database_url(to)
        .await
        .unwrap();
    let out = tsunagu_with_key(
        &[
            "restore",
            plain.to_str().unwrap(),
            "--database",
            &other_target,
            "--attachments-dir",
            dir.join("other-files").to_str().unwrap(),
        ],
        None,
        &other,
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("別のデータ鍵"), "{}", text(&out));
    if let Some(path) = tsunagu_store::db::sqlite_path(&other_target) {
        assert!(!path.exists(), "refused before a database is made");
    }
    let out = tsunagu_with_key(&["backup", "verify", plain.to_str().unwrap()], None, &other);
    assert!(!out.status.success());
    assert!(text(&out).contains("別のデータ鍵"), "{}", text(&out));

    // One changed byte in the middle of the payload.
    let mut bytes = std::fs::read(&plain).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x55;
    let tampered = dir.join("tampered.backup");
    std::fs::write(&tampered, &bytes).unwrap();
    let out = tsunagu(&["backup", "verify", tampered.to_str().unwrap()], None);
    assert!(!out.status.success(), "verify finds the changed byte");
    assert!(text(&out).contains("壊れて"), "{}", text(&out));
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

/// `tsunagu backup FOLDER --keep N`: a new generation each run, the oldest removed so exactly N
/// remain, and nothing else in the folder touched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generations_rotate_keeping_exactly_n() {
    let app = TestApp::demo(Backend::Sqlite).await;
    let dir = scratch("generations");
    // Nine earlier days' generations and a file of the operator's own.
    for day in 1..=9 {
        std::fs::write(
            dir.join(format!("tsunagu-202611{day:02}-030000.backup")),
            b"old",
        )
        .unwrap();
    }
    std::fs::write(dir.join("README.txt"), b"offline copy goes to the NAS").unwrap();
    let files = shared_attachments();
    let run = |keep: Option<&str>| {
        let mut args = vec![
            "backup",
            dir.to_str().unwrap(),
            "--database",
            &app.database_url,
            "--attachments-dir",
            files.to_str().unwrap(),
        ];
        if let Some(k) = keep {
            args.extend(["--keep", k]);
        }
        tsunagu(&args, None)
    };
    let generations = || {
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with("tsunagu-") && n.ends_with(".backup"))
            .collect();
        names.sort();
        names
    };

    let out = run(None);
    assert!(out.status.success(), "{}", text(&out));
    let kept = generations();
    assert_eq!(kept.len(), 7, "a week by default: {kept:?}");
    assert_eq!(kept[0], "tsunagu-20261104-030000.backup");
    assert!(!kept.iter().any(|n| n == "tsunagu-20261103-030000.backup"));
    assert!(text(&out).contains("古い世代を削除しました"));

    for _ in 0..2 {
        let out = run(Some("3"));
        assert!(out.status.success(), "{}", text(&out));
    }
    let kept = generations();
    assert_eq!(kept.len(), 3, "{kept:?}");
    // The three newest are today's, each a whole archive that verifies.
    for name in &kept {
        assert!(!name.starts_with("tsunagu-202611"), "{kept:?}");
        let out = tsunagu(
            &["backup", "verify", dir.join(name).to_str().unwrap()],
            None,
        );
        assert!(out.status.success(), "{}", text(&out));
    }
    assert!(dir.join("README.txt").exists());

    // --keep means nothing for a single file: said so, nothing written.
    let file = dir.join("one.backup");
    let out = tsunagu(
        &[
            "backup",
            file.to_str().unwrap(),
            "--keep",
            "2",
            "--database",
            &app.database_url,
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("フォルダ"), "{}", text(&out));
    assert!(!file.exists());
}
