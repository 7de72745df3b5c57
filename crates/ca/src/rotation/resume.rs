//! Resuming rotation from the CA journal after a restart, as SPIRE's slot loader does: an
//! entry is usable only if its KeyManager key still exists and certifies the same public
//! key, it is still in the trust bundle (so agents trust it) and it has not expired. Of the
//! usable entries, the newest ACTIVE one is current and the newest PREPARED/OLD one is next;
//! with no ACTIVE entry the next one is promoted. An OLD slot signs nothing.

use std::sync::Arc;
use std::time::SystemTime;

use spire_plugin::KeyManager;

use super::authorities::X509_CA_KEY_PREFIX;
use super::authorities::{Authorities, AuthorityParams, JWT_SIGNER_KEY_PREFIX, JwtKey};
use super::journal::{Journal, JournalStatus, JwtKeyEntry, X509CaEntry, from_unix};
use super::schedule::{Slot, SlotLetter, SlotPair};
use crate::x509::{CaError, X509Ca};

/// What the trust bundle in the datastore holds; journal entries missing from it are not
/// resumed (a restored database or edited journal must not make the server sign with an
/// authority nobody trusts).
#[derive(Debug, Clone, Default)]
pub struct PublishedAuthorities {
    pub x509_der: Vec<Vec<u8>>,
    pub jwt_key_ids: Vec<String>,
}

/// Why a journal entry was not resumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    NoSlotId,
    NotInBundle,
    Expired,
    NoKeyManagerKey,
    KeyMismatch(String),
}

/// A journal entry left out when resuming, for the server to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedEntry {
    pub slot_id: String,
    pub authority_id: String,
    pub reason: SkipReason,
}

impl Authorities {
    /// Authorities resumed from `journal` (empty for a first start). KeyManager failures
    /// are errors; unusable entries are dropped and listed.
    pub fn resume(
        km: Arc<dyn KeyManager>,
        params: AuthorityParams,
        journal: Journal,
        published: Option<&PublishedAuthorities>,
        now: SystemTime,
    ) -> Result<(Self, Vec<SkippedEntry>), CaError> {
        let mut skipped = Vec::new();
        let mut x509 = Vec::new();
        for entry in &journal.entries().x509_cas {
            match load_x509(km.as_ref(), entry, published, now)? {
                Ok(slot) => x509.push((entry.status(), slot)),
                Err(reason) => skipped.push(skip(&entry.slot_id, &entry.authority_id, reason)),
            }
        }
        let mut jwt = Vec::new();
        for entry in &journal.entries().jwt_keys {
            match load_jwt(km.as_ref(), entry, published, now)? {
                Ok(slot) => jwt.push((entry.status(), slot)),
                Err(reason) => skipped.push(skip(&entry.slot_id, &entry.authority_id, reason)),
            }
        }
        let (x509, jwt) = (seed_pair(x509), seed_pair(jwt));
        // A promoted PREPARED slot signs from now on, as SPIRE activates it at load.
        let mut journal = journal;
        if let Some(current) = x509.current() {
            journal.set_x509_status(current.credential.authority_id(), JournalStatus::Active);
        }
        if let Some(current) = jwt.current() {
            journal.set_jwt_status(&current.credential.key_id, JournalStatus::Active);
        }
        let authorities = Authorities::from_parts(km, params, x509, jwt, journal);
        Ok((authorities, skipped))
    }
}

