//! A SQL text plus its bind values, built up piece by piece for dynamic filters, written
//! once with `?` placeholders and bound per backend (PostgreSQL gets `$n`).

use sqlx::mysql::{MySql, MySqlArguments};
use sqlx::postgres::{PgArguments, Postgres};
use sqlx::query::Query;
use sqlx::sqlite::{Sqlite, SqliteArguments};
use sqlx::{AssertSqlSafe, query};
use time::{OffsetDateTime, PrimitiveDateTime};

use super::timefmt;
use crate::error::{DataStoreError, Result};

/// One bind value.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    Int(i64),
    Bool(bool),
    Bytes(Vec<u8>),
    /// A datetime column value (UTC).
    Time(OffsetDateTime),
    /// A NULL datetime column value.
    NullTime,
}

impl Arg {
    /// A datetime value from Unix seconds.
    pub fn time(unix: i64) -> Result<Arg> {
        OffsetDateTime::from_unix_timestamp(unix)
            .map(Arg::Time)
            .map_err(|_| {
                DataStoreError::InvalidArgument(format!(
                    "timestamp {unix} is outside the supported range"
                ))
            })
    }

    /// NULL for 0, like SPIRE's `*time.Time` for an absent value; else [`Arg::time`].
    pub fn optional_time(unix: i64) -> Result<Arg> {
        if unix == 0 {
            Ok(Arg::NullTime)
        } else {
            Arg::time(unix)
        }
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_owned())
    }
}

impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(v.clone())
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}

impl From<i32> for Arg {
    fn from(v: i32) -> Self {
        Arg::Int(i64::from(v))
    }
}

impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}

impl From<Vec<u8>> for Arg {
    fn from(v: Vec<u8>) -> Self {
        Arg::Bytes(v)
    }
}

/// SQL with `?` placeholders and the values for them, in order.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            args: Vec::new(),
        }
    }

    /// Adds the value of the next `?` already in the text (for fixed statements).
    pub fn with(mut self, arg: impl Into<Arg>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Appends SQL text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a `?` bound to `arg`.
    pub fn bind(&mut self, arg: Arg) -> &mut Self {
        self.text.push('?');
        self.args.push(arg);
        self
    }

    /// Appends another fragment with its binds.
    pub fn append(&mut self, other: Sql) -> &mut Self {
        self.text.push_str(&other.text);
        self.args.extend(other.args);
        self
    }

    /// The statement for SQLite (datetimes as Go's sqlite driver writes them).
    pub(super) fn sqlite(&self) -> Result<Query<'_, Sqlite, SqliteArguments>> {
        let mut q = query(AssertSqlSafe(self.text.clone()));
        for arg in &self.args {
            q = match arg {
                Arg::Text(s) => q.bind(s.clone()),
                Arg::Int(i) => q.bind(*i),
                Arg::Bool(b) => q.bind(*b),
                Arg::Bytes(b) => q.bind(b.clone()),
                Arg::Time(t) => q.bind(timefmt::format(t.unix_timestamp())?),
                Arg::NullTime => q.bind(None::<String>),
            };
        }
        Ok(q)
    }

    /// The statement for PostgreSQL, with `?` rewritten to `$1`, `$2`, ….
    pub(super) fn postgres(&self) -> Query<'_, Postgres, PgArguments> {
        let mut q = query(AssertSqlSafe(numbered_placeholders(&self.text)));
        for arg in &self.args {
            q = match arg {
                Arg::Text(s) => q.bind(s.clone()),
                Arg::Int(i) => q.bind(*i),
                Arg::Bool(b) => q.bind(*b),
                Arg::Bytes(b) => q.bind(b.clone()),
                Arg::Time(t) => q.bind(*t),
                Arg::NullTime => q.bind(None::<OffsetDateTime>),
            };
        }
        q
    }

    /// The statement for MySQL/MariaDB (DATETIME columns hold UTC wall-clock time).
    pub(super) fn mysql(&self) -> Query<'_, MySql, MySqlArguments> {
        let mut q = query(AssertSqlSafe(self.text.clone()));
        for arg in &self.args {
            q = match arg {
                Arg::Text(s) => q.bind(s.clone()),
                Arg::Int(i) => q.bind(*i),
                Arg::Bool(b) => q.bind(*b),
                Arg::Bytes(b) => q.bind(b.clone()),
                Arg::Time(t) => q.bind(PrimitiveDateTime::new(t.date(), t.time())),
                Arg::NullTime => q.bind(None::<PrimitiveDateTime>),
            };
        }
        q
    }
}

/// `?` → `$n`. Statements in this crate never hold `?` inside string literals.
fn numbered_placeholders(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut n = 0;
    for c in text.chars() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_placeholders_are_numbered_in_order() {
        assert_eq!(
            numbered_placeholders("SELECT a FROM t WHERE b = ? AND c IN (?, ?)"),
            "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)"
        );
    }

    #[test]
    fn zero_optional_time_is_null() {
        assert!(matches!(Arg::optional_time(0), Ok(Arg::NullTime)));
        assert!(matches!(Arg::optional_time(5), Ok(Arg::Time(t)) if t.unix_timestamp() == 5));
    }

    #[test]
    fn out_of_range_time_is_invalid_argument() {
        let err = Arg::time(i64::MAX).expect_err("out of range");
        assert!(
            err.to_string().contains("outside the supported range"),
            "{err}"
        );
    }
}
