//! Registration entries as `spire-server entry ...` prints them.

use std::cmp::Ordering;
use std::fmt::Write as _;

use spire_proto::spire::api::types::{Entry, Selector, Spiffeid};

use super::pluralize;
use super::time::go_utc;

/// One entry block (SPIRE's `printEntry`), ending with a blank line.
pub fn entry_block(e: &Entry) -> String {
    let mut o = String::new();
    let id = if e.id.is_empty() {
        "(none)"
    } else {
        e.id.as_str()
    };
    let _ = writeln!(o, "Entry ID         : {id}");
    let _ = writeln!(o, "SPIFFE ID        : {}", id_string(e.spiffe_id.as_ref()));
    let _ = writeln!(o, "Parent ID        : {}", id_string(e.parent_id.as_ref()));
    let _ = writeln!(o, "Revision         : {}", e.revision_number);
    if e.downstream {
        let _ = writeln!(o, "Downstream       : true");
    }
    match e.x509_svid_ttl {
        0 => o.push_str("X509-SVID TTL    : default\n"),
        ttl => {
            let _ = writeln!(o, "X509-SVID TTL    : {ttl}");
        }
    }
    match e.jwt_svid_ttl {
        0 => o.push_str("JWT-SVID TTL     : default\n"),
        ttl => {
            let _ = writeln!(o, "JWT-SVID TTL     : {ttl}");
        }
    }
    if e.expires_at != 0 {
        let _ = writeln!(o, "Expiration time  : {}", go_utc(e.expires_at));
    }
    for s in &e.selectors {
        let _ = writeln!(o, "Selector         : {}:{}", s.r#type, s.value);
    }
    for td in &e.federates_with {
        let _ = writeln!(o, "FederatesWith    : {td}");
    }
    for dns in &e.dns_names {
        let _ = writeln!(o, "DNS name         : {dns}");
    }
    if e.admin {
        o.push_str("Admin            : true\n");
    }
    if e.store_svid {
        o.push_str("StoreSvid        : true\n");
    }
    if !e.hint.is_empty() {
        let _ = writeln!(o, "Hint             : {}", e.hint);
    }
    if let Some(attrs) = &e.additional_attributes {
        if attrs.disable_x509_svid_prefetch {
            o.push_str("DisableX509SvidPrefetch : true\n");
        }
        if attrs.jwt_svid_include_jti {
            o.push_str("JwtSvidIncludeJti : true\n");
        }
    }
    o.push('\n');
    o
}

/// `entry show`: `Found N entries` then every entry block.
pub fn entry_list(entries: &[Entry]) -> String {
    let n = entries.len() as i64;
    let mut o = pluralize(&format!("Found {n} "), "entry", "entries", n);
    o.push('\n');
    for e in entries {
        o.push_str(&entry_block(e));
    }
    o
}

/// `entry count`: `N registration entries`.
pub fn entry_count(count: i32) -> String {
    let n = i64::from(count);
    pluralize(&format!("{n} registration "), "entry", "entries", n) + "\n"
}

/// `spiffe://<td><path>`, or empty for a missing ID (SPIRE's `protoToIDString`).
pub fn id_string(id: Option<&Spiffeid>) -> String {
    id.map(|id| format!("spiffe://{}{}", id.trust_domain, id.path))
        .unwrap_or_default()
}

/// SPIRE's `SortTypesEntries`: selectors sorted within each entry, entries by
/// SPIFFE ID, parent ID, X.509 TTL, JWT TTL, then selectors.
pub fn sort_entries(entries: &mut [Entry]) {
    for e in entries.iter_mut() {
        e.selectors.sort_by(compare_selector);
    }
    entries.sort_by(compare_entries);
}

fn compare_entries(a: &Entry, b: &Entry) -> Ordering {
    let parts = |id: Option<&Spiffeid>| {
        id.map(|i| (i.trust_domain.clone(), i.path.clone()))
            .unwrap_or_default()
    };
    parts(a.spiffe_id.as_ref())
        .cmp(&parts(b.spiffe_id.as_ref()))
        .then_with(|| parts(a.parent_id.as_ref()).cmp(&parts(b.parent_id.as_ref())))
        .then(a.x509_svid_ttl.cmp(&b.x509_svid_ttl))
        .then(a.jwt_svid_ttl.cmp(&b.jwt_svid_ttl))
        .then_with(|| {
            a.selectors.len().cmp(&b.selectors.len()).then_with(|| {
                a.selectors
                    .iter()
                    .zip(&b.selectors)
                    .map(|(x, y)| compare_selector(x, y))
                    .find(|o| o.is_ne())
                    .unwrap_or(Ordering::Equal)
            })
        })
}

fn compare_selector(a: &Selector, b: &Selector) -> Ordering {
    a.r#type.cmp(&b.r#type).then_with(|| a.value.cmp(&b.value))
}

#[cfg(test)]
#[path = "entry_tests.rs"]
mod tests;