/// Picks current, next and old from usable entries in journal order (oldest first).
pub(crate) fn seed_pair<C>(usable: Vec<(JournalStatus, Slot<C>)>) -> SlotPair<C> {
    let mut current = None;
    let mut next = None;
    for (status, slot) in usable.into_iter().rev() {
        match status {
            JournalStatus::Active if current.is_none() => current = Some((status, slot)),
            JournalStatus::Active => {}
            // Written before SPIRE 1.7: the newest is next, the one before it current.
            JournalStatus::Unknown if next.is_none() => next = Some((status, slot)),
            JournalStatus::Unknown if current.is_none() => current = Some((status, slot)),
            JournalStatus::Unknown => {}
            JournalStatus::Prepared | JournalStatus::Old if next.is_none() => {
                next = Some((status, slot));
            }
            JournalStatus::Prepared | JournalStatus::Old => {}
        }
        if current.is_some() && next.is_some() {
            break;
        }
    }
    if current.is_none() {
        current = next.take();
    }
    let mut old = None;
    let current = match current {
        Some((JournalStatus::Old, slot)) => {
            old = Some(slot);
            None
        }
        other => other.map(|(_, slot)| slot),
    };
    let next = match next {
        Some((JournalStatus::Old, slot)) => {
            old = Some(slot);
            None
        }
        other => other.map(|(_, slot)| slot),
    };
    SlotPair::seeded(current, next, old)
}

type Loaded<C> = Result<Result<Slot<C>, SkipReason>, CaError>;

fn load_x509(
    km: &dyn KeyManager,
    entry: &X509CaEntry,
    published: Option<&PublishedAuthorities>,
    now: SystemTime,
) -> Loaded<X509Ca> {
    let Some(letter) = letter(&entry.slot_id) else {
        return Ok(Err(SkipReason::NoSlotId));
    };
    if published.is_some_and(|p| !p.x509_der.contains(&entry.certificate)) {
        return Ok(Err(SkipReason::NotInBundle));
    }
    let Some(key) = km.key(&format!("{X509_CA_KEY_PREFIX}{}", letter.as_str()))? else {
        return Ok(Err(SkipReason::NoKeyManagerKey));
    };
    let ca = match X509Ca::new(entry.certificate.clone(), key) {
        Ok(ca) => ca,
        Err(e) => return Ok(Err(SkipReason::KeyMismatch(e.to_string()))),
    };
    if ca.not_after() <= now {
        return Ok(Err(SkipReason::Expired));
    }
    Ok(Ok(Slot {
        letter,
        issued_at: from_unix(entry.issued_at),
        not_after: ca.not_after(),
        credential: ca,
    }))
}

fn load_jwt(
    km: &dyn KeyManager,
    entry: &JwtKeyEntry,
    published: Option<&PublishedAuthorities>,
    now: SystemTime,
) -> Loaded<JwtKey> {
    let Some(letter) = letter(&entry.slot_id) else {
        return Ok(Err(SkipReason::NoSlotId));
    };
    if published.is_some_and(|p| !p.jwt_key_ids.contains(&entry.kid)) {
        return Ok(Err(SkipReason::NotInBundle));
    }
    let not_after = from_unix(entry.not_after);
    if not_after <= now {
        return Ok(Err(SkipReason::Expired));
    }
    let key_id = format!("{JWT_SIGNER_KEY_PREFIX}{}", letter.as_str());
    let Some(key) = km.key(&key_id)? else {
        return Ok(Err(SkipReason::NoKeyManagerKey));
    };
    let journal_bits = crate::x509::subject_public_key_bits_of(&entry.public_key);
    let key_bits = crate::x509::subject_public_key_bits_of(key.public_key_der());
    match (journal_bits, key_bits) {
        (Ok(a), Ok(b)) if a == b => {}
        _ => {
            return Ok(Err(SkipReason::KeyMismatch(format!(
                "KeyManager key {key_id:?} is not the journal's public key"
            ))));
        }
    }
    Ok(Ok(Slot {
        letter,
        issued_at: from_unix(entry.issued_at),
        not_after,
        credential: JwtKey {
            key,
            key_id: entry.kid.clone(),
            not_after,
        },
    }))
}

fn letter(slot_id: &str) -> Option<SlotLetter> {
    match slot_id {
        "A" => Some(SlotLetter::A),
        "B" => Some(SlotLetter::B),
        _ => None,
    }
}

fn skip(slot_id: &str, authority_id: &str, reason: SkipReason) -> SkippedEntry {
    SkippedEntry {
        slot_id: slot_id.to_owned(),
        authority_id: authority_id.to_owned(),
        reason,
    }
}
