//! The server's signing authorities (X.509 CA and JWT key) and their rotation.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use spire_plugin::{Key, KeyManager, KeyType};
use spire_spiffe::TrustDomain;

use super::journal::{Journal, JournalStatus, JwtKeyEntry, X509CaEntry, unix};
use super::schedule::{Slot, SlotLetter, SlotPair, SlotStatus, Step};
use crate::x509::time::{after, whole_seconds};
use crate::x509::{CaError, CaParams, CaSubject, X509Ca, self_signed_ca};

/// KeyManager id prefix of X.509 CA keys (`x509-CA-A`, `x509-CA-B`), as SPIRE names them.
pub const X509_CA_KEY_PREFIX: &str = "x509-CA-";
/// KeyManager id prefix of JWT signing keys (`JWT-Signer-A`, `JWT-Signer-B`).
pub const JWT_SIGNER_KEY_PREFIX: &str = "JWT-Signer-";

/// The server settings rotation needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorityParams {
    /// The trust domain the authorities sign for.
    pub trust_domain: TrustDomain,
    /// Lifetime of each X.509 CA and JWT key (`ca_ttl`).
    pub ca_ttl: Duration,
    pub ca_key_type: KeyType,
    pub jwt_key_type: KeyType,
    pub subject: CaSubject,
}

/// A JWT signing key and the `kid` its tokens carry.
#[derive(Debug, Clone)]
pub struct JwtKey {
    pub key: Arc<dyn Key>,
    pub key_id: String,
    pub not_after: SystemTime,
}

/// What a tick changed, in order; the server publishes `*Prepared` to the bundle and swaps
/// signers on `*Activated`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotationEvent {
    /// A new CA exists: add `cert_der` to the bundle's X.509 authorities.
    X509Prepared {
        slot_id: String,
        authority_id: String,
        cert_der: Vec<u8>,
        not_after: SystemTime,
    },
    /// X.509-SVIDs are now signed by this CA; the previous one, if any, is old.
    X509Activated {
        slot_id: String,
        authority_id: String,
        previous_authority_id: Option<String>,
    },
    /// A new JWT key exists: add it to the bundle's JWT authorities.
    JwtPrepared {
        slot_id: String,
        key_id: String,
        public_key_der: Vec<u8>,
        expires_at: SystemTime,
    },
    /// JWT-SVIDs are now signed by this key.
    JwtActivated {
        slot_id: String,
        key_id: String,
        previous_key_id: Option<String>,
    },
}

/// One authority as the LocalAuthority API lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorityState {
    pub slot_id: String,
    /// SKID hex for X.509 CAs, `kid` for JWT keys.
    pub authority_id: String,
    pub status: SlotStatus,
    pub expires_at: SystemTime,
}

/// The X.509 CA and JWT key slots of one server.
pub struct Authorities {
    km: Arc<dyn KeyManager>,
    params: AuthorityParams,
    x509: SlotPair<X509Ca>,
    jwt: SlotPair<JwtKey>,
    /// Events of a tick that failed half-way, handed out by the next successful tick so a
    /// prepared authority is never left unpublished.
    pending: Vec<RotationEvent>,
    journal: Journal,
}

impl Authorities {
    pub fn new(km: Arc<dyn KeyManager>, params: AuthorityParams) -> Self {
        Authorities {
            km,
            params,
            x509: SlotPair::new(),
            jwt: SlotPair::new(),
            pending: Vec::new(),
            journal: Journal::default(),
        }
    }

    pub(super) fn from_parts(
        km: Arc<dyn KeyManager>,
        params: AuthorityParams,
        x509: SlotPair<X509Ca>,
        jwt: SlotPair<JwtKey>,
        journal: Journal,
    ) -> Self {
        Authorities {
            km,
            params,
            x509,
            jwt,
            pending: Vec::new(),
            journal,
        }
    }

    /// Every CA and JWT key prepared so far with its status: store it after each tick that
    /// returned events, so a restarted server resumes them ([`Authorities::resume`]).
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Advances both rotations by at most one step each and returns what changed.
    pub fn tick(&mut self, now: SystemTime) -> Result<Vec<RotationEvent>, CaError> {
        self.tick_x509(now)?;
        self.tick_jwt(now)?;
        Ok(std::mem::take(&mut self.pending))
    }

