//! SPIFFE IDs: `spiffe://<trust domain><path>`.

use std::fmt;
use std::str::FromStr;

use crate::id_rules::{
    MAX_SPIFFE_ID_LEN, SPIFFE_PREFIX, SPIFFE_SCHEME, check_path, check_trust_domain_name,
};
use crate::{SpiffeIdError, TrustDomain};

/// A SPIFFE ID such as `spiffe://example.org/ns/prod/sa/web`, valid per the SPIFFE-ID standard.
///
/// The ID is kept exactly as parsed (no case folding, no percent-decoding, no dot-segment
/// removal): two IDs are equal only if their strings are equal, which is how SPIRE compares
/// them in registration entries and authorization checks.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SpiffeId {
    // `id` first so that the derived `Ord` sorts by the full string.
    id: String,
    trust_domain: TrustDomain,
}

impl SpiffeId {
    /// Parses a SPIFFE ID string.
    pub fn new(id: &str) -> Result<Self, SpiffeIdError> {
        if id.is_empty() {
            return Err(SpiffeIdError::Empty);
        }
        if id.len() > MAX_SPIFFE_ID_LEN {
            return Err(SpiffeIdError::TooLong { len: id.len() });
        }
        if !id.is_ascii() {
            return Err(SpiffeIdError::NonAscii);
        }
        let (scheme, rest) = id.split_once("://").ok_or(SpiffeIdError::MissingScheme)?;
        if scheme != SPIFFE_SCHEME {
            return Err(if scheme.eq_ignore_ascii_case(SPIFFE_SCHEME) {
                SpiffeIdError::UppercaseScheme(scheme.to_owned())
            } else {
                SpiffeIdError::WrongScheme(scheme.to_owned())
            });
        }
        // Query and fragment are named first: they end the URI's path, so whatever follows
        // them must not be judged as path or authority characters.
        match rest.bytes().find(|b| matches!(b, b'?' | b'#')) {
            Some(b'?') => return Err(SpiffeIdError::Query),
            Some(_) => return Err(SpiffeIdError::Fragment),
            None => {}
        }
        let (name, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        check_trust_domain_name(name)?;
        check_path(path)?;
        Ok(Self {
            id: id.to_owned(),
            trust_domain: TrustDomain::from_checked(name),
        })
    }

    /// Builds the ID with `path` (`""` or `/a/b`) in `trust_domain`.
    pub fn from_parts(trust_domain: &TrustDomain, path: &str) -> Result<Self, SpiffeIdError> {
        check_path(path)?;
        let id = format!("{SPIFFE_PREFIX}{}{path}", trust_domain.as_str());
        if id.len() > MAX_SPIFFE_ID_LEN {
            return Err(SpiffeIdError::TooLong { len: id.len() });
        }
        Ok(Self {
            id,
            trust_domain: trust_domain.clone(),
        })
    }

    /// Builds the ID from a path known to be valid (a constant of this crate). A trust domain
    /// is at most 255 bytes, so a short constant path keeps the ID far below the length limit.
    pub(crate) fn from_valid_parts(trust_domain: &TrustDomain, path: &'static str) -> Self {
        debug_assert!(check_path(path).is_ok(), "constant path {path:?} is valid");
        Self {
            id: format!("{SPIFFE_PREFIX}{}{path}", trust_domain.as_str()),
            trust_domain: trust_domain.clone(),
        }
    }

    /// The trust domain the ID belongs to.
    pub fn trust_domain(&self) -> &TrustDomain {
        &self.trust_domain
    }

    /// The path, `""` or starting with `/`.
    pub fn path(&self) -> &str {
        let start = SPIFFE_PREFIX.len() + self.trust_domain.as_str().len();
        self.id.get(start..).unwrap_or_default()
    }

    /// Whether the ID is in `trust_domain`.
    pub fn is_member_of(&self, trust_domain: &TrustDomain) -> bool {
        &self.trust_domain == trust_domain
    }

    /// Whether the path is in SPIRE's reserved namespace (`/spire` or under `/spire/`), where
    /// only SPIRE itself names servers and agents; workload entries may not use it.
    pub fn is_reserved(&self) -> bool {
        let path = self.path();
        path == "/spire" || path.starts_with("/spire/")
    }

    /// The whole ID, `spiffe://example.org/path`.
    pub fn as_str(&self) -> &str {
        &self.id
    }
}

impl FromStr for SpiffeId {
    type Err = SpiffeIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<&str> for SpiffeId {
    type Error = SpiffeIdError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl fmt::Display for SpiffeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

impl AsRef<str> for SpiffeId {
    fn as_ref(&self) -> &str {
        &self.id
    }
}

impl serde::Serialize for SpiffeId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.id)
    }
}

impl<'de> serde::Deserialize<'de> for SpiffeId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = String::deserialize(deserializer)?;
        Self::new(&id).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[path = "spiffe_id_tests.rs"]
mod tests;
