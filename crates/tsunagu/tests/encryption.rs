//! Encryption at rest as an IT department meets it: the SQLite file and the attachments are
//! unreadable without the data key, a wrong key is refused cleanly and changes nothing, an old
//! plaintext database is encrypted on first start, `tsunagu rekey` keeps every row and file,
//! and a tampered attachment is refused on screen and in the API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    contains_bytes as contains, output_text as text, run_tsunagu, scratch, shared_attachments,
    Backend, TestApp,
};
use tsunagu_store::{
    backup,
    blobs::BlobStore,
    db::query,
    keys::{DataKey, PLAINTEXT_HEADER},
    testing::{fresh_database_url, key},
    Db, Error,
};

/// The CLI with the key named by `key` (None: no variable, so the key file decides).
fn tsunagu(args: &[&str], key: Option<&DataKey>) -> std::process::Output {
    run_tsunagu(args, key, None)
}

/// The database file and its write-ahead log, as a thief would copy them.
fn raw_sqlite(url: &str) -> Vec<u8> {
    let path = tsunagu_store::db::sqlite_path(url).unwrap();
    let mut bytes = std::fs::read(path).unwrap();
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    bytes.extend(std::fs::read(wal).unwrap_or_default());
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copied_sqlite_file_reveals_no_child_and_no_header() {
    let app = TestApp::demo(Backend::Sqlite).await;
    let api = common::Api::new(&app, "demo-coordinator").await;
    let name = "暗号化確認";
    let (area,): (i64,) = query("SELECT id FROM areas WHERE name = '香取海匝'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let (status, body) = api
        .post(
            "/api/v1/children",
            serde_json::json!({
                "area_id": area.to_string(), "family_name": name, "given_name": "ひかり",
                "family_kana": "あんごうかくにん", "given_kana": "ひかり",
                "birth_date": "2021-04-05", "address": "香取市暗号町1-1",
                "not_a_duplicate": "1",
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (attachment, pdf) = app.upload_pdf("demo-coordinator").await;

    let raw = raw_sqlite(&app.database_url);
    assert!(raw.len() > 100_000, "the demo is in the file");
    assert!(!raw.starts_with(PLAINTEXT_HEADER));
    assert!(!contains(&raw, b"SQLite format 3"));
    for needle in [name, "香取市暗号町", "demo-coordinator", "CREATE TABLE"] {
        assert!(
            !contains(&raw, needle.as_bytes()),
            "{needle} readable in the file"
        );
    }
    // Nor the attachment, where it lies.
    let dir = shared_attachments();
    let stored = std::fs::read(dir.join(&attachment[..2]).join(&attachment)).unwrap();
    assert!(!contains(&stored, b"%PDF"));
    assert!(!contains(&stored, &pdf[10..30]));

    // The right key still reads it all.
    let (n,): (i64,) = query("SELECT COUNT(*) FROM children WHERE family_name = $1")
        .bind(name)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_is_refused_cleanly_and_changes_nothing() {
    let url = fresh_database_url(Backend::Sqlite).await.unwrap();
    let out = tsunagu(&["audit", "verify", "--database", &url], Some(&key()));
    assert!(out.status.success(), "{}", text(&out));
    let db = Db::connect(&url, &key()).await.unwrap();
    let before = backup::contents(&db).await.unwrap();
    db.close().await;

    let wrong = DataKey::generate();
    match Db::connect(&url, &wrong).await {
        Err(Error::WrongDataKey(message)) => {
            assert!(message.contains("データ鍵が違う"), "{message}")
        }
        other => panic!("expected a wrong-key refusal, got {other:?}"),
    }
    let out = tsunagu(&["audit", "verify", "--database", &url], Some(&wrong));
    assert!(!out.status.success());
    assert!(text(&out).contains("データ鍵が違う"), "{}", text(&out));
    assert!(
        !text(&out).contains(&wrong.to_hex()),
        "the key is never printed"
    );

    // Nothing changed: the right key opens the same rows, and the chain verifies.
    let out = tsunagu(&["audit", "verify", "--database", &url], Some(&key()));
    assert!(out.status.success(), "{}", text(&out));
    let db = Db::connect(&url, &key()).await.unwrap();
    assert_eq!(backup::contents(&db).await.unwrap(), before);
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_database_refuses_a_key_other_than_its_own() {
    let url = fresh_database_url(Backend::Postgres).await.unwrap();
    let out = tsunagu(&["audit", "verify", "--database", &url], Some(&key()));
    assert!(out.status.success(), "{}", text(&out));
    let wrong = DataKey::generate();
    let out = tsunagu(&["audit", "verify", "--database", &url], Some(&wrong));
    assert!(!out.status.success());
    assert!(
        text(&out).contains("このデータベースのものではありません"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains(&key().fingerprint()), "{}", text(&out));
    // PostgreSQL has no default key file: several servers must share one key.
    let out = tsunagu(&["audit", "verify", "--database", &url], None);
    assert!(!out.status.success());
    assert!(text(&out).contains("--database-key-file"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_start_makes_a_key_file_and_later_starts_use_it() {
    let dir = scratch("first-start");
    let url = format!("sqlite://{}/tsunagu.db", dir.display());
    let out = tsunagu(&["audit", "verify", "--database", &url], None);
    assert!(out.status.success(), "{}", text(&out));
    let key_file = dir.join("tsunagu.key");
    let made = DataKey::read_file(&key_file).unwrap();
    assert!(
        text(&out).contains("データ鍵を新しく作りました"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains(&made.fingerprint()));
    assert!(
        !text(&out).contains(&made.to_hex()),
        "the key is never printed"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let out = tsunagu(&["audit", "verify", "--database", &url], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("新しく作りました"));
    assert_eq!(DataKey::read_file(&key_file).unwrap(), made);

    // The key file lost: the database is not given a new key, it is refused.
    std::fs::rename(&key_file, dir.join("elsewhere.key")).unwrap();
    let out = tsunagu(&["audit", "verify", "--database", &url], None);
    assert!(!out.status.success());
    assert!(text(&out).contains("鍵ファイル"), "{}", text(&out));
    assert!(!key_file.exists());
    let elsewhere = dir.join("elsewhere.key");
    let out = tsunagu(
        &[
            "audit",
            "verify",
            "--database",
            &url,
            "--database-key-file",
            elsewhere.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plaintext_database_from_before_is_encrypted_on_first_open() {
    use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions};
    let dir = scratch("plaintext");
    let path = dir.join("old.db");
    // As an earlier release wrote it: no key at all.
    let mut conn = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .connect()
        .await
        .unwrap();
    sqlx::query("CREATE TABLE notes_before (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("INSERT INTO notes_before (body) VALUES ('平文の記録')")
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);
    assert!(std::fs::read(&path).unwrap().starts_with(PLAINTEXT_HEADER));

    let url = format!("sqlite://{}", path.display());
    // A copy that cannot be written (here: its name taken by a folder; in life, a full disk)
    // leaves the original as it was, to be encrypted at the next start.
    let blocker = dir.join("old.encrypting");
    std::fs::create_dir(&blocker).unwrap();
    match Db::connect(&url, &key()).await {
        Err(Error::Other(message)) => {
            assert!(message.contains("元のファイルはそのまま"), "{message}")
        }
        other => panic!("expected the conversion to fail, got {other:?}"),
    }
    assert!(std::fs::read(&path).unwrap().starts_with(PLAINTEXT_HEADER));
    std::fs::remove_dir(&blocker).unwrap();

    let db = Db::connect(&url, &key()).await.unwrap();
    let (body,): (String,) = query("SELECT body FROM notes_before")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(body, "平文の記録");
    db.close().await;
    let raw = raw_sqlite(&url);
    assert!(!raw.starts_with(PLAINTEXT_HEADER));
    assert!(!contains(&raw, "平文の記録".as_bytes()));
    assert!(!dir.join("old.encrypting").exists());
    assert!(matches!(
        Db::connect(&url, &DataKey::generate()).await,
        Err(Error::WrongDataKey(_))
    ));
}

/// `tsunagu rekey` with the server stopped: afterwards every row and file is there under the
/// new key, the old key opens nothing, and archives made before still restore with the old key.
async fn rekey_keeps_everything(b: Backend) {
    let dir = scratch(&format!("rekey-{b:?}"));
    let key_file = dir.join("data.key");
    key().write_file(&key_file).unwrap();
    let app = TestApp::demo(b).await;
    let (attachment, pdf) = app.upload_pdf("demo-coordinator").await;
    let url = app.database_url.clone();
    let files = shared_attachments();
    let before = backup::contents(&app.db).await.unwrap();
    let archive = dir.join("before.backup");
    let with_file = |args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend([
            "--database",
            &url,
            "--database-key-file",
            key_file.to_str().unwrap(),
            "--attachments-dir",
            files.to_str().unwrap(),
        ]);
        tsunagu(&all, None)
    };
    let out = with_file(&["backup", archive.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    // The server stops for the rekey.
    app.db.close().await;
    drop(app);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let out = with_file(&["rekey"]);
    assert!(out.status.success(), "{}", text(&out));
    let new = DataKey::read_file(&key_file).unwrap();
    assert_ne!(new, key());
    assert_eq!(
        DataKey::read_file(&key_file.with_extension("key.old")).unwrap(),
        key()
    );
    assert!(text(&out).contains(&new.fingerprint()), "{}", text(&out));
    assert!(!key_file.with_extension("key.new").exists());

    let db = Db::connect(&url, &new).await.unwrap();
    tsunagu_store::keys::check(&db, &new).await.unwrap();
    let mut after = backup::contents(&db).await.unwrap();
    let entries = after.get_mut("audit_log").unwrap();
    assert_eq!(
        entries
            .iter()
            .filter(|r| r.contains("\"data_key_changed\""))
            .count(),
        1,
        "the rekey is audited"
    );
    entries.retain(|r| !r.contains("\"data_key_changed\"") && !r.contains("\"backup_created\""));
    let mut before = before;
    before
        .get_mut("audit_log")
        .unwrap()
        .retain(|r| !r.contains("\"backup_created\""));
    // The chain is sealed under the new key: the same entries, new hashes.
    for contents in [&mut before, &mut after] {
        let rows = contents.get_mut("audit_log").unwrap();
        for row in rows.iter_mut() {
            let mut entry: serde_json::Value = serde_json::from_str(row).unwrap();
            let fields = entry.as_object_mut().unwrap();
            fields.remove("hash");
            fields.remove("prev_hash");
            *row = entry.to_string();
        }
        rows.sort();
    }
    assert_eq!(before, after, "every row is kept");
    assert_eq!(
        BlobStore::local(&files, &new)
            .get(&attachment)
            .await
            .unwrap(),
        pdf
    );
    assert!(matches!(
        BlobStore::local(&files, &key()).get(&attachment).await,
        Err(Error::Tampered(_))
    ));
    match b {
        Backend::Sqlite => assert!(matches!(
            Db::connect(&url, &key()).await,
            Err(Error::WrongDataKey(_))
        )),
        Backend::Postgres => assert!(matches!(
            tsunagu_store::keys::check(&db, &key()).await,
            Err(Error::WrongDataKey(_))
        )),
    }
    db.close().await;
    let out = tsunagu(
        &[
            "audit",
            "verify",
            "--database",
            &url,
            "--database-key-file",
            key_file.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));

    // Running it again after it finished changes the key once more and still keeps the file.
    let out = with_file(&["rekey"]);
    assert!(out.status.success(), "{}", text(&out));
    let third = DataKey::read_file(&key_file).unwrap();
    assert_eq!(
        BlobStore::local(&files, &third)
            .get(&attachment)
            .await
            .unwrap(),
        pdf
    );

    // An archive from before the rekey opens with the old key only.
    let out = tsunagu(
        &["backup", "verify", archive.to_str().unwrap()],
        Some(&key()),
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = tsunagu(
        &["backup", "verify", archive.to_str().unwrap()],
        Some(&third),
    );
    assert!(!out.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rekey_keeps_everything_on_sqlite() {
    rekey_keeps_everything(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rekey_keeps_everything_on_postgres() {
    rekey_keeps_everything(Backend::Postgres).await;
}

/// A flipped byte in a stored attachment: the download is refused with a Japanese message and
/// a stable code, never served.
async fn a_tampered_attachment_is_refused(b: Backend) {
    let app = TestApp::demo(b).await;
    let (attachment, _) = app.upload_pdf("demo-coordinator").await;
    let (id, child): (i64, i64) =
        query("SELECT id, child_id FROM attachments WHERE storage_key = $1")
            .bind(attachment.as_str())
            .fetch_one(&app.db)
            .await
            .unwrap();
    let api = common::Api::new(&app, "demo-coordinator").await;
    let path = format!("/api/v1/children/{child}/attachments/{id}");
    let res = reqwest::Client::new()
        .get(format!("{}{path}", api.base))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());

    let file = shared_attachments()
        .join(&attachment[..2])
        .join(&attachment);
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.len() - 20;
    bytes[at] ^= 0x20;
    std::fs::write(&file, &bytes).unwrap();

    let (status, body) = api.get(&path).await;
    assert_eq!(status, 500);
    assert_eq!(body["error"]["code"], "attachment_tampered", "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("改ざん"));
    let browser = app.login_as("demo-coordinator").await;
    let (status, html) = browser
        .get_text(&format!("/children/{child}/attachments/{id}"))
        .await;
    assert_eq!(status, 500);
    assert!(html.contains("改ざんされているか壊れている"), "{html}");
    assert!(!html.contains("%PDF"));

    // Nor does a backup copy it: it stops, says which file, and leaves no half archive.
    let dir = scratch(&format!("tampered-{b:?}"));
    let out = tsunagu(
        &[
            "backup",
            dir.to_str().unwrap(),
            "--database",
            &app.database_url,
            "--attachments-dir",
            file.parent().unwrap().parent().unwrap().to_str().unwrap(),
        ],
        Some(&key()),
    );
    assert!(!out.status.success());
    assert!(text(&out).contains(&attachment), "{}", text(&out));
    assert!(
        text(&out).contains("バックアップを取りやめました"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_attachment_is_refused_on_sqlite() {
    a_tampered_attachment_is_refused(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_attachment_is_refused_on_postgres() {
    a_tampered_attachment_is_refused(Backend::Postgres).await;
}
