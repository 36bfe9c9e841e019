//! Upgrading keeps the data: `tests/fixtures/schema-16-demo.backup` was written by the release
//! at migration 16 (before the second factor) from its demo data. Restored on either backend it
//! loads into the schema it was made with, then the newer migrations run over the data, which
//! must come through whole: the same rows, an unbroken audit chain, accounts that still log in,
//! and the new features working on the old records.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;

use common::Backend;
use tsunagu_store::{
    audit::{self, Verification},
    backup,
    blobs::BlobStore,
    db::query,
    second_factor, sessions,
    testing::fresh_database_url,
    users::{self, LoginRefusal},
    Db, RequestMeta,
};

both_backends!(an_archive_of_schema_16_migrates_forward_intact);

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema-16-demo.backup")
}

async fn count(db: &Db, table: &str) -> i64 {
    let (n,): (i64,) = query(format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(db)
        .await
        .unwrap();
    n
}

async fn an_archive_of_schema_16_migrates_forward_intact(b: Backend) {
    let header = backup::read_header(&fixture()).unwrap();
    assert_eq!(header.schema_version, 16);
    assert!(header.schema_version < Db::latest_migration());

    let url = fresh_database_url(b).await.unwrap();
    let db = Db::connect(&url, &tsunagu_store::testing::key())
        .await
        .unwrap();
    let files = std::env::temp_dir()
        .join("tsunagu-tests")
        .join(format!("upgrade-{}-{b:?}", std::process::id()));
    // Written before archives were always sealed: it still restores.
    let blobs = BlobStore::local(files, &tsunagu_store::testing::key());
    let summary = backup::restore(&db, &blobs, &fixture(), backup::Unseal::default())
        .await
        .unwrap();

    let (newest,): (Option<i64>,) = query("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(newest, Some(Db::latest_migration()), "migrated forward");
    assert!(summary.rows > 500, "the demo's rows: {summary:?}");
    assert!(count(&db, "children").await >= 10);
    assert!(count(&db, "consents").await >= 1);
    // The archive's plain SHA-256 chain was checked, then sealed under this database's key
    // (keyed hashes), and the sealing itself is the next entry.
    match audit::verify(&db).await.unwrap() {
        Verification::Intact { entries } => assert_eq!(entries, summary.audit_entries + 1),
        broken => panic!("{broken:?}"),
    }
    let (keyed,): (String,) =
        query("SELECT detail FROM audit_log WHERE action = 'audit.chain_keyed'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(keyed, format!("entries={}", summary.audit_entries));

    // Accounts made before the second factor existed log in with their passwords, and have none.
    let meta = RequestMeta::cli();
    let user = users::authenticate(&db, &meta, "demo-coordinator", "demo-coordinator-pass-2026")
        .await
        .unwrap()
        .unwrap_or_else(|r: LoginRefusal| panic!("{r:?}"));
    assert!(!user.second_factor_enabled);
    // The new columns and tables work on the old rows.
    sessions::create(&db, &meta, &user, false).await.unwrap();
    let enrolment = second_factor::start_enrolment(&db, &meta, &user)
        .await
        .unwrap();
    let code =
        second_factor::code_at(&enrolment, &user.login, time::OffsetDateTime::now_utc()).unwrap();
    let codes = second_factor::confirm_enrolment(&db, &meta, &user, &code)
        .await
        .unwrap()
        .expect("enrolled");
    assert_eq!(codes.len(), second_factor::RECOVERY_CODES);
    assert!(matches!(
        audit::verify(&db).await.unwrap(),
        Verification::Intact { .. }
    ));
}
