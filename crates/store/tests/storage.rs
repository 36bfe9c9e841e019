//! Storage rules that must hold on both backends, tested against real databases.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use tsunagu_store::{
    audit::{self, Event, Verification},
    db::query,
    testing::fresh_database,
    Backend, Db, RequestMeta,
};

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$name(tsunagu_store::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                super::$name(tsunagu_store::Backend::Postgres).await
            }
        }
    )*};
}

both_backends!(
    concurrent_appends_keep_one_unbroken_chain,
    an_entry_rolls_back_with_its_change,
    a_deleted_last_entry_is_detected,
    a_chain_rewritten_with_a_plain_hash_is_detected,
    a_cut_off_tail_is_caught_by_the_checkpoint,
    timestamps_and_dates_round_trip,
);

async fn append(db: &Db, n: usize) {
    let meta = RequestMeta {
        client_addr: Some("127.0.0.1".into()),
        request_id: Some(format!("r{n}")),
    };
    audit::record_alone(db, &meta, Event::new("test.append").object("thing", n))
        .await
        .unwrap();
}

async fn concurrent_appends_keep_one_unbroken_chain(b: Backend) {
    let (db, _) = fresh_database(b).await.unwrap();
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..25 {
                let n = worker * 100 + i;
                if worker == 0 {
                    // Entries written with a change, between the appender's groups.
                    let mut tx = db.begin().await.unwrap();
                    audit::record(
                        &mut tx,
                        &RequestMeta::default(),
                        Event::new("test.change").object("thing", n),
                    )
                    .await
                    .unwrap();
                    tx.commit().await.unwrap();
                    continue;
                }
                append(&db, n).await;
                // Grouped or not, an entry is committed before the call returns.
                let (stored,): (i64,) =
                    query("SELECT COUNT(*) FROM audit_log WHERE request_id = $1")
                        .bind(format!("r{n}"))
                        .fetch_one(&db)
                        .await
                        .unwrap();
                assert_eq!(stored, 1, "entry r{n}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        audit::verify(&db).await.unwrap(),
        Verification::Intact { entries: 200 }
    );
}

async fn an_entry_rolls_back_with_its_change(b: Backend) {
    let (db, _) = fresh_database(b).await.unwrap();
    append(&db, 1).await;
    {
        let mut tx = db.begin().await.unwrap();
        audit::record(
            &mut tx,
            &RequestMeta::default(),
            Event::new("test.rolled_back"),
        )
        .await
        .unwrap();
        // Dropped without commit: neither the change nor its entry remain.
    }
    append(&db, 2).await;
    assert_eq!(
        audit::verify(&db).await.unwrap(),
        Verification::Intact { entries: 2 }
    );
    let (n,): (i64,) = query("SELECT COUNT(*) FROM audit_log WHERE action = 'test.rolled_back'")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

async fn a_deleted_last_entry_is_detected(b: Backend) {
    let (db, _) = fresh_database(b).await.unwrap();
    for i in 0..5 {
        append(&db, i).await;
    }
    let disable = match b {
        Backend::Sqlite => "DROP TRIGGER audit_log_no_delete",
        Backend::Postgres => "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
    };
    query(disable).execute(&db).await.unwrap();
    query("DELETE FROM audit_log WHERE id = 3")
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(
        audit::verify(&db).await.unwrap(),
        Verification::Broken {
            entry_id: 3,
            reason: "missing entry"
        }
    );
}

/// What anyone holding the database can do: switch off the append-only triggers.
async fn drop_triggers(db: &Db, b: Backend) {
    let statements: &[&str] = match b {
        Backend::Sqlite => &[
            "DROP TRIGGER audit_log_no_delete",
            "DROP TRIGGER audit_log_no_update",
        ],
        Backend::Postgres => &[
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_truncate",
        ],
    };
    for s in statements {
        query(*s).execute(db).await.unwrap();
    }
}

/// The attacker's script: change entry 3's detail and recompute every hash from there with
/// the chain's published formula (SHA-256 of the previous hash and the entry's content), as
/// was enough before the hashes were keyed.
async fn a_chain_rewritten_with_a_plain_hash_is_detected(b: Backend) {
    use sha2::{Digest, Sha256};
    let (db, _) = fresh_database(b).await.unwrap();
    for i in 0..6 {
        append(&db, i).await;
    }
    drop_triggers(&db, b).await;
    query("UPDATE audit_log SET detail = 'nothing to see' WHERE id = 3")
        .execute(&db)
        .await
        .unwrap();
    let rows: Vec<audit::Entry> = query(
        "SELECT id, at, user_id, user_login, action, object_type, object_id, outcome, \
         client_addr, request_id, detail, prev_hash, hash FROM audit_log WHERE id >= 2 ORDER BY id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    let mut prev = rows[0].hash.clone();
    for e in rows.into_iter().skip(1) {
        let content = serde_json::json!([
            e.id,
            e.at.unix_timestamp(),
            e.user_id,
            e.user_login,
            e.action,
            e.object_type,
            e.object_id,
            e.outcome,
            e.client_addr,
            e.request_id,
            e.detail
        ])
        .to_string();
        let mut h = Sha256::new();
        h.update(prev.as_bytes());
        h.update(b"\n");
        h.update(content.as_bytes());
        let hash = hex::encode(h.finalize());
        query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE id = $3")
            .bind(prev.as_str())
            .bind(hash.as_str())
            .bind(e.id)
            .execute(&db)
            .await
            .unwrap();
        prev = hash;
    }
    assert_eq!(
        audit::verify(&db).await.unwrap(),
        Verification::Broken {
            entry_id: 3,
            reason: "content does not match its hash"
        }
    );
}

/// Deleting the newest entries leaves a chain that verifies by itself; the checkpoint taken
/// before (kept in a file outside the database) names what is gone. A checkpoint line changed
/// to an earlier entry is refused.
async fn a_cut_off_tail_is_caught_by_the_checkpoint(b: Backend) {
    let (db, _) = fresh_database(b).await.unwrap();
    for i in 0..30 {
        append(&db, i).await;
    }
    let dir = std::env::temp_dir().join("tsunagu-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("checkpoints-{}-{b:?}", std::process::id()));
    let _ = std::fs::remove_file(&file);
    audit::write_checkpoint(&db, &file).await.unwrap();
    append(&db, 30).await;
    let line = audit::write_checkpoint(&db, &file).await.unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 2);
    let key = audit::chain_key(&db);
    let latest = audit::latest_checkpoint(&text, key).unwrap().unwrap();
    assert_eq!(latest.id, 31);
    assert_eq!(
        audit::check_checkpoint(&db, &latest).await.unwrap(),
        Verification::Intact { entries: 31 }
    );

    drop_triggers(&db, b).await;
    query("DELETE FROM audit_log WHERE id > 9")
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(
        audit::verify(&db).await.unwrap(),
        Verification::Intact { entries: 9 },
        "the chain alone cannot tell"
    );
    assert_eq!(
        audit::check_checkpoint(&db, &latest).await.unwrap(),
        Verification::Truncated { from: 10, to: 31 }
    );

    // The file edited to claim the chain ended at entry 9: the line's MAC no longer matches.
    let forged = line.replacen(" 31 ", " 9 ", 1);
    assert!(audit::latest_checkpoint(&forged, key).is_err());
    std::fs::remove_file(&file).unwrap();
}

async fn timestamps_and_dates_round_trip(b: Backend) {
    let (db, _) = fresh_database(b).await.unwrap();
    let t = time::macros::datetime!(2026-03-31 23:59:59 +09:00);
    query("INSERT INTO login_throttle (client_addr, failures, window_start) VALUES ($1, $2, $3)")
        .bind("x")
        .bind(1_i64)
        .bind(t)
        .execute(&db)
        .await
        .unwrap();
    let (back,): (time::OffsetDateTime,) =
        query("SELECT window_start FROM login_throttle WHERE client_addr = 'x'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(
        back, t,
        "the same instant, whatever the offset it was given in"
    );
    // Ordering by time works on both (SQLite compares the stored text).
    let (later,): (i64,) = query("SELECT COUNT(*) FROM login_throttle WHERE window_start > $1")
        .bind(time::macros::datetime!(2026-03-31 14:59:58 UTC))
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(later, 1);
}
