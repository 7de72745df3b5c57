//! The CA journal: every X.509 CA and JWT key this server prepared, with its slot and
//! status, in SPIRE's protobuf `Entries` format (proto/private/server/journal/journal.proto;
//! field numbers are the wire contract, so a journal written by Go SPIRE reads here and
//! back). The server stores the encoded bytes in the datastore's `ca_journals` table.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Entries kept per credential type, as SPIRE keeps them.
const JOURNAL_CAP: usize = 10;

/// SPIRE's `Status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum JournalStatus {
    /// Written by SPIRE before v1.7.
    Unknown = 0,
    Prepared = 2,
    Active = 3,
    Old = 4,
}

/// SPIRE's `X509CAEntry`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct X509CaEntry {
    /// `A` or `B`.
    #[prost(string, tag = "1")]
    pub slot_id: String,
    /// Unix seconds.
    #[prost(int64, tag = "2")]
    pub issued_at: i64,
    /// DER CA certificate.
    #[prost(bytes = "vec", tag = "3")]
    pub certificate: Vec<u8>,
    #[prost(bytes = "vec", repeated, tag = "4")]
    pub upstream_chain: Vec<Vec<u8>>,
    #[prost(enumeration = "JournalStatus", tag = "5")]
    pub status: i32,
    /// SKID, lowercase hex.
    #[prost(string, tag = "6")]
    pub authority_id: String,
    #[prost(int64, tag = "7")]
    pub not_after: i64,
    #[prost(string, tag = "8")]
    pub upstream_authority_id: String,
    #[prost(bool, tag = "9")]
    pub not_after_is_effective: bool,
}

/// SPIRE's `JWTKeyEntry` (also the shape of `WITKeyEntry`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct JwtKeyEntry {
    #[prost(string, tag = "1")]
    pub slot_id: String,
    #[prost(int64, tag = "2")]
    pub issued_at: i64,
    #[prost(int64, tag = "3")]
    pub not_after: i64,
    #[prost(string, tag = "4")]
    pub kid: String,
    /// PKIX (SubjectPublicKeyInfo) DER.
    #[prost(bytes = "vec", tag = "5")]
    pub public_key: Vec<u8>,
    #[prost(enumeration = "JournalStatus", tag = "6")]
    pub status: i32,
    #[prost(string, tag = "7")]
    pub authority_id: String,
}

/// SPIRE's `Entries`, oldest first.
#[derive(Clone, PartialEq, prost::Message)]
pub struct JournalEntries {
    #[prost(message, repeated, tag = "1")]
    pub x509_cas: Vec<X509CaEntry>,
    #[prost(message, repeated, tag = "2")]
    pub jwt_keys: Vec<JwtKeyEntry>,
    /// Kept as written; this server makes no WIT keys.
    #[prost(message, repeated, tag = "3")]
    pub wit_keys: Vec<JwtKeyEntry>,
}

/// Why journal bytes could not be read.
#[derive(Debug, thiserror::Error)]
#[error("CA journal is not a valid journal protobuf: {0}")]
pub struct JournalDecodeError(#[from] prost::DecodeError);

/// The journal of one server plus the authority IDs its datastore row is found by.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Journal {
    entries: JournalEntries,
    active_x509_authority_id: String,
    active_jwt_authority_id: String,
}

impl Journal {
    /// Reads a stored journal; the active authority IDs come from the datastore row.
    pub fn decode(
        data: &[u8],
        active_x509_authority_id: &str,
        active_jwt_authority_id: &str,
    ) -> Result<Self, JournalDecodeError> {
        Ok(Journal {
            entries: <JournalEntries as prost::Message>::decode(data)?,
            active_x509_authority_id: active_x509_authority_id.to_owned(),
            active_jwt_authority_id: active_jwt_authority_id.to_owned(),
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        prost::Message::encode_to_vec(&self.entries)
    }

    pub fn entries(&self) -> &JournalEntries {
        &self.entries
    }

    /// The authority ID of the X.509 CA last activated; empty before the first activation
    /// (SPIRE does not store a journal until then).
    pub fn active_x509_authority_id(&self) -> &str {
        &self.active_x509_authority_id
    }

    pub fn active_jwt_authority_id(&self) -> &str {
        &self.active_jwt_authority_id
    }

    pub(crate) fn append_x509(&mut self, entry: X509CaEntry) {
        self.entries.x509_cas.push(entry);
        cap(&mut self.entries.x509_cas);
    }

    pub(crate) fn append_jwt(&mut self, entry: JwtKeyEntry) {
        self.entries.jwt_keys.push(entry);
        cap(&mut self.entries.jwt_keys);
    }

    /// Sets the status of the newest X.509 entry with `authority_id`.
    pub(crate) fn set_x509_status(&mut self, authority_id: &str, status: JournalStatus) {
        if let Some(entry) = self
            .entries
            .x509_cas
            .iter_mut()
            .rev()
            .find(|e| e.authority_id == authority_id)
        {
            entry.set_status(status);
            if status == JournalStatus::Active {
                self.active_x509_authority_id = authority_id.to_owned();
            }
        }
    }

    /// Sets the status of the newest JWT entry with `authority_id` (its `kid`).
    pub(crate) fn set_jwt_status(&mut self, authority_id: &str, status: JournalStatus) {
        if let Some(entry) = self
            .entries
            .jwt_keys
            .iter_mut()
            .rev()
            .find(|e| e.authority_id == authority_id)
        {
            entry.set_status(status);
            if status == JournalStatus::Active {
                self.active_jwt_authority_id = authority_id.to_owned();
            }
        }
    }
}

fn cap<T>(entries: &mut Vec<T>) {
    let excess = entries.len().saturating_sub(JOURNAL_CAP);
    entries.drain(..excess);
}

/// Unix seconds of a time (0 before the epoch, which no credential has).
pub(crate) fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

pub(crate) fn from_unix(secs: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_numbers_match_spires_journal_proto() {
        let mut journal = Journal::default();
        journal.append_x509(X509CaEntry {
            slot_id: "A".into(),
            not_after: 5,
            status: JournalStatus::Prepared as i32,
            ..X509CaEntry::default()
        });
        // Entries.x509CAs (1) { slot_id (1) "A", status (5) 2, not_after (7) 5 }
        assert_eq!(
            journal.encode(),
            vec![0x0a, 7, 0x0a, 1, b'A', 0x28, 2, 0x38, 5]
        );
    }

    #[test]
    fn keeps_the_newest_ten_entries_per_type() {
        let mut journal = Journal::default();
        for i in 0..12 {
            journal.append_jwt(JwtKeyEntry {
                issued_at: i,
                ..JwtKeyEntry::default()
            });
        }
        let kept: Vec<i64> = journal
            .entries()
            .jwt_keys
            .iter()
            .map(|e| e.issued_at)
            .collect();
        assert_eq!(kept, (2..12).collect::<Vec<_>>());
    }

    #[test]
    fn activating_records_the_active_authority() {
        let mut journal = Journal::default();
        journal.append_x509(X509CaEntry {
            authority_id: "ab".into(),
            ..X509CaEntry::default()
        });
        journal.set_x509_status("ab", JournalStatus::Active);
        assert_eq!(journal.active_x509_authority_id(), "ab");
        let again = Journal::decode(&journal.encode(), "ab", "").expect("decodes");
        assert_eq!(again.entries().x509_cas[0].status(), JournalStatus::Active);
    }
}