    /// The CA signing X.509-SVIDs now.
    pub fn active_x509(&self) -> Option<&X509Ca> {
        self.x509.current().map(|slot| &slot.credential)
    }

    /// The JWT key signing JWT-SVIDs now, with its `kid`.
    pub fn active_jwt(&self) -> Option<(Arc<dyn Key>, &str)> {
        self.jwt.current().map(|slot| {
            (
                Arc::clone(&slot.credential.key),
                slot.credential.key_id.as_str(),
            )
        })
    }

    /// The prepared successor CA, if any.
    pub fn next_x509(&self) -> Option<&X509Ca> {
        self.x509.next().map(|slot| &slot.credential)
    }

    /// Active, prepared and old X.509 CAs.
    pub fn x509_states(&self) -> Vec<AuthorityState> {
        states(&self.x509, X509_CA_KEY_PREFIX, |ca| {
            ca.authority_id().to_owned()
        })
    }

    /// Active, prepared and old JWT keys.
    pub fn jwt_states(&self) -> Vec<AuthorityState> {
        states(&self.jwt, JWT_SIGNER_KEY_PREFIX, |k| k.key_id.clone())
    }

    fn tick_x509(&mut self, now: SystemTime) -> Result<(), CaError> {
        match self.x509.step(now) {
            Step::Idle => {}
            Step::PrepareAndActivate(letter) => {
                let slot = self.prepare_x509(letter, now)?;
                let previous = self.active_x509().map(|ca| ca.authority_id().to_owned());
                self.journal_x509_activated(slot.credential.authority_id(), previous.as_deref());
                let activated = x509_activated(&slot, previous);
                self.x509.activate_now(slot);
                self.pending.push(activated);
            }
            Step::PrepareNext(letter) => {
                let slot = self.prepare_x509(letter, now)?;
                self.x509.prepare(slot);
            }
            Step::ActivateNext => {
                let previous = self.active_x509().map(|ca| ca.authority_id().to_owned());
                if let Some(next) = self.x509.next() {
                    let activated = x509_activated(next, previous.clone());
                    let id = next.credential.authority_id().to_owned();
                    self.pending.push(activated);
                    self.journal_x509_activated(&id, previous.as_deref());
                }
                self.x509.activate_next();
            }
        }
        Ok(())
    }

    fn tick_jwt(&mut self, now: SystemTime) -> Result<(), CaError> {
        match self.jwt.step(now) {
            Step::Idle => {}
            Step::PrepareAndActivate(letter) => {
                let slot = self.prepare_jwt(letter, now)?;
                let previous = self.active_jwt().map(|(_, kid)| kid.to_owned());
                self.journal_jwt_activated(&slot.credential.key_id, previous.as_deref());
                let activated = jwt_activated(&slot, previous);
                self.jwt.activate_now(slot);
                self.pending.push(activated);
            }
            Step::PrepareNext(letter) => {
                let slot = self.prepare_jwt(letter, now)?;
                self.jwt.prepare(slot);
            }
            Step::ActivateNext => {
                let previous = self.active_jwt().map(|(_, kid)| kid.to_owned());
                if let Some(next) = self.jwt.next() {
                    let activated = jwt_activated(next, previous.clone());
                    let id = next.credential.key_id.clone();
                    self.pending.push(activated);
                    self.journal_jwt_activated(&id, previous.as_deref());
                }
                self.jwt.activate_next();
            }
        }
        Ok(())
    }

    fn journal_x509_activated(&mut self, authority_id: &str, previous: Option<&str>) {
        if let Some(previous) = previous {
            self.journal.set_x509_status(previous, JournalStatus::Old);
        }
        self.journal
            .set_x509_status(authority_id, JournalStatus::Active);
    }

    fn journal_jwt_activated(&mut self, key_id: &str, previous: Option<&str>) {
        if let Some(previous) = previous {
            self.journal.set_jwt_status(previous, JournalStatus::Old);
        }
        self.journal.set_jwt_status(key_id, JournalStatus::Active);
    }

