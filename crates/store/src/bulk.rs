//! Bulk loading for the synthetic datasets of `tsunagu seed`: many rows a statement, ids given
//! by the caller (so rows can refer to each other before they exist), and, on PostgreSQL, the
//! identity sequences moved past them afterwards.

use crate::{
    db::{query, Backend, Tx, Value},
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
                sql.push_str(&format!("${n}"));
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
