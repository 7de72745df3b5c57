//! Who may call what. SPIRE admits a call to an admin method when the caller is on the
//! admin Unix socket (`allow_local`) or presents an X509-SVID whose ID is an admin
//! (`allow_admin`): listed in `admin_ids`, or the SPIFFE ID of a registration entry with
//! `admin = true`. Everyone else gets `PERMISSION_DENIED` naming the method.
//!
//! Security: the admin check reads the entry table on every call rather than caching, so
//! revoking an admin entry takes effect at once. Anonymous TCP callers never pass.

use spire_datastore::{EntryFilter, Page, Pagination};
use tonic::{Request, Status};

use crate::context::ServerContext;
use crate::endpoints::Caller;

/// Admits local callers and admins; `method` is the full gRPC method name for the denial.
pub async fn require_local_or_admin<T>(
    ctx: &ServerContext,
    request: &Request<T>,
    method: &str,
) -> Result<(), Status> {
    match Caller::of(request) {
        Caller::Local => Ok(()),
        Caller::Svid { spiffe_id } if is_admin(ctx, &spiffe_id).await? => Ok(()),
        Caller::Svid { .. } | Caller::Anonymous => Err(denied(method)),
    }
}

/// Whether `spiffe_id` holds admin rights.
pub async fn is_admin(ctx: &ServerContext, spiffe_id: &str) -> Result<bool, Status> {
    if ctx.settings.admin_ids.iter().any(|id| id == spiffe_id) {
        return Ok(true);
    }
    let filter = EntryFilter {
        by_spiffe_id: Some(spiffe_id.to_owned()),
        ..EntryFilter::default()
    };
    let mut pagination = Pagination::first(spire_datastore::MAX_PAGE_SIZE);
    loop {
        let Page { items, next_token } = ctx
            .datastore
            .list_registration_entries(&filter, Some(&pagination))
            .await
            .map_err(|e| {
                crate::api::status::with_cause(
                    tonic::Code::Internal,
                    "failed to fetch caller entries",
                    e,
                )
            })?;
        if items.iter().any(|entry| entry.admin) {
            return Ok(true);
        }
        match next_token {
            Some(token) if !items.is_empty() => pagination.token = token,
            _ => return Ok(false),
        }
    }
}

fn denied(method: &str) -> Status {
    Status::permission_denied(format!("authorization denied for method {method}"))
}
