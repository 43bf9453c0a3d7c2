//! The few SQL helpers the reports share: one text for both engines (`?` placeholders,
//! numbered for PostgreSQL), the month and year of a timestamp, and rows of grouped counts.
//! Values are always bound, never written into the text.

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};

/// The statement for `sql` with `?` placeholders, on `db`'s engine.
pub(crate) fn statement(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    let backend = db.get_database_backend();
    let text = match backend {
        DatabaseBackend::Postgres => {
            let mut out = String::with_capacity(sql.len() + 8);
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    out.push('$');
                    out.push_str(&n.to_string());
                } else {
                    out.push(c);
                }
            }
            out
        }
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, text, values)
}

/// The SQL of the `YYYY-MM` month (UTC) of timestamp column `column`.
pub fn month(db: &impl ConnectionTrait, column: &str) -> String {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM')"),
        // Stored as RFC 3339 text in UTC.
        _ => format!("substr({column}, 1, 7)"),
    }
}

/// The SQL of the `YYYY` year (UTC) of timestamp column `column`.
pub fn year(db: &impl ConnectionTrait, column: &str) -> String {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY')"),
        _ => format!("substr({column}, 1, 4)"),
    }
}

/// The SQL of the day number (days since 2000-01-01, UTC) of timestamp column `column`, a
/// `BIGINT`.
pub fn day(db: &impl ConnectionTrait, column: &str) -> String {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            format!("CAST((({column}) AT TIME ZONE 'UTC')::date - DATE '2000-01-01' AS BIGINT)")
        }
        // julianday('2000-01-01') is 2451544.5.
        _ => format!("CAST(julianday(substr({column}, 1, 10)) - 2451544.5 AS INTEGER)"),
    }
}

/// Runs `sql` and answers its rows.
pub async fn rows(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
    what: &str,
) -> anyhow::Result<Vec<sea_orm::QueryResult>> {
    db.query_all_raw(statement(db, sql, values))
        .await
        .with_context(|| format!("reading {what}"))
}

/// Runs `sql`, which changes rows.
pub async fn execute(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
    what: &str,
) -> anyhow::Result<()> {
    db.execute_raw(statement(db, sql, values))
        .await
        .with_context(|| what.to_owned())?;
    Ok(())
}

/// One grouped count: up to two keys (`None` for SQL NULL) and the count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grouped {
    pub key: Option<String>,
    pub key2: Option<String>,
    pub count: u64,
}

/// Runs `sql`, whose columns are `keys` text keys (0, 1 or 2) then a count.
pub async fn grouped(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
    keys: usize,
    what: &str,
) -> anyhow::Result<Vec<Grouped>> {
    let rows = db
        .query_all_raw(statement(db, sql, values))
        .await
        .with_context(|| format!("counting {what}"))?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let text = |i: usize| -> anyhow::Result<Option<String>> {
            row.try_get_by_index::<Option<String>>(i)
                .with_context(|| format!("reading {what}"))
        };
        let key = if keys > 0 { text(0)? } else { None };
        let key2 = if keys > 1 { text(1)? } else { None };
        let count: i64 = row
            .try_get_by_index::<Option<i64>>(keys)
            .with_context(|| format!("reading {what}"))?
            .unwrap_or(0);
        out.push(Grouped {
            key,
            key2,
            count: u64::try_from(count).unwrap_or(0),
        });
    }
    Ok(out)
}

/// Runs `sql`, which answers one count.
pub async fn count(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
    what: &str,
) -> anyhow::Result<u64> {
    Ok(grouped(db, sql, values, 0, what)
        .await?
        .first()
        .map_or(0, |g| g.count))
}

/// Runs `sql`, whose columns are an integer key, an integer value and a count.
pub async fn integer_pairs(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
    what: &str,
) -> anyhow::Result<Vec<(i64, i64, u64)>> {
    let rows = db
        .query_all_raw(statement(db, sql, values))
        .await
        .with_context(|| format!("counting {what}"))?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let get = |i: usize| -> anyhow::Result<i64> {
            Ok(row
                .try_get_by_index::<Option<i64>>(i)
                .with_context(|| format!("reading {what}"))?
                .unwrap_or(0))
        };
        out.push((get(0)?, get(1)?, u64::try_from(get(2)?).unwrap_or(0)));
    }
    Ok(out)
}
