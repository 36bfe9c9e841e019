//! TLS to PostgreSQL as the URL asks for it: scripts/test starts its PostgreSQL with a
//! certificate for `localhost` from a CA of its own and names that CA (and another) in
//! `TSUNAGU_TEST_POSTGRES_TLS_CA` / `_OTHER_CA`. `sslmode=verify-full` connects over TLS to the
//! right server and refuses a certificate from another CA or for another host name.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use tsunagu_store::{db::query, testing, Db};

fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: run the tests with scripts/test"))
}

/// The test server's URL on host `host`, with these query parameters.
fn url(host: &str, params: &str) -> String {
    let base = env(testing::POSTGRES_ENV);
    let rest = base.split_once("@127.0.0.1").expect("URL on 127.0.0.1").1;
    let user = base.split_once('@').unwrap().0;
    format!("{user}@{host}{rest}?{params}")
}

async fn uses_tls(db: &Db) -> bool {
    let (ssl,): (bool,) = query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(db)
        .await
        .unwrap();
    ssl
}

#[tokio::test]
async fn verify_full_checks_the_servers_certificate() {
    let ca = env("TSUNAGU_TEST_POSTGRES_TLS_CA");
    let other = env("TSUNAGU_TEST_POSTGRES_TLS_OTHER_CA");
    let key = testing::key();

    let db = Db::connect(
        &url(
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        ),
        &key,
    )
    .await
    .expect("TLS with the server's certificate checked");
    assert!(uses_tls(&db).await);
    db.close().await;

    // A certificate the named CA did not sign is refused.
    let refused = Db::connect(
        &url(
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={other}"),
        ),
        &key,
    )
    .await;
    assert!(refused.is_err(), "another CA's trust must not connect");

    // So is the right certificate for another name (the server was reached as 127.0.0.1).
    let refused = Db::connect(
        &url(
            "127.0.0.1",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        ),
        &key,
    )
    .await;
    assert!(refused.is_err(), "the host name is checked");

    // The URL decides: without TLS asked for, the same server is reached in plain text.
    let plain = Db::connect(&url("127.0.0.1", "sslmode=disable"), &key)
        .await
        .unwrap();
    assert!(!uses_tls(&plain).await);
    plain.close().await;
}