    fn prepare_x509(
        &mut self,
        letter: SlotLetter,
        now: SystemTime,
    ) -> Result<Slot<X509Ca>, CaError> {
        let slot_id = format!("{X509_CA_KEY_PREFIX}{}", letter.as_str());
        let key = self.km.generate_key(&slot_id, self.params.ca_key_type)?;
        let ca_params = CaParams {
            trust_domain: self.params.trust_domain.as_str().to_owned(),
            subject: self.params.subject.clone(),
            ttl: self.params.ca_ttl,
        };
        let cert_der = self_signed_ca(key.as_ref(), &ca_params, now)?;
        let ca = X509Ca::new(cert_der, key)?;
        self.journal.append_x509(X509CaEntry {
            slot_id: letter.as_str().to_owned(),
            issued_at: unix(now),
            certificate: ca.cert_der().to_vec(),
            status: JournalStatus::Prepared as i32,
            authority_id: ca.authority_id().to_owned(),
            not_after: unix(ca.not_after()),
            ..X509CaEntry::default()
        });
        self.pending.push(RotationEvent::X509Prepared {
            slot_id,
            authority_id: ca.authority_id().to_owned(),
            cert_der: ca.cert_der().to_vec(),
            not_after: ca.not_after(),
        });
        Ok(Slot {
            letter,
            issued_at: now,
            not_after: ca.not_after(),
            credential: ca,
        })
    }

    fn prepare_jwt(
        &mut self,
        letter: SlotLetter,
        now: SystemTime,
    ) -> Result<Slot<JwtKey>, CaError> {
        let slot_id = format!("{JWT_SIGNER_KEY_PREFIX}{}", letter.as_str());
        let key = self.km.generate_key(&slot_id, self.params.jwt_key_type)?;
        let not_after = whole_seconds(after(now, self.params.ca_ttl)?)?;
        let key_id = crate::jwt::generate_kid(&mut rand::rng());
        self.journal.append_jwt(JwtKeyEntry {
            slot_id: letter.as_str().to_owned(),
            issued_at: unix(now),
            not_after: unix(not_after),
            kid: key_id.clone(),
            public_key: key.public_key_der().to_vec(),
            status: JournalStatus::Prepared as i32,
            authority_id: key_id.clone(),
        });
        self.pending.push(RotationEvent::JwtPrepared {
            slot_id,
            key_id: key_id.clone(),
            public_key_der: key.public_key_der().to_vec(),
            expires_at: not_after,
        });
        Ok(Slot {
            letter,
            issued_at: now,
            not_after,
            credential: JwtKey {
                key,
                key_id,
                not_after,
            },
        })
    }
}

impl fmt::Debug for Authorities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorities")
            .field("params", &self.params)
            .field("x509", &self.x509_states())
            .field("jwt", &self.jwt_states())
            .finish_non_exhaustive()
    }
}

fn x509_activated(slot: &Slot<X509Ca>, previous_authority_id: Option<String>) -> RotationEvent {
    RotationEvent::X509Activated {
        slot_id: format!("{X509_CA_KEY_PREFIX}{}", slot.letter.as_str()),
        authority_id: slot.credential.authority_id().to_owned(),
        previous_authority_id,
    }
}

fn jwt_activated(slot: &Slot<JwtKey>, previous_key_id: Option<String>) -> RotationEvent {
    RotationEvent::JwtActivated {
        slot_id: format!("{JWT_SIGNER_KEY_PREFIX}{}", slot.letter.as_str()),
        key_id: slot.credential.key_id.clone(),
        previous_key_id,
    }
}

fn states<C>(
    pair: &SlotPair<C>,
    prefix: &str,
    authority_id: impl Fn(&C) -> String,
) -> Vec<AuthorityState> {
    [
        (pair.current(), SlotStatus::Active),
        (pair.next(), SlotStatus::Prepared),
        (pair.old(), SlotStatus::Old),
    ]
    .into_iter()
    .filter_map(|(slot, status)| {
        slot.map(|slot| AuthorityState {
            slot_id: format!("{prefix}{}", slot.letter.as_str()),
            authority_id: authority_id(&slot.credential),
            status,
            expires_at: slot.not_after,
        })
    })
    .collect()
}
