//! Keyset paging on the `id` column: the opaque token is the last row ID of a page.

use super::args::{Arg, Sql};
use crate::error::{DataStoreError, Result};
use crate::query::{MAX_PAGE_SIZE, Pagination};

/// The row-ID bound and row limit a page request turns into.
#[derive(Debug, Clone, Copy)]
pub struct PageWindow {
    pub after_id: i64,
    pub limit: Option<u32>,
}

impl PageWindow {
    /// Validates the request: page size ≥ 1 (clamped to the cap), token a row ID.
    pub fn from_request(pagination: Option<&Pagination>) -> Result<Self> {
        let Some(p) = pagination else {
            return Ok(Self {
                after_id: 0,
                limit: None,
            });
        };
        if p.page_size == 0 {
            return Err(DataStoreError::InvalidArgument(
                "pagination.page_size must be at least 1".into(),
            ));
        }
        let after_id = if p.token.is_empty() {
            0
        } else {
            p.token
                .parse::<i64>()
                .ok()
                .filter(|id| *id >= 0)
                .ok_or_else(|| {
                    DataStoreError::InvalidArgument(format!(
                        "pagination.token {:?} is not a token this store issued",
                        p.token
                    ))
                })?
        };
        Ok(Self {
            after_id,
            limit: Some(p.page_size.min(MAX_PAGE_SIZE)),
        })
    }

    /// Appends ` AND <id_column> > ?` (callers open the WHERE clause).
    pub fn push_bound(&self, sql: &mut Sql, id_column: &str) {
        sql.push(&format!(" AND {id_column} > "))
            .bind(Arg::Int(self.after_id));
    }

    /// Appends ` ORDER BY <id_column> LIMIT n`.
    pub fn push_order_limit(&self, sql: &mut Sql, id_column: &str) {
        sql.push(&format!(" ORDER BY {id_column}"));
        if let Some(limit) = self.limit {
            sql.push(" LIMIT ").bind(Arg::Int(i64::from(limit)));
        }
    }

    /// The token for the page after one whose last row ID is `last_id` and which held
    /// `len` rows: only a full page can have a successor.
    pub fn next_token(&self, len: usize, last_id: Option<i64>) -> Option<String> {
        let limit = usize::try_from(self.limit?).ok()?;
        if len < limit {
            return None;
        }
        last_id.map(|id| id.to_string())
    }
}
