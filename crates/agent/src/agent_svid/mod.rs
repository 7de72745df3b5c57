//! The agent's own SVID: checked every 5 s and renewed at half its lifetime (±10 % jitter,
//! drawn once per SVID). Agents attested by a re-attestable node attestor (x509pop) renew
//! by attesting again; the others call `RenewAgent` with their current SVID. Every renewal
//! uses a new key in the other KeyManager slot, is stored, and is presented on the next
//! connection.
//!
//! A refusal by the server is read as SPIRE's agent reads it ([`crate::client::refusal`]): a
//! banned agent is handed to the caller, which stops; an expired, superseded or evicted one
//! attests again when its node attestor allows it ([`AgentSvidRotator::reattest`]), and is
//! handed to the caller to stop when it does not (a join token is single use).

mod schedule;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use spire_proto::spire::api::server::agent::v1::agent_client::AgentClient;
use spire_proto::spire::api::server::agent::v1::{AgentX509svidParams, RenewAgentRequest};

use crate::attest::{AgentIdentity, AttestError, NodeAttestor, csr::agent_csr};
use crate::cache::RenewalSchedule;
use crate::client::{Refusal, refusal_of};

/// How often the SVID's age is checked.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(5);

/// Why a rotation failed.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    /// The server refused the agent in a way SPIRE's agent acts on (banned, or must
    /// re-attest).
    #[error("server refused the agent: {0}")]
    Denied(Refusal),
    /// The server asked for a new attestation and it could not be done.
    #[error("server asked the agent to re-attest ({refusal}) and re-attestation failed: {source}")]
    ReattestFailed {
        refusal: Refusal,
        #[source]
        source: Box<RotateError>,
    },
    /// The node attestor's evidence cannot be presented twice (a join token is single use).
    #[error("the agent's node attestor cannot attest again (its evidence is single use)")]
    NotReattestable,
    #[error("agent SVID rotation failed: {0}")]
    Failed(#[from] AttestError),
}

/// Holds the agent's current identity and renews it.
#[derive(Debug)]
pub struct AgentSvidRotator {
    node: NodeAttestor,
    state: Mutex<(AgentIdentity, RenewalSchedule)>,
    /// One renewal or re-attestation at a time (the rotation loop and a refused sync may
    /// both ask for one).
    turn: tokio::sync::Mutex<()>,
}

impl AgentSvidRotator {
    /// Starts from `identity` and presents it on the server connection.
    pub fn new(node: NodeAttestor, identity: AgentIdentity) -> Result<Self, AttestError> {
        let schedule = schedule::for_leaf(&identity.svid, &mut rand::rng())?;
        node.conn
            .resolver()
            .set(identity.svid.clone(), Arc::clone(&identity.key));
        Ok(Self {
            node,
            state: Mutex::new((identity, schedule)),
            turn: tokio::sync::Mutex::new(()),
        })
    }

    /// The current agent identity.
    pub fn identity(&self) -> AgentIdentity {
        self.lock().0.clone()
    }

    /// Whether the SVID is past its (jittered) half life.
    pub fn is_due(&self) -> bool {
        self.lock().1.is_due(self.node.clock.now())
    }

