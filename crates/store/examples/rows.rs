//! Prints the rows of a query that answers one text column, one per line:
//! `cargo run -p tsunagu-store --example rows -- URL SQL`. For scripts that must read the
//! encrypted SQLite file, which the `sqlite3` command and Python's module cannot open (the
//! crash test). The key as for the `explain` example.

use tsunagu_store::{db::query, Db};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(sql)) = (args.next(), args.next()) else {
        eprintln!("usage: rows URL SQL");
        std::process::exit(2);
    };
    let key = tsunagu_store::keys::from_environment(&url)?;
    let db = Db::connect(&url, &key).await?;
    let rows: Vec<(String,)> = query(sql).fetch_all(&db).await?;
    db.close().await;
    for (line,) in rows {
        println!("{line}");
    }
    Ok(())
}
