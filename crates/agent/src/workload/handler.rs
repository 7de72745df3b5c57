//! The `SpiffeWorkloadAPI` service: each call checks the security header, attests the caller
//! and answers from the [`IdentityProvider`] with SPIRE's status codes and messages.
//!
//! Streams run one small task each that forwards the caller's subscription; the channel to
//! tonic holds one message, so a client that never reads costs one message of memory, and a
//! closed client ends the task (dropping the subscription).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use spire_plugin::WorkloadAttestor;
use spire_proto::workload::spiffe_workload_api_server::SpiffeWorkloadApi;
use spire_proto::workload::{
    JwtBundlesRequest, JwtBundlesResponse, Jwtsvid, JwtsvidRequest, JwtsvidResponse,
    ValidateJwtsvidRequest, ValidateJwtsvidResponse, WitBundlesRequest, WitBundlesResponse,
    WitsvidRequest, WitsvidResponse, X509BundlesRequest, X509BundlesResponse, X509svidRequest,
    X509svidResponse,
};
use spire_spiffe::{Bundle, SpiffeId};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::WorkloadApiOptions;
use super::caller::{Attested, authenticate, verify_caller};
use super::convert;
use super::peer::{CallGuard, CallerBinding};
use crate::identity::{IdentityError, IdentityProvider, WorkloadUpdate};

/// A stream of Workload API responses.
pub type ResponseStream<T> = ReceiverStream<Result<T, Status>>;

const NO_IDENTITY: &str = "no identity issued";

/// Most audiences a FetchJWTSVID request may name, and the most bytes of one audience: each
/// distinct audience set is a cached token, so callers must not choose unbounded ones.
pub const MAX_JWT_AUDIENCES: usize = 32;
pub const MAX_JWT_AUDIENCE_BYTES: usize = 1024;

/// The Workload API service over an [`IdentityProvider`] and the workload attestors.
#[derive(Debug, Clone)]
pub struct WorkloadApiHandler {
    provider: Arc<dyn IdentityProvider>,
    attestors: Arc<[Arc<dyn WorkloadAttestor>]>,
    options: Arc<WorkloadApiOptions>,
    /// Permits for attestation on the blocking pool.
    attestation_pool: Arc<Semaphore>,
    /// Turns true when the server shuts down: open streams end so connections can close.
    stopping: watch::Receiver<bool>,
}

impl WorkloadApiHandler {
    /// `stopping` turning true ends every open stream (server shutdown).
    pub fn new(
        provider: Arc<dyn IdentityProvider>,
        attestors: Vec<Arc<dyn WorkloadAttestor>>,
        options: WorkloadApiOptions,
        stopping: watch::Receiver<bool>,
    ) -> Self {
        Self {
            provider,
            attestors: attestors.into(),
            attestation_pool: Arc::new(Semaphore::new(options.attestation_concurrency.max(1))),
            options: Arc::new(options),
            stopping,
        }
    }

    async fn authenticate<T>(&self, request: &Request<T>) -> Result<Attested, Status> {
        authenticate(request, &self.attestors, &self.attestation_pool).await
    }

    /// Attests the caller and subscribes it; when `require_identity`, waits (bounded) for its
    /// first identity while one may still come, and refuses it with PermissionDenied if none
    /// does.
    async fn subscribe<T>(
        &self,
        request: &Request<T>,
        require_identity: bool,
    ) -> Result<Subscription, Status> {
        let Attested { selectors, binding } = self.authenticate(request).await?;
        let call = binding.begin_call();
        let mut updates = self.provider.subscribe(selectors);
        if require_identity {
            wait_for_identity(&mut updates, self.options.first_identity_wait).await?;
        }
        Ok(Subscription {
            updates,
            binding,
            call,
        })
    }

    fn bundle_stream<T, F>(&self, subscription: Subscription, render: F) -> ResponseStream<T>
    where
        T: PartialEq + Clone + Send + 'static,
        F: Fn(&WorkloadUpdate) -> Result<T, Status> + Send + 'static,
    {
        let require_identity = !self.options.allow_unauthenticated_verifiers;
        let mut last_sent: Option<T> = None;
        forward(subscription, self.stopping.clone(), move |update| {
            if require_identity && update.identities.is_empty() {
                return Some(Err(Status::permission_denied(NO_IDENTITY)));
            }
            match render(update) {
                Ok(response) if last_sent.as_ref() == Some(&response) => None,
                Ok(response) => {
                    last_sent = Some(response.clone());
                    Some(Ok(response))
                }
                Err(status) => Some(Err(status)),
            }
        })
    }
}

