//! Prints the query plan the bundled SQLite (or the PostgreSQL server) chooses for a statement,
//! with `$n` parameters bound as text: `cargo run -p tsunagu-store --example explain -- URL SQL [VALUE…]`.
//! For docs/performance.md's investigations; the CLI `sqlite3` may be another version (and
//! cannot open the encrypted file). The key: `TSUNAGU_DATABASE_KEY`, else
//! `TSUNAGU_DATABASE_KEY_FILE`, else the key file beside the SQLite database.

use tsunagu_store::{
    db::{query, Backend},
    Db,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(sql)) = (args.next(), args.next()) else {
        eprintln!("usage: explain URL SQL [VALUE…]");
        std::process::exit(2);
    };
    let values: Vec<String> = args.collect();
    let key = tsunagu_store::keys::from_environment(&url)?;
    let db = Db::connect(&url, &key).await?;
    let prefix = match db.backend() {
        Backend::Sqlite => "EXPLAIN QUERY PLAN ",
        Backend::Postgres => "EXPLAIN (ANALYZE, BUFFERS) ",
    };
    let bind = |mut q: tsunagu_store::db::Query| {
        for v in &values {
            q = match v.parse::<i64>() {
                Ok(n) => q.bind(n),
                Err(_) => q.bind(v.as_str()),
            };
        }
        q
    };
    if db.backend() == Backend::Sqlite {
        let rows: Vec<(i64, i64, i64, String)> =
            bind(query(format!("{prefix}{sql}"))).fetch_all(&db).await?;
        for (id, parent, _, detail) in rows {
            println!("{id:>3} {parent:>3} {detail}");
        }
    } else {
        let rows: Vec<(String,)> = bind(query(format!("{prefix}{sql}"))).fetch_all(&db).await?;
        for (line,) in rows {
            println!("{line}");
        }
    }
    // The fastest of five runs: the first one also warms the cache.
    let mut best = f64::MAX;
    let mut n = 0;
    for _ in 0..5 {
        let started = std::time::Instant::now();
        n = bind(query(format!("SELECT COUNT(*) FROM ({sql}) AS counted")))
            .fetch_one::<(i64,)>(&db)
            .await?
            .0;
        best = best.min(started.elapsed().as_secs_f64() * 1000.0);
    }
    println!("{n} rows in {best:.1} ms (fastest of 5)");
    Ok(())
}
