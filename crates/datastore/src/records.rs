//! The records the datastore keeps, as plain data. IDs are carried as strings (already
//! validated SPIFFE IDs at the API edge); times are seconds since the Unix epoch.

use spire_spiffe::Selector;

/// A registration entry: which workloads or agents get which SPIFFE ID.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RegistrationEntry {
    /// Opaque ID; a UUID v4 is generated when empty at creation.
    pub entry_id: String,
    pub spiffe_id: String,
    pub parent_id: String,
    /// Kept sorted by (type, value) in everything the store returns.
    pub selectors: Vec<Selector>,
    pub x509_svid_ttl: i32,
    pub jwt_svid_ttl: i32,
    /// Trust domain names (`example.org`, no scheme) whose bundles this entry trusts.
    pub federates_with: Vec<String>,
    pub admin: bool,
    pub downstream: bool,
    /// Expiry of the entry itself (0 = never).
    pub expires_at: i64,
    pub dns_names: Vec<String>,
    /// Bumped by every update.
    pub revision_number: i64,
    pub store_svid: bool,
    pub hint: String,
    /// Set by the store at creation.
    pub created_at: i64,
    pub disable_x509_svid_prefetch: bool,
    pub jwt_svid_include_jti: bool,
}

/// Which fields of a [`RegistrationEntry`] an update writes. `entry_id` always selects
/// the row; `revision_number` and `created_at` are never written by callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EntryMask {
    pub spiffe_id: bool,
    pub parent_id: bool,
    pub selectors: bool,
    pub x509_svid_ttl: bool,
    pub jwt_svid_ttl: bool,
    pub federates_with: bool,
    pub admin: bool,
    pub downstream: bool,
    pub expires_at: bool,
    pub dns_names: bool,
    pub store_svid: bool,
    pub hint: bool,
    /// Covers both `disable_x509_svid_prefetch` and `jwt_svid_include_jti`
    /// (SPIRE's `additional_attributes`).
    pub additional_attributes: bool,
}

impl EntryMask {
    /// A mask that writes every field.
    pub fn all() -> Self {
        Self {
            spiffe_id: true,
            parent_id: true,
            selectors: true,
            x509_svid_ttl: true,
            jwt_svid_ttl: true,
            federates_with: true,
            admin: true,
            downstream: true,
            expires_at: true,
            dns_names: true,
            store_svid: true,
            hint: true,
            additional_attributes: true,
        }
    }
}

/// An attested agent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttestedNode {
    pub spiffe_id: String,
    /// The node attestor that vouched for it (`join_token`, `x509pop`, …).
    pub attestation_type: String,
    /// Serial of the agent's current SVID; empty means the agent is banned.
    pub serial_number: String,
    pub expires_at: i64,
    /// Serial of an SVID being rotated in (empty when none).
    pub new_serial_number: String,
    /// 0 when there is no new SVID.
    pub new_expires_at: i64,
    pub can_reattest: bool,
    pub agent_version: String,
    /// Node selectors; filled by fetch, and by list when asked.
    pub selectors: Vec<Selector>,
}

impl AttestedNode {
    /// A banned agent is one whose current serial number was cleared (SPIRE's rule).
    pub fn is_banned(&self) -> bool {
        self.serial_number.is_empty()
    }
}

/// Which fields of an [`AttestedNode`] an update writes (`spiffe_id` selects the row;
/// selectors are managed with `set_node_selectors`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AttestedNodeMask {
    pub attestation_type: bool,
    pub serial_number: bool,
    pub expires_at: bool,
    pub new_serial_number: bool,
    pub new_expires_at: bool,
    pub can_reattest: bool,
    pub agent_version: bool,
}

impl AttestedNodeMask {
    /// A mask that writes every field.
    pub fn all() -> Self {
        Self {
            attestation_type: true,
            serial_number: true,
            expires_at: true,
            new_serial_number: true,
            new_expires_at: true,
            can_reattest: true,
            agent_version: true,
        }
    }
}

/// A one-shot join token an agent presents to attest.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JoinToken {
    pub token: String,
    pub expires_at: i64,
}

/// One row of the entry change log: entry `entry_id` was created, updated or deleted.
/// Event IDs grow with each write, but a transaction still in flight can leave a lower ID
/// to appear after a higher one is visible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryEvent {
    pub event_id: i64,
    pub entry_id: String,
}

/// One server's CA journal (`ca_journals`): the protobuf `Entries` blob SPIRE writes (its
/// X.509 CAs and JWT keys with their slots and statuses), found again at start-up through
/// the authority ID (SKID hex) of the X.509 CA that was active when it was last written.
/// The store treats `data` as opaque except when pruning, where it reads only expiries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CaJournal {
    /// Row ID; 0 asks [`set_ca_journal`](crate::DataStore::set_ca_journal) to create one.
    pub id: i64,
    pub data: Vec<u8>,
    pub active_x509_authority_id: String,
    pub active_jwt_authority_id: String,
}