#[tonic::async_trait]
impl SpiffeWorkloadApi for WorkloadApiHandler {
    type FetchX509SVIDStream = ResponseStream<X509svidResponse>;
    type FetchX509BundlesStream = ResponseStream<X509BundlesResponse>;
    type FetchJWTBundlesStream = ResponseStream<JwtBundlesResponse>;
    type FetchWITSVIDStream = ResponseStream<WitsvidResponse>;
    type FetchWITBundlesStream = ResponseStream<WitBundlesResponse>;

    async fn fetch_x509svid(
        &self,
        request: Request<X509svidRequest>,
    ) -> Result<Response<Self::FetchX509SVIDStream>, Status> {
        let subscription = self.subscribe(&request, true).await?;
        Ok(Response::new(forward(
            subscription,
            self.stopping.clone(),
            |update| {
                if update.identities.is_empty() {
                    return Some(Err(Status::permission_denied(NO_IDENTITY)));
                }
                Some(Ok(convert::x509_svid_response(update)))
            },
        )))
    }

    async fn fetch_x509_bundles(
        &self,
        request: Request<X509BundlesRequest>,
    ) -> Result<Response<Self::FetchX509BundlesStream>, Status> {
        let require_identity = !self.options.allow_unauthenticated_verifiers;
        let subscription = self.subscribe(&request, require_identity).await?;
        Ok(Response::new(self.bundle_stream(subscription, |update| {
            Ok(convert::x509_bundles_response(update))
        })))
    }

    async fn fetch_jwtsvid(
        &self,
        request: Request<JwtsvidRequest>,
    ) -> Result<Response<JwtsvidResponse>, Status> {
        check_audience(&request.get_ref().audience)?;
        let Attested { selectors, binding } = self.authenticate(&request).await?;
        let _call = binding.begin_call();
        let req = request.get_ref();
        let spiffe_id = if req.spiffe_id.is_empty() {
            None
        } else {
            let id: SpiffeId = req.spiffe_id.parse().map_err(|e| {
                Status::invalid_argument(format!("invalid requested SPIFFE ID: {e}"))
            })?;
            Some(id.to_string())
        };
        let svids = self
            .provider
            .fetch_jwt_svids(&selectors, &req.audience, spiffe_id.as_deref())
            .await
            .map_err(identity_status)?;
        if svids.is_empty() {
            return Err(Status::permission_denied(NO_IDENTITY));
        }
        // Minting may have taken a while: the tokens go only to the process that connected.
        verify_caller(&binding)?;
        Ok(Response::new(JwtsvidResponse {
            svids: svids
                .into_iter()
                .map(|svid| Jwtsvid {
                    spiffe_id: svid.spiffe_id,
                    svid: svid.token,
                    hint: svid.hint,
                })
                .collect(),
        }))
    }

    async fn fetch_jwt_bundles(
        &self,
        request: Request<JwtBundlesRequest>,
    ) -> Result<Response<Self::FetchJWTBundlesStream>, Status> {
        let require_identity = !self.options.allow_unauthenticated_verifiers;
        let subscription = self.subscribe(&request, require_identity).await?;
        Ok(Response::new(self.bundle_stream(
            subscription,
            convert::jwt_bundles_response,
        )))
    }

    async fn validate_jwtsvid(
        &self,
        request: Request<ValidateJwtsvidRequest>,
    ) -> Result<Response<ValidateJwtsvidResponse>, Status> {
        let req = request.get_ref();
        if req.audience.is_empty() {
            return Err(Status::invalid_argument("audience must be specified"));
        }
        if req.svid.is_empty() {
            return Err(Status::invalid_argument("svid must be specified"));
        }
        // As SPIRE: the caller is attested but needs no identity of its own to validate
        // (a token minted by another agent of the trust domain validates here).
        let subscription = self.subscribe(&request, false).await?;
        let update = Arc::clone(&subscription.updates.borrow());
        let known = self.provider.bundles().borrow().clone();
        let bundle_for = |trust_domain: &str| -> Option<Bundle> {
            convert::visible_bundles(&update)
                .find(|b| b.trust_domain == trust_domain)
                .or_else(|| {
                    update
                        .identities
                        .is_empty()
                        .then(|| known.get(trust_domain))?
                })
                .cloned()
        };
        let audience = [req.audience.clone()];
        let validated =
            spire_ca::jwt::validate_jwt_svid(&req.svid, &bundle_for, &audience, unix_now())
                .map_err(|e| Status::invalid_argument(e.to_string()))?;

        let mut claims = validated.claims;
        let own_trust_domain = update.bundle.as_ref().map(|b| b.trust_domain.as_str());
        if own_trust_domain != Some(validated.spiffe_id.trust_domain().as_str()) {
            convert::keep_allowed_foreign_claims(
                &mut claims,
                &self.options.allowed_foreign_jwt_claims,
            );
        }
        Ok(Response::new(ValidateJwtsvidResponse {
            spiffe_id: validated.spiffe_id.to_string(),
            claims: Some(convert::claims_struct(claims)),
        }))
    }