    /// Checks every [`CHECK_INTERVAL`] until `shutdown`; returns only when the server refused
    /// the agent for good (banned, or re-attestation asked for and impossible) or `shutdown`
    /// resolved. Other failures are logged and retried on the next check.
    pub async fn run(
        &self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), RotateError> {
        tokio::pin!(shutdown);
        let mut ticker = tokio::time::interval(CHECK_INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = &mut shutdown => return Ok(()),
                _ = ticker.tick() => {}
            }
            if !self.is_due() {
                continue;
            }
            match self.rotate().await {
                Ok(()) => {}
                Err(RotateError::Denied(refusal @ Refusal::MustReattest(_))) => {
                    tracing::warn!(reason = %refusal, "Agent needs to re-attest; will attempt to re-attest");
                    self.reattest_after(refusal).await?;
                }
                Err(error @ RotateError::Denied(_)) => return Err(error),
                Err(error) => tracing::error!(%error, "Could not rotate agent SVID"),
            }
        }
    }

    /// Renews the SVID now.
    pub async fn rotate(&self) -> Result<(), RotateError> {
        let _turn = self.turn.lock().await;
        let current = self.identity();
        let key = self.node.new_key(Some(current.key.as_ref()))?;
        let renewed = if current.reattestable {
            self.attest_again(key, current).await?
        } else {
            self.renew(key, current).await?
        };
        self.adopt(renewed)
    }

    /// Attests again because the server asked for it (the agent's SVID expired, was
    /// superseded, or the agent was evicted), as SPIRE's agent does; refused with
    /// [`RotateError::NotReattestable`] when the node attestor cannot (join token).
    pub async fn reattest(&self) -> Result<(), RotateError> {
        let _turn = self.turn.lock().await;
        let current = self.identity();
        if !current.reattestable {
            return Err(RotateError::NotReattestable);
        }
        let key = self.node.new_key(Some(current.key.as_ref()))?;
        let renewed = self.attest_again(key, current).await?;
        self.adopt(renewed)?;
        tracing::info!("Agent re-attested after the server refused its SVID");
        Ok(())
    }

    /// [`AgentSvidRotator::reattest`], its failure wrapped with the refusal that asked for it.
    pub async fn reattest_after(&self, refusal: Refusal) -> Result<(), RotateError> {
        self.reattest()
            .await
            .map_err(|source| RotateError::ReattestFailed {
                refusal,
                source: Box::new(source),
            })
    }

    async fn attest_again(
        &self,
        key: Arc<dyn spire_plugin::Key>,
        current: AgentIdentity,
    ) -> Result<AgentIdentity, RotateError> {
        let bundle = self.node.storage.data().bundle;
        let bundle = (!bundle.is_empty())
            .then_some(bundle)
            .or(Some(current.bundle));
        self.node
            .attest(key, bundle)
            .await
            .map_err(denied_or_failed)
    }

    /// Makes `renewed` the identity presented from now on.
    fn adopt(&self, renewed: AgentIdentity) -> Result<(), RotateError> {
        let schedule = schedule::for_leaf(&renewed.svid, &mut rand::rng())?;
        self.node
            .conn
            .resolver()
            .set(renewed.svid.clone(), Arc::clone(&renewed.key));
        // Connections made from now on present the new SVID.
        self.node.conn.reset();
        tracing::info!(spiffe_id = %renewed.spiffe_id(), "Agent SVID rotated");
        *self.lock() = (renewed, schedule);
        Ok(())
    }

    async fn renew(
        &self,
        key: Arc<dyn spire_plugin::Key>,
        current: AgentIdentity,
    ) -> Result<AgentIdentity, RotateError> {
        let csr = agent_csr(key.as_ref()).map_err(AttestError::from)?;
        let response = AgentClient::new(self.node.conn.channel())
            .renew_agent(RenewAgentRequest {
                params: Some(AgentX509svidParams { csr }),
            })
            .await
            .map_err(|status| {
                denied_or_failed(AttestError::Rpc {
                    what: "failed to renew agent",
                    status,
                })
            })?
            .into_inner();
        let chain = response
            .svid
            .map(|s| s.cert_chain)
            .filter(|c| !c.is_empty())
            .ok_or(AttestError::MissingSvid)?;
        self.node
            .storage
            .store_svid(chain.clone(), false)
            .map_err(AttestError::from)?;
        Ok(AgentIdentity {
            svid: chain,
            key,
            reattestable: false,
            bundle: current.bundle,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (AgentIdentity, RenewalSchedule)> {
        // Replaced whole under the lock; a panic elsewhere cannot leave it torn.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn denied_or_failed(error: AttestError) -> RotateError {
    match &error {
        AttestError::Rpc { status, .. } => match refusal_of(status) {
            Some(refusal) => RotateError::Denied(refusal),
            None => RotateError::Failed(error),
        },
        _ => RotateError::Failed(error),
    }
}
