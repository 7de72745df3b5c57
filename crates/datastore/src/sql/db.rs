//! The connection layer: one pool/connection/transaction type per backend behind small
//! enums, so the query logic is written once against [`Link`].

use sqlx::pool::PoolConnection;
use sqlx::{
    MySql, MySqlConnection, MySqlPool, PgConnection, PgPool, Postgres, Sqlite, SqliteConnection,
    SqlitePool, Transaction,
};

use super::args::Sql;
use super::row::DbRow;
use crate::error::{DataStoreError, Result};

/// A connection pool of one backend.
#[derive(Debug, Clone)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
    MySql(MySqlPool),
}

/// A connection checked out of a [`Pool`].
pub enum Conn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
    MySql(PoolConnection<MySql>),
}

/// An open transaction; dropped without [`Tx::commit`] it rolls back.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
    MySql(Transaction<'static, MySql>),
}

/// A borrowed connection (pooled or inside a transaction) statements run on.
pub enum Link<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
    MySql(&'a mut MySqlConnection),
}

impl Pool {
    pub async fn acquire(&self) -> Result<Conn> {
        Ok(match self {
            Pool::Sqlite(p) => Conn::Sqlite(p.acquire().await?),
            Pool::Postgres(p) => Conn::Postgres(p.acquire().await?),
            Pool::MySql(p) => Conn::MySql(p.acquire().await?),
        })
    }

    /// Opens a write transaction. SQLite takes the write lock up front so two writers
    /// never deadlock upgrading from a read lock; the servers lock rows as they go
    /// (`FOR UPDATE` on read-modify-write paths).
    pub async fn begin_write(&self) -> Result<Tx> {
        Ok(match self {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
            Pool::MySql(p) => Tx::MySql(p.begin().await?),
        })
    }

    pub async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
            Pool::MySql(p) => p.close().await,
        }
    }
}

impl Conn {
    pub fn link(&mut self) -> Link<'_> {
        match self {
            Conn::Sqlite(c) => Link::Sqlite(c),
            Conn::Postgres(c) => Link::Postgres(c),
            Conn::MySql(c) => Link::MySql(c),
        }
    }
}

impl Tx {
    pub fn link(&mut self) -> Link<'_> {
        match self {
            Tx::Sqlite(t) => Link::Sqlite(t),
            Tx::Postgres(t) => Link::Postgres(t),
            Tx::MySql(t) => Link::MySql(t),
        }
    }

    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
            Tx::MySql(t) => t.commit().await?,
        }
        Ok(())
    }
}

impl Link<'_> {
    pub async fn fetch_all(&mut self, sql: &Sql) -> Result<Vec<DbRow>> {
        Ok(match self {
            Link::Sqlite(c) => sql
                .sqlite()?
                .fetch_all(&mut **c)
                .await?
                .into_iter()
                .map(DbRow::Sqlite)
                .collect(),
            Link::Postgres(c) => sql
                .postgres()
                .fetch_all(&mut **c)
                .await?
                .into_iter()
                .map(DbRow::Postgres)
                .collect(),
            Link::MySql(c) => sql
                .mysql()
                .fetch_all(&mut **c)
                .await?
                .into_iter()
                .map(DbRow::MySql)
                .collect(),
        })
    }

    pub async fn fetch_optional(&mut self, sql: &Sql) -> Result<Option<DbRow>> {
        Ok(match self {
            Link::Sqlite(c) => sql
                .sqlite()?
                .fetch_optional(&mut **c)
                .await?
                .map(DbRow::Sqlite),
            Link::Postgres(c) => sql
                .postgres()
                .fetch_optional(&mut **c)
                .await?
                .map(DbRow::Postgres),
            Link::MySql(c) => sql
                .mysql()
                .fetch_optional(&mut **c)
                .await?
                .map(DbRow::MySql),
        })
    }

    /// The integer in the first column of the single row `sql` yields (`COUNT(*)`).
    pub async fn fetch_i64(&mut self, sql: &Sql) -> Result<i64> {
        let row = self.fetch_optional(sql).await?.ok_or_else(|| {
            DataStoreError::Database(format!("query returned no row: {}", sql.text))
        })?;
        Ok(row.int(0)?.unwrap_or(0))
    }

    /// Runs a statement; returns the number of rows it affected.
    pub async fn execute(&mut self, sql: &Sql) -> Result<u64> {
        Ok(match self {
            Link::Sqlite(c) => sql.sqlite()?.execute(&mut **c).await?.rows_affected(),
            Link::Postgres(c) => sql.postgres().execute(&mut **c).await?.rows_affected(),
            Link::MySql(c) => sql.mysql().execute(&mut **c).await?.rows_affected(),
        })
    }

    /// Runs an `INSERT` into a table with an auto-increment `id`; returns the new id.
    pub async fn insert_returning_id(&mut self, sql: &Sql) -> Result<i64> {
        match self {
            Link::MySql(c) => {
                let id = sql.mysql().execute(&mut **c).await?.last_insert_id();
                i64::try_from(id).map_err(|_| {
                    DataStoreError::Database(format!("inserted row id {id} overflows i64"))
                })
            }
            Link::Sqlite(_) | Link::Postgres(_) => {
                let mut returning = sql.clone();
                returning.push(" RETURNING id");
                let row = self.fetch_optional(&returning).await?.ok_or_else(|| {
                    DataStoreError::Database("INSERT … RETURNING id returned no row".into())
                })?;
                row.int_required(0, "inserted row id")
            }
        }
    }
}
