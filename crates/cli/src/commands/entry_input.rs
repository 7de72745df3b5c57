//! Turning `entry create/update/show/count` flags and `-data` files into wire
//! messages, with SPIRE's validation messages. No I/O.

use serde_json::Value;
use spire_proto::spire::api::types::{
    Entry, FederatesWithMatch, SelectorMatch, entry::AdditionalAttributes, selector_match,
};

use crate::convert::{selector, spiffe_id};
use crate::error::CliError;
use crate::flags::ParsedFlags;

/// The path SPIRE gives node entries as parent (`idutil.ServerIDPath`).
pub const SERVER_ID_PATH: &str = "/spire/server";

/// `entry create` without `-data`: SPIRE's `validate` then `parseConfig`.
pub fn create_entry(f: &ParsedFlags) -> Result<Entry, CliError> {
    let selectors = f.list("selector");
    let node = f.bool("node");
    if selectors.is_empty() {
        return Err(CliError::invalid("at least one selector is required"));
    }
    if node && !f.list("federatesWith").is_empty() {
        return Err(CliError::invalid("node entries can not federate"));
    }
    if f.string("parentID").is_empty() && !node {
        return Err(CliError::invalid(
            "a parent ID is required if the node flag is not set",
        ));
    }
    check_common(f)?;
    let id = spiffe_id(&f.string("spiffeID"))?;
    let parent = if node {
        spire_proto::spire::api::types::Spiffeid {
            trust_domain: id.trust_domain.clone(),
            path: SERVER_ID_PATH.into(),
        }
    } else {
        spiffe_id(&f.string("parentID"))?
    };
    let mut e = entry_from_flags(f)?;
    e.spiffe_id = Some(id);
    e.parent_id = Some(parent);
    e.store_svid = f.bool("storeSVID");
    if f.bool("disableX509SVIDPrefetch") || f.bool("jwtSVIDIncludeJTI") {
        e.additional_attributes = Some(additional_attributes(f));
    }
    Ok(e)
}

/// `entry update` without `-data`.
pub fn update_entry(f: &ParsedFlags) -> Result<Entry, CliError> {
    if f.string("entryID").is_empty() {
        return Err(CliError::invalid("entry ID is required"));
    }
    if f.list("selector").is_empty() {
        return Err(CliError::invalid("at least one selector is required"));
    }
    if f.string("parentID").is_empty() {
        return Err(CliError::invalid("a parent ID is required"));
    }
    check_common(f)?;
    let parent = spiffe_id(&f.string("parentID"))?;
    let id = spiffe_id(&f.string("spiffeID"))?;
    let mut e = entry_from_flags(f)?;
    e.parent_id = Some(parent);
    e.spiffe_id = Some(id);
    e.store_svid = f.bool("storeSVID");
    if f.is_set("disableX509SVIDPrefetch") || f.is_set("jwtSVIDIncludeJTI") {
        e.additional_attributes = Some(additional_attributes(f));
    }
    Ok(e)
}

/// The entries of a `-data` JSON document (`{"entries": [...]}` in SPIRE's
/// `common.RegistrationEntries` layout; keys matched case-insensitively as
/// Go's `encoding/json` does).
pub fn entries_from_json(text: &str) -> Result<Vec<Entry>, CliError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| CliError::invalid(e.to_string()))?;
    let entries = match field(&doc, "entries") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(CliError::invalid(
                "json: cannot unmarshal \"entries\": not an array",
            ));
        }
    };
    entries.iter().map(entry_from_json).collect()
}

/// A selector/federation match mode (`exact`, `any`, `superset`, `subset`).
pub fn match_behavior(mode: &str) -> Result<i32, CliError> {
    Ok(match mode {
        "exact" => selector_match::MatchBehavior::MatchExact as i32,
        "any" => selector_match::MatchBehavior::MatchAny as i32,
        "superset" => selector_match::MatchBehavior::MatchSuperset as i32,
        "subset" => selector_match::MatchBehavior::MatchSubset as i32,
        _ => {
            return Err(CliError::invalid(format!(
                "match behavior {mode:?} unknown"
            )));
        }
    })
}

/// The `-selector`/`-matchSelectorsOn` filter, if any selector was given.
pub fn selector_filter(f: &ParsedFlags) -> Result<Option<SelectorMatch>, CliError> {
    let given = f.list("selector");
    if given.is_empty() {
        return Ok(None);
    }
    let behavior = match_behavior(&f.string("matchSelectorsOn"))?;
    let selectors = given
        .iter()
        .map(|s| selector(s).map_err(|e| e.context("error parsing selectors")))
        .collect::<Result<_, _>>()?;
    Ok(Some(SelectorMatch {
        selectors,
        r#match: behavior,
    }))
}

