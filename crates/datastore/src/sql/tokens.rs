//! Join tokens (`join_tokens`: token, expiry as Unix seconds).

use sqlx::Row;

use super::{SqlDataStore, timefmt};
use crate::error::{DataStoreError, Result};
use crate::records::JoinToken;

impl SqlDataStore {
    pub(super) async fn create_join_token_impl(&self, token: &JoinToken) -> Result<()> {
        if token.token.is_empty() {
            return Err(DataStoreError::InvalidArgument(
                "join token: token must not be empty".into(),
            ));
        }
        let mut tx = self.begin_write().await?;
        let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM join_tokens WHERE token = ?")
            .bind(&token.token)
            .fetch_one(&mut *tx)
            .await?;
        if taken > 0 {
            return Err(DataStoreError::AlreadyExists(
                "join token already exists".into(),
            ));
        }
        let now = timefmt::format(timefmt::now_unix())?;
        sqlx::query(
            "INSERT INTO join_tokens (created_at, updated_at, token, expiry) VALUES (?, ?, ?, ?)",
        )
        .bind(&now)
        .bind(&now)
        .bind(&token.token)
        .bind(token.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn fetch_join_token_impl(&self, token: &str) -> Result<Option<JoinToken>> {
        let row = sqlx::query("SELECT token, expiry FROM join_tokens WHERE token = ?")
            .bind(token)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(JoinToken {
                token: r.try_get(0)?,
                expires_at: r.try_get::<Option<i64>, _>(1)?.unwrap_or(0),
            })
        })
        .transpose()
    }

    pub(super) async fn delete_join_token_impl(&self, token: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM join_tokens WHERE token = ?")
            .bind(token)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(DataStoreError::NotFound("join token".into()));
        }
        Ok(())
    }

    pub(super) async fn prune_join_tokens_impl(&self, expires_before: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM join_tokens WHERE expiry < ?")
            .bind(expires_before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
