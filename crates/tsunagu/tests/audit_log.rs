//! The audit log against someone holding the database: the server leaves checkpoints of the
//! chain's head outside it (at start, hourly, at shutdown), so `tsunagu audit verify` catches
//! a tail cut off afterwards and names what is missing; a line kept from `tsunagu audit head`
//! or a backup archive serves as a checkpoint too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{output_text as text, run_tsunagu, scratch, Backend, Options, TestApp};
use tsunagu_store::{db::query, testing::key};

both_backends!(a_cut_off_tail_fails_audit_verify);

async fn a_cut_off_tail_fails_audit_verify(b: Backend) {
    let dir = scratch(&format!("audit-{b:?}"));
    let checkpoints = dir.join("tsunagu.checkpoints");
    let app = TestApp::demo_with(
        b,
        Options {
            audit_checkpoints: Some(checkpoints.clone()),
            ..Options::default()
        },
    )
    .await;
    let c = app.login_as("demo-coordinator").await;
    for _ in 0..3 {
        assert!(c.get("/children").await.status().is_success());
    }
    let url = app.database_url.clone();
    let db = app.db.clone();
    app.stop().await;

    // One checkpoint at start, one at shutdown: the last names the chain's last entry.
    let written = std::fs::read_to_string(&checkpoints).unwrap();
    assert_eq!(written.lines().count(), 2, "{written}");
    let (last,): (i64,) = query("SELECT MAX(id) FROM audit_log")
        .fetch_one(&db)
        .await
        .unwrap();
    assert!(written
        .lines()
        .last()
        .unwrap()
        .contains(&format!(" {last} ")));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&checkpoints)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let verify = |extra: &[&str]| {
        let mut args = vec![
            "audit",
            "verify",
            "--database",
            &url,
            "--audit-checkpoints",
            checkpoints.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        run_tsunagu(&args, Some(&key()), None)
    };
    let out = verify(&[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("at entry {last} matches")),
        "{}",
        text(&out)
    );
    // `audit head` prints a line to keep elsewhere; it serves as a checkpoint by itself.
    let head = run_tsunagu(&["audit", "head", "--database", &url], Some(&key()), None);
    assert!(head.status.success(), "{}", text(&head));
    let kept = dir.join("kept-elsewhere.txt");
    std::fs::write(&kept, &head.stdout).unwrap();

    // Someone with the database drops the triggers and deletes the newest 22 entries.
    match b {
        Backend::Sqlite => {
            query("DROP TRIGGER audit_log_no_delete")
                .execute(&db)
                .await
                .unwrap();
        }
        Backend::Postgres => {
            query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
                .execute(&db)
                .await
                .unwrap();
        }
    }
    query("DELETE FROM audit_log WHERE id > $1")
        .bind(last - 22)
        .execute(&db)
        .await
        .unwrap();
    db.close().await;

    let out = verify(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let missing = format!("entries {}-{last} are missing", last - 21);
    assert!(text(&out).contains(&missing), "{}", text(&out));
    let out = verify(&["--checkpoint", kept.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains(&missing), "{}", text(&out));
    std::fs::remove_dir_all(&dir).unwrap();
}