/// The `-federatesWith`/`-matchFederatesWithOn` filter (the federation
/// match enum numbers its modes as the selector one does).
pub fn federates_with_filter(f: &ParsedFlags) -> Result<Option<FederatesWithMatch>, CliError> {
    let trust_domains = f.list("federatesWith");
    if trust_domains.is_empty() {
        return Ok(None);
    }
    let behavior = match_behavior(&f.string("matchFederatesWithOn"))?;
    Ok(Some(FederatesWithMatch {
        trust_domains,
        r#match: behavior,
    }))
}

fn check_common(f: &ParsedFlags) -> Result<(), CliError> {
    if f.string("spiffeID").is_empty() {
        return Err(CliError::invalid("a SPIFFE ID is required"));
    }
    if f.int("x509SVIDTTL") < 0 {
        return Err(CliError::invalid("a positive x509-SVID TTL is required"));
    }
    if f.int("jwtSVIDTTL") < 0 {
        return Err(CliError::invalid("a positive JWT-SVID TTL is required"));
    }
    Ok(())
}

fn entry_from_flags(f: &ParsedFlags) -> Result<Entry, CliError> {
    let ttl = |name: &str, what: &str| {
        i32::try_from(f.int(name))
            .map_err(|_| CliError::invalid(format!("invalid value for {what} TTL: overflow")))
    };
    Ok(Entry {
        id: f.string("entryID"),
        downstream: f.bool("downstream"),
        expires_at: f.int("entryExpiry"),
        dns_names: f.list("dns"),
        x509_svid_ttl: ttl("x509SVIDTTL", "X509 SVID")?,
        jwt_svid_ttl: ttl("jwtSVIDTTL", "JWT SVID")?,
        hint: f.string("hint"),
        selectors: f
            .list("selector")
            .iter()
            .map(|s| selector(s))
            .collect::<Result<_, _>>()?,
        federates_with: f.list("federatesWith"),
        admin: f.bool("admin"),
        ..Entry::default()
    })
}

fn additional_attributes(f: &ParsedFlags) -> AdditionalAttributes {
    AdditionalAttributes {
        disable_x509_svid_prefetch: f.bool("disableX509SVIDPrefetch"),
        jwt_svid_include_jti: f.bool("jwtSVIDIncludeJTI"),
    }
}

fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn entry_from_json(v: &Value) -> Result<Entry, CliError> {
    let bad = |key: &str| {
        CliError::invalid(format!(
            "json: cannot unmarshal entry field {key:?}: wrong type"
        ))
    };
    let string = |key: &str| match field(v, key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(bad(key)),
    };
    let strings = |key: &str| match field(v, key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned).ok_or_else(|| bad(key)))
            .collect(),
        Some(_) => Err(bad(key)),
    };
    let int = |key: &str| match field(v, key) {
        None | Some(Value::Null) => Ok(0),
        Some(n) => n.as_i64().ok_or_else(|| bad(key)),
    };
    let boolean = |key: &str| match field(v, key) {
        None | Some(Value::Null) => Ok(false),
        Some(b) => b.as_bool().ok_or_else(|| bad(key)),
    };
    let ttl = |key: &str| int(key).and_then(|n| i32::try_from(n).map_err(|_| bad(key)));
    let selectors = match field(v, "selectors") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|s| {
                let part = |k: &str| {
                    field(s, k)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                spire_proto::spire::api::types::Selector {
                    r#type: part("type"),
                    value: part("value"),
                }
            })
            .collect(),
        Some(_) => return Err(bad("selectors")),
    };
    let additional_attributes = match field(v, "additional_attributes") {
        None | Some(Value::Null) => None,
        Some(a) => Some(AdditionalAttributes {
            disable_x509_svid_prefetch: field(a, "disable_x509_svid_prefetch")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            jwt_svid_include_jti: field(a, "jwt_svid_include_jti")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        }),
    };
    Ok(Entry {
        id: string("entry_id")?,
        spiffe_id: Some(spiffe_id(&string("spiffe_id")?)?),
        parent_id: Some(spiffe_id(&string("parent_id")?)?),
        selectors,
        x509_svid_ttl: ttl("x509_svid_ttl")?,
        federates_with: strings("federates_with")?,
        admin: boolean("admin")?,
        downstream: boolean("downstream")?,
        expires_at: int("entryExpiry")?,
        dns_names: strings("dns_names")?,
        revision_number: int("revision_number")?,
        store_svid: boolean("store_svid")?,
        jwt_svid_ttl: ttl("jwt_svid_ttl")?,
        hint: string("hint")?,
        created_at: int("created_at")?,
        additional_attributes,
    })
}

#[cfg(test)]
#[path = "entry_input_tests.rs"]
mod tests;
