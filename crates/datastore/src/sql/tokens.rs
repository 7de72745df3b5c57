//! Join tokens (`join_tokens`: token, expiry as Unix seconds).

use super::args::{Arg, Sql};
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
        let mut link = tx.link();
        let taken = link
            .fetch_i64(
                &Sql::new("SELECT COUNT(*) FROM join_tokens WHERE token = ?").with(&token.token),
            )
            .await?;
        if taken > 0 {
            return Err(DataStoreError::AlreadyExists(
                "join token already exists".into(),
            ));
        }
        let now = Arg::time(timefmt::now_unix())?;
        link.execute(
            &Sql::new(
                "INSERT INTO join_tokens (created_at, updated_at, token, expiry) VALUES (?, ?, ?, ?)",
            )
            .with(now.clone())
            .with(now)
            .with(&token.token)
            .with(token.expires_at),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn fetch_join_token_impl(&self, token: &str) -> Result<Option<JoinToken>> {
        let mut conn = self.pool.acquire().await?;
        let row = conn
            .link()
            .fetch_optional(
                &Sql::new("SELECT token, expiry FROM join_tokens WHERE token = ?").with(token),
            )
            .await?;
        row.map(|r| {
            Ok(JoinToken {
                token: r.text(0)?.unwrap_or_default(),
                expires_at: r.int(1)?.unwrap_or(0),
            })
        })
        .transpose()
    }

    pub(super) async fn delete_join_token_impl(&self, token: &str) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        let done = conn
            .link()
            .execute(&Sql::new("DELETE FROM join_tokens WHERE token = ?").with(token))
            .await?;
        if done == 0 {
            return Err(DataStoreError::NotFound("join token".into()));
        }
        Ok(())
    }

    pub(super) async fn prune_join_tokens_impl(&self, expires_before: i64) -> Result<u64> {
        let mut conn = self.pool.acquire().await?;
        conn.link()
            .execute(&Sql::new("DELETE FROM join_tokens WHERE expiry < ?").with(expires_before))
            .await
    }
}
