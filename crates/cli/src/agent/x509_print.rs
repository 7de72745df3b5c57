//! The pretty output of `api fetch x509` and `api watch` (SPIRE's
//! `printX509SVIDResponse`), as text so tests compare it byte for byte.

use std::time::Duration;

use super::go_duration::go_duration_string;
use super::x509_svid::{Certificate, X509SvidView};
use crate::pretty::time::go_utc;

/// `Received N svid(s) after D`, then each SVID, then a blank line.
pub fn x509_svid_response_text(svids: &[X509SvidView], response_time: Duration) -> String {
    let plural = if svids.len() == 1 { "" } else { "s" };
    let mut out = format!(
        "Received {} svid{plural} after {}\n",
        svids.len(),
        go_duration_string(response_time)
    );
    for svid in svids {
        out.push('\n');
        out.push_str(&x509_svid_text(svid));
        for (trust_domain, bundle) in &svid.federated_bundles {
            out.push_str(&federated_bundle_text(trust_domain, bundle));
        }
    }
    out.push('\n');
    out
}

/// One SVID: ID, hint, validity of leaf, intermediates and CAs.
pub fn x509_svid_text(svid: &X509SvidView) -> String {
    let mut out = format!("SPIFFE ID:\t\t{}\n", svid.spiffe_id);
    if !svid.hint.is_empty() {
        out.push_str(&format!("Hint:\t\t\t{}\n", svid.hint));
    }
    if let Some(leaf) = svid.certificates.first() {
        out.push_str(&format!("SVID Valid After:\t{}\n", go_utc(leaf.not_before)));
        out.push_str(&format!("SVID Valid Until:\t{}\n", go_utc(leaf.not_after)));
    }
    for (i, cert) in svid.certificates.iter().skip(1).enumerate() {
        let n = i + 1;
        out.push_str(&format!(
            "Intermediate #{n} Valid After:\t{}\n",
            go_utc(cert.not_before)
        ));
        out.push_str(&format!(
            "Intermediate #{n} Valid Until:\t{}\n",
            go_utc(cert.not_after)
        ));
    }
    for (i, ca) in svid.bundle.iter().enumerate() {
        let n = i + 1;
        out.push_str(&format!(
            "CA #{n} Valid After:\t{}\n",
            go_utc(ca.not_before)
        ));
        out.push_str(&format!("CA #{n} Valid Until:\t{}\n", go_utc(ca.not_after)));
    }
    out
}

/// `[td] CA #n Valid After/Until` lines of one federated bundle.
pub fn federated_bundle_text(trust_domain: &str, bundle: &[Certificate]) -> String {
    let mut out = String::new();
    for (i, ca) in bundle.iter().enumerate() {
        let n = i + 1;
        out.push_str(&format!(
            "[{trust_domain}] CA #{n} Valid After:\t{}\n",
            go_utc(ca.not_before)
        ));
        out.push_str(&format!(
            "[{trust_domain}] CA #{n} Valid Until:\t{}\n",
            go_utc(ca.not_after)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn cert(not_before: i64, not_after: i64) -> Certificate {
        Certificate {
            der: Vec::new(),
            not_before,
            not_after,
        }
    }

    fn svid(hint: &str) -> X509SvidView {
        X509SvidView {
            spiffe_id: "spiffe://example.org/foo".to_owned(),
            hint: hint.to_owned(),
            certificates: vec![cert(1_700_000_000, 1_700_003_600)],
            private_key: Default::default(),
            bundle: vec![cert(1_600_000_000, 1_900_000_000)],
            federated_bundles: BTreeMap::new(),
        }
    }

    #[test]
    fn prints_one_svid_with_hint_like_spire() {
        let text = x509_svid_response_text(&[svid("external")], Duration::from_micros(1500));
        assert_eq!(
            text,
            "Received 1 svid after 1.5ms\n\
             \n\
             SPIFFE ID:\t\tspiffe://example.org/foo\n\
             Hint:\t\t\texternal\n\
             SVID Valid After:\t2023-11-14 22:13:20 +0000 UTC\n\
             SVID Valid Until:\t2023-11-14 23:13:20 +0000 UTC\n\
             CA #1 Valid After:\t2020-09-13 12:26:40 +0000 UTC\n\
             CA #1 Valid Until:\t2030-03-17 17:46:40 +0000 UTC\n\
             \n"
        );
    }

    #[test]
    fn prints_intermediates_federated_bundles_and_plural() {
        let mut one = svid("");
        one.certificates.push(cert(0, 60));
        one.federated_bundles
            .insert("spiffe://a.test".to_owned(), vec![cert(0, 1)]);
        let text = x509_svid_response_text(&[one.clone(), one], Duration::from_secs(2));
        assert!(text.starts_with(
            "Received 2 svids after 2s\n\nSPIFFE ID:\t\tspiffe://example.org/foo\nSVID Valid After:"
        ));
        assert!(text.contains(
            "Intermediate #1 Valid After:\t1970-01-01 00:00:00 +0000 UTC\n\
             Intermediate #1 Valid Until:\t1970-01-01 00:01:00 +0000 UTC\n"
        ));
        assert!(text.contains(
            "[spiffe://a.test] CA #1 Valid After:\t1970-01-01 00:00:00 +0000 UTC\n\
             [spiffe://a.test] CA #1 Valid Until:\t1970-01-01 00:00:01 +0000 UTC\n"
        ));
        assert_eq!(text.matches("SPIFFE ID:").count(), 2);
        assert!(text.ends_with("UTC\n\n"));
    }
}
