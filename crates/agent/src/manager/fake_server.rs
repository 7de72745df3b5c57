//! A scripted in-memory server for manager tests: serves a settable `SyncedState`, signs
//! with fake chains whose lifetime follows a `FakeClock`, records calls, fails on demand.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use spire_ca::clock::{Clock, FakeClock};

use crate::cache::unix_seconds;
use crate::identity::{
    AgentEntry, ServerClient, ServerClientError, SignedJwtSvid, SignedX509Svid, SyncedState,
    X509SvidRequest,
};

#[derive(Debug)]
pub struct FakeServer {
    pub clock: FakeClock,
    pub svid_ttl: Duration,
    pub state: Mutex<SyncedState>,
    pub down: AtomicBool,
    pub syncs: AtomicUsize,
    /// Sizes of the BatchNewX509SVID calls, in order.
    pub x509_batches: Mutex<Vec<usize>>,
    pub jwt_calls: AtomicUsize,
    minted: AtomicUsize,
}

impl FakeServer {
    pub fn new(clock: FakeClock, entries: Vec<AgentEntry>) -> Self {
        FakeServer {
            clock,
            svid_ttl: Duration::from_secs(3600),
            state: Mutex::new(SyncedState {
                entries,
                ..SyncedState::default()
            }),
            down: AtomicBool::new(false),
            syncs: AtomicUsize::new(0),
            x509_batches: Mutex::new(Vec::new()),
            jwt_calls: AtomicUsize::new(0),
            minted: AtomicUsize::new(0),
        }
    }

    pub fn set_entries(&self, entries: Vec<AgentEntry>) {
        self.state.lock().expect("fake server lock").entries = entries;
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    pub fn minted_svids(&self) -> usize {
        self.x509_batches
            .lock()
            .expect("fake server lock")
            .iter()
            .sum()
    }

    fn check_up(&self) -> Result<(), ServerClientError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(ServerClientError::Unavailable(
                "connection refused".to_owned(),
            ));
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl ServerClient for FakeServer {
    async fn sync(&self) -> Result<SyncedState, ServerClientError> {
        self.check_up()?;
        self.syncs.fetch_add(1, Ordering::SeqCst);
        Ok(self.state.lock().expect("fake server lock").clone())
    }

    async fn new_x509_svids(
        &self,
        requests: Vec<X509SvidRequest>,
    ) -> Result<Vec<SignedX509Svid>, ServerClientError> {
        self.check_up()?;
        self.x509_batches
            .lock()
            .expect("fake server lock")
            .push(requests.len());
        let expires_at = unix_seconds(self.clock.now() + self.svid_ttl);
        Ok(requests
            .into_iter()
            .map(|request| {
                let serial = self.minted.fetch_add(1, Ordering::SeqCst);
                SignedX509Svid {
                    cert_chain: vec![format!("{}#{serial}", request.entry_id).into_bytes()],
                    entry_id: request.entry_id,
                    expires_at,
                }
            })
            .collect())
    }

    async fn new_jwt_svid(
        &self,
        entry_id: &str,
        audience: &[String],
    ) -> Result<SignedJwtSvid, ServerClientError> {
        self.check_up()?;
        let n = self.jwt_calls.fetch_add(1, Ordering::SeqCst);
        let issued_at = unix_seconds(self.clock.now());
        Ok(SignedJwtSvid {
            token: format!("{entry_id}|{}|{n}", audience.join(",")),
            issued_at,
            expires_at: issued_at + 300,
        })
    }
}
