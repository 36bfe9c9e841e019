//! Bulk loading for the synthetic datasets of `tsunagu seed`: many rows a statement, ids given
//! by the caller (so rows can refer to each other before they exist), and, on PostgreSQL, the
//! identity sequences moved past them afterwards.

use crate::{
    db::{query, query_dialect, Backend, Db, Tx, Value},
    Result,
};

/// The bound values one statement carries: larger statements cost more to prepare than they save.
const MAX_PARAMS: usize = 4_000;

/// Inserts `rows` (each a value per column) into `table`. Table and column names are the
/// caller's constants, never input.
pub async fn insert_rows(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<()> {
    let per = (MAX_PARAMS / columns.len()).max(1);
    let backend = tx.backend();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per).collect();
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 0..columns.len() {
                if c > 0 {
                    sql.push(',');
                }
                n += 1;
                // SQLite looks a numbered parameter up by name, once per parameter: thousands
                // of `$n` cost quadratic time there, plain `?` does not.
                match backend {
                    Backend::Sqlite => sql.push('?'),
                    Backend::Postgres => sql.push_str(&format!("${n}")),
                }
            }
            sql.push(')');
        }
        let mut q = query(sql);
        for row in chunk {
            for v in row {
                q = q.bind(v);
            }
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

/// After rows were inserted with their ids, PostgreSQL's identity sequences must start past
/// them (SQLite takes the largest id by itself).
pub async fn reset_sequences(tx: &mut Tx, tables: &[&str]) -> Result<()> {
    if tx.backend() != Backend::Postgres {
        return Ok(());
    }
    for table in tables {
        query(format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1))"
        ))
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// The secondary indexes of some tables, dropped for a bulk load: rows then append to bare
/// tables and [`Indexes::rebuild`] sorts each index once, far faster than keeping millions of
/// random keys in order row by row. Primary keys and unique constraints stay.
#[must_use = "the indexes must be rebuilt"]
pub struct Indexes(Vec<String>);

pub async fn drop_indexes(db: &Db, tables: &[&str]) -> Result<Indexes> {
    let mut definitions = Vec::new();
    for table in tables {
        let found: Vec<(String, String)> = query_dialect(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL",
            "SELECT c.relname::text, pg_get_indexdef(x.indexrelid) FROM pg_index x \
             JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
             WHERE t.relname = $1 AND pg_table_is_visible(t.oid) AND NOT x.indisprimary \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)",
        )
        .bind(*table)
        .fetch_all(db)
        .await?;
        for (name, definition) in found {
            query(format!("DROP INDEX {name}")).execute(db).await?;
            definitions.push(definition);
        }
    }
    Ok(Indexes(definitions))
}

impl Indexes {
    /// Creates the dropped indexes again, then lets the planner learn the tables' sizes.
    pub async fn rebuild(self, db: &Db) -> Result<()> {
        for definition in self.0 {
            query(definition).execute(db).await?;
        }
        let analyze = match db.backend() {
            // A sample of each index is enough for the planner and takes seconds, not minutes.
            Backend::Sqlite => "PRAGMA analysis_limit = 1000; ANALYZE",
            // VACUUM marks the new pages all-visible, so counts can come from the index alone.
            Backend::Postgres => "VACUUM (ANALYZE)",
        };
        for statement in analyze.split("; ") {
            query(statement).execute(db).await?;
        }
        Ok(())
    }
}
