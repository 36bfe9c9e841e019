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
