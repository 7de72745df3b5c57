//! Trust domains: the authority part of a SPIFFE ID (`example.org`).

use std::fmt;
use std::str::FromStr;

use crate::id_rules::{SPIFFE_PREFIX, check_trust_domain_name};
use crate::{SpiffeId, SpiffeIdError};

/// The path of the SPIRE server's ID, `/spire/server`.
const SERVER_ID_PATH: &str = "/spire/server";

/// A trust domain name such as `example.org`, valid per the SPIFFE-ID standard.
///
/// Only lowercase names are accepted (as go-spiffe and SPIRE do): the name is never folded, so
/// what was parsed is what is compared and stored.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TrustDomain {
    name: String,
}

impl TrustDomain {
    /// Parses a bare trust domain name (`example.org`, no scheme).
    pub fn new(name: &str) -> Result<Self, SpiffeIdError> {
        if name.contains("://") {
            return Err(SpiffeIdError::SchemeInTrustDomainName);
        }
        check_trust_domain_name(name)?;
        Ok(Self {
            name: name.to_owned(),
        })
    }

    /// Parses either a bare name or a SPIFFE ID (`spiffe://example.org[/path]`), as SPIRE's
    /// `-id`/`-trustDomain` flags and go-spiffe's `TrustDomainFromString` accept.
    ///
    /// Anything containing `:/` is read as a whole SPIFFE ID, so its path must be valid too.
    pub fn from_id_or_name(id_or_name: &str) -> Result<Self, SpiffeIdError> {
        if id_or_name.contains(":/") {
            return Ok(SpiffeId::new(id_or_name)?.trust_domain().clone());
        }
        Self::new(id_or_name)
    }

    /// The bare name, `example.org`.
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The SPIFFE ID of the trust domain itself, `spiffe://example.org`.
    pub fn id_string(&self) -> String {
        format!("{SPIFFE_PREFIX}{}", self.name)
    }

    /// The SPIFFE ID with the given path (`""` or `/a/b`) in this trust domain.
    pub fn spiffe_id(&self, path: &str) -> Result<SpiffeId, SpiffeIdError> {
        SpiffeId::from_parts(self, path)
    }

    /// The SPIRE server's SPIFFE ID in this trust domain, `spiffe://example.org/spire/server`:
    /// the ID agents pin when they connect and the parent of node alias entries.
    pub fn server_id(&self) -> SpiffeId {
        SpiffeId::from_valid_parts(self, SERVER_ID_PATH)
    }

    /// Builds a trust domain from a name already checked by the ID parser.
    pub(crate) fn from_checked(name: &str) -> Self {
        Self {
            name: name.to_owned(),
        }
    }
}

impl FromStr for TrustDomain {
    type Err = SpiffeIdError;

    /// Parses a bare name, like [`TrustDomain::new`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<&str> for TrustDomain {
    type Error = SpiffeIdError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl fmt::Display for TrustDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl AsRef<str> for TrustDomain {
    fn as_ref(&self) -> &str {
        &self.name
    }
}

impl serde::Serialize for TrustDomain {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name)
    }
}

impl<'de> serde::Deserialize<'de> for TrustDomain {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Self::new(&name).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[path = "trust_domain_tests.rs"]
mod tests;
