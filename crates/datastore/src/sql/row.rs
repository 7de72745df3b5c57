//! A result row of any backend, read by column position into the few Rust types the
//! store uses. Integer columns are widened to `i64` whatever their SQL width or sign.

use sqlx::Row;
use sqlx::mysql::MySqlRow;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use time::{OffsetDateTime, PrimitiveDateTime};

use super::timefmt;
use crate::error::{DataStoreError, Result};

/// One row, from whichever backend produced it.
#[derive(Debug)]
pub enum DbRow {
    Sqlite(SqliteRow),
    Postgres(PgRow),
    MySql(MySqlRow),
}

macro_rules! get {
    ($self:expr, $i:expr, $t:ty) => {
        match $self {
            DbRow::Sqlite(r) => r.try_get::<Option<$t>, _>($i),
            DbRow::Postgres(r) => r.try_get::<Option<$t>, _>($i),
            DbRow::MySql(r) => r.try_get::<Option<$t>, _>($i),
        }
    };
}

impl DbRow {
    pub fn text(&self, i: usize) -> Result<Option<String>> {
        Ok(get!(self, i, String)?)
    }

    pub fn bytes(&self, i: usize) -> Result<Option<Vec<u8>>> {
        Ok(get!(self, i, Vec<u8>)?)
    }

    pub fn boolean(&self, i: usize) -> Result<Option<bool>> {
        Ok(get!(self, i, bool)?)
    }

    /// An integer column of any width/sign (PostgreSQL `integer` is 32-bit, MySQL ids
    /// are unsigned).
    pub fn int(&self, i: usize) -> Result<Option<i64>> {
        let wide = get!(self, i, i64);
        if let Ok(v) = wide {
            return Ok(v);
        }
        let narrow = match self {
            DbRow::Sqlite(_) => None,
            DbRow::Postgres(r) => r
                .try_get::<Option<i32>, _>(i)
                .ok()
                .map(|v| v.map(i64::from)),
            DbRow::MySql(r) => match r.try_get::<Option<u64>, _>(i) {
                Ok(v) => Some(
                    v.map(|u| {
                        i64::try_from(u).map_err(|_| {
                            DataStoreError::Database(format!(
                                "column {i} holds {u}, beyond 64-bit signed range"
                            ))
                        })
                    })
                    .transpose()?,
                ),
                Err(_) => r
                    .try_get::<Option<i32>, _>(i)
                    .ok()
                    .map(|v| v.map(i64::from)),
            },
        };
        match narrow {
            Some(v) => Ok(v),
            None => Ok(wide?),
        }
    }

    /// An integer column that must hold a value.
    pub fn int_required(&self, i: usize, what: &str) -> Result<i64> {
        self.int(i)?
            .ok_or_else(|| DataStoreError::Database(format!("{what} is NULL")))
    }

    /// A datetime column as Unix seconds; `column` names it for errors.
    pub fn time(&self, i: usize, column: &str) -> Result<Option<i64>> {
        match self {
            DbRow::Sqlite(r) => r
                .try_get::<Option<String>, _>(i)?
                .map(|t| timefmt::parse(&t, column))
                .transpose(),
            DbRow::Postgres(r) => Ok(r
                .try_get::<Option<OffsetDateTime>, _>(i)?
                .map(OffsetDateTime::unix_timestamp)),
            DbRow::MySql(r) => Ok(r
                .try_get::<Option<PrimitiveDateTime>, _>(i)?
                .map(|t| t.assume_utc().unix_timestamp())),
        }
    }
}
