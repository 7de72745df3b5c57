//! The agent's own SVID: checked every 5 s and renewed at half its lifetime (±10 % jitter,
//! drawn once per SVID). Agents attested by a re-attestable node attestor (x509pop) renew
//! by attesting again; the others call `RenewAgent` with their current SVID. Every renewal
//! uses a new key in the other KeyManager slot, is stored, and is presented on the next
//! connection. A refusal by the server (banned agent) is handed to the caller, which stops the
//! agent as SPIRE does.

mod schedule;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use spire_proto::spire::api::server::agent::v1::agent_client::AgentClient;
use spire_proto::spire::api::server::agent::v1::{AgentX509svidParams, RenewAgentRequest};

use crate::attest::{AgentIdentity, AttestError, NodeAttestor, csr::agent_csr};
pub use schedule::RotationSchedule;

/// How often the SVID's age is checked.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(5);

/// Why a rotation failed.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    /// The server refused the agent: it is banned, evicted or unknown. Retrying cannot help.
    #[error("server refused to renew the agent SVID: {0}")]
    Denied(String),
    #[error("agent SVID rotation failed: {0}")]
    Failed(#[from] AttestError),
}

/// Holds the agent's current identity and renews it.
#[derive(Debug)]
pub struct AgentSvidRotator {
    node: NodeAttestor,
    state: Mutex<(AgentIdentity, RotationSchedule)>,
}

impl AgentSvidRotator {
    /// Starts from `identity` and presents it on the server connection.
    pub fn new(node: NodeAttestor, identity: AgentIdentity) -> Result<Self, AttestError> {
        let schedule = RotationSchedule::for_leaf(&identity.svid, &mut rand::rng())?;
        node.conn
            .resolver()
            .set(identity.svid.clone(), Arc::clone(&identity.key));
        Ok(Self {
            node,
            state: Mutex::new((identity, schedule)),
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
    /// the agent or `shutdown` resolved. Other failures are logged and retried on the next
    /// check.
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
                Err(RotateError::Denied(reason)) => return Err(RotateError::Denied(reason)),
                Err(error) => tracing::error!(%error, "Could not rotate agent SVID"),
            }
        }
    }

    /// Renews the SVID now.
    pub async fn rotate(&self) -> Result<(), RotateError> {
        let current = self.identity();
        let key = self.node.new_key(Some(current.key.as_ref()))?;
        let renewed = if current.reattestable {
            let bundle = self.node.storage.data().bundle;
            let bundle = (!bundle.is_empty())
                .then_some(bundle)
                .or(Some(current.bundle));
            self.node
                .attest(Arc::clone(&key), bundle)
                .await
                .map_err(denied_or_failed)?
        } else {
            self.renew(key, current).await?
        };
        let schedule = RotationSchedule::for_leaf(&renewed.svid, &mut rand::rng())?;
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

    fn lock(&self) -> std::sync::MutexGuard<'_, (AgentIdentity, RotationSchedule)> {
        // Replaced whole under the lock; a panic elsewhere cannot leave it torn.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn denied_or_failed(error: AttestError) -> RotateError {
    if error.is_permission_denied() {
        RotateError::Denied(error.to_string())
    } else {
        RotateError::Failed(error)
    }
}