    async fn fetch_witsvid(
        &self,
        _request: Request<WitsvidRequest>,
    ) -> Result<Response<Self::FetchWITSVIDStream>, Status> {
        Err(Status::unimplemented("method FetchWITSVID not implemented"))
    }

    async fn fetch_wit_bundles(
        &self,
        _request: Request<WitBundlesRequest>,
    ) -> Result<Response<Self::FetchWITBundlesStream>, Status> {
        Err(Status::unimplemented(
            "method FetchWITBundles not implemented",
        ))
    }
}

/// A subscribed caller: its updates, its binding (re-checked before each send) and the call
/// marker that keeps its connection from counting as idle.
struct Subscription {
    updates: watch::Receiver<Arc<WorkloadUpdate>>,
    binding: Arc<CallerBinding>,
    call: CallGuard,
}

/// Waits, at most `wait`, while `updates` has no identity but one may still come (entries
/// match and their SVIDs are being minted, or the agent has not synced yet). A caller that
/// matches no entry is refused at once, as SPIRE does.
async fn wait_for_identity(
    updates: &mut watch::Receiver<Arc<WorkloadUpdate>>,
    wait: Duration,
) -> Result<(), Status> {
    let settled = |update: &Arc<WorkloadUpdate>| !update.identities.is_empty() || !update.pending;
    match tokio::time::timeout(wait, updates.wait_for(settled)).await {
        Ok(Ok(update)) if !update.identities.is_empty() => Ok(()),
        Ok(Ok(_)) | Err(_) => Err(Status::permission_denied(NO_IDENTITY)),
        Ok(Err(_)) => Err(Status::unavailable("the identity cache stopped")),
    }
}

/// Refuses audiences that are missing, too many or too long.
fn check_audience(audience: &[String]) -> Result<(), Status> {
    if audience.is_empty() {
        return Err(Status::invalid_argument("audience must be specified"));
    }
    if audience.len() > MAX_JWT_AUDIENCES {
        return Err(Status::invalid_argument(format!(
            "too many audiences: {} (at most {MAX_JWT_AUDIENCES})",
            audience.len()
        )));
    }
    if let Some(long) = audience.iter().find(|a| a.len() > MAX_JWT_AUDIENCE_BYTES) {
        return Err(Status::invalid_argument(format!(
            "audience of {} bytes is too long (at most {MAX_JWT_AUDIENCE_BYTES})",
            long.len()
        )));
    }
    Ok(())
}

/// Sends `render(update)` for the current update and every change, until the client goes
/// away, `render` yields an error (sent, then the stream ends), the provider stops or the
/// server is `stopping` (then the stream ends with Unavailable, so clients reconnect: an OK
/// end is final to some, java-spiffe among them). Before each response the caller is checked
/// to still be the process that connected. `render` returning `None` skips an update.
fn forward<T, F>(
    subscription: Subscription,
    mut stopping: watch::Receiver<bool>,
    mut render: F,
) -> ResponseStream<T>
where
    T: Send + 'static,
    F: FnMut(&WorkloadUpdate) -> Option<Result<T, Status>> + Send + 'static,
{
    let Subscription {
        mut updates,
        binding,
        call,
    } = subscription;
    let (tx, rx) = mpsc::channel(1);
    tokio::spawn(async move {
        let _call = call;
        loop {
            let update = Arc::clone(&updates.borrow_and_update());
            if let Some(mut item) = render(&update) {
                if item.is_ok()
                    && let Err(status) = verify_caller(&binding)
                {
                    item = Err(status);
                }
                let is_error = item.is_err();
                if tx.send(item).await.is_err() || is_error {
                    return;
                }
            }
            tokio::select! {
                () = tx.closed() => return,
                () = server_stopping(&mut stopping) => {
                    let _ = tx.send(Err(Status::unavailable("the agent is shutting down"))).await;
                    return;
                }
                changed = updates.changed() => {
                    if changed.is_err() {
                        let _ = tx.send(Err(Status::unavailable("the identity cache stopped"))).await;
                        return;
                    }
                }
            }
        }
    });
    ReceiverStream::new(rx)
}

/// Resolves once the server is stopping (or gone).
async fn server_stopping(stopping: &mut watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}

fn identity_status(error: IdentityError) -> Status {
    match error {
        IdentityError::NoIdentity => Status::permission_denied(NO_IDENTITY),
        IdentityError::Unavailable(message) => Status::unavailable(message),
        IdentityError::InvalidArgument(message) => Status::invalid_argument(message),
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}
