//! SPIRE's check that each fetched SVID chains to its own trust bundle
//! (`validateX509SVID`): the ID parses, and leaf → intermediates → a bundle
//! authority verifies signature by signature.

use spire_spiffe::SpiffeId;
use x509_parser::certificate::X509Certificate;

use super::x509_svid::X509SvidView;
use crate::error::CliError;

/// How many issuers a chain may climb before we give up (Go caps it too).
const MAX_CHAIN: usize = 10;

/// Fails with SPIRE's text when any SVID does not verify against its bundle.
pub fn verify_x509_svids(svids: &[X509SvidView]) -> Result<(), CliError> {
    svids.iter().try_for_each(verify_x509_svid)
}

fn verify_x509_svid(svid: &X509SvidView) -> Result<(), CliError> {
    svid.spiffe_id
        .parse::<SpiffeId>()
        .map_err(|e| CliError::invalid(e.to_string()))?;
    let failed = |reason: &str| {
        CliError::invalid(format!(
            "{:?} SVID failed verification against bundle: x509svid: could not verify leaf certificate: {reason}",
            svid.spiffe_id
        ))
    };
    let chain =
        parse_all(svid.certificates.iter().map(|c| c.der.as_slice())).map_err(|e| failed(&e))?;
    let roots = parse_all(svid.bundle.iter().map(|c| c.der.as_slice())).map_err(|e| failed(&e))?;
    let Some((leaf, intermediates)) = chain.split_first() else {
        return Err(failed("no certificates found"));
    };
    let mut current = leaf;
    for _ in 0..MAX_CHAIN {
        if roots.iter().any(|root| issued_by(current, root)) {
            return Ok(());
        }
        match intermediates.iter().find(|i| issued_by(current, i)) {
            Some(next) if !std::ptr::eq(next, current) => current = next,
            _ => break,
        }
    }
    Err(failed("x509: certificate signed by unknown authority"))
}

fn issued_by(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
    cert.issuer() == issuer.subject() && cert.verify_signature(Some(issuer.public_key())).is_ok()
}

fn parse_all<'a>(ders: impl Iterator<Item = &'a [u8]>) -> Result<Vec<X509Certificate<'a>>, String> {
    ders.map(|der| {
        x509_parser::parse_x509_certificate(der)
            .map(|(_, cert)| cert)
            .map_err(|e| format!("x509: malformed certificate: {e}"))
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

    use super::*;
    use crate::agent::x509_svid::Certificate;

    fn ca(name: &str) -> (CertificateParams, KeyPair, Vec<u8>) {
        let key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let der = params.self_signed(&key).expect("signed").der().to_vec();
        (params, key, der)
    }

    fn cert(der: Vec<u8>) -> Certificate {
        Certificate {
            der,
            not_before: 0,
            not_after: 0,
        }
    }

    fn svid(chain: Vec<Vec<u8>>, bundle: Vec<u8>) -> X509SvidView {
        X509SvidView {
            spiffe_id: "spiffe://example.org/w".to_owned(),
            hint: String::new(),
            certificates: chain.into_iter().map(cert).collect(),
            private_key: Default::default(),
            bundle: vec![cert(bundle)],
            federated_bundles: BTreeMap::new(),
        }
    }

    #[test]
    fn accepts_a_chain_through_an_intermediate_and_rejects_a_foreign_bundle() {
        let (root_params, root_key, root_der) = ca("root");
        let (_, _, other_der) = ca("root");
        let root = Issuer::new(root_params, root_key);
        let mut mid_params = CertificateParams::new(Vec::<String>::new()).expect("params");
        mid_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "intermediate");
        mid_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let mid_key = KeyPair::generate().expect("key");
        let mid_der = mid_params
            .signed_by(&mid_key, &root)
            .expect("signed")
            .der()
            .to_vec();
        let mid = Issuer::new(mid_params, mid_key);
        let leaf_key = KeyPair::generate().expect("key");
        let leaf_der = CertificateParams::new(Vec::<String>::new())
            .expect("params")
            .signed_by(&leaf_key, &mid)
            .expect("signed")
            .der()
            .to_vec();
        let chain = vec![leaf_der, mid_der];
        verify_x509_svids(&[svid(chain.clone(), root_der)]).expect("chains to its bundle");
        let err = verify_x509_svids(&[svid(chain, other_der)]).expect_err("foreign root");
        assert_eq!(
            err.to_string(),
            "\"spiffe://example.org/w\" SVID failed verification against bundle: x509svid: could not verify leaf certificate: x509: certificate signed by unknown authority"
        );
    }

    #[test]
    fn rejects_an_svid_whose_id_is_not_a_spiffe_id() {
        let (_, _, root_der) = ca("root");
        let mut bad = svid(vec![root_der.clone()], root_der);
        bad.spiffe_id = "https://example.org/w".to_owned();
        let err = verify_x509_svids(&[bad]).expect_err("not spiffe://");
        assert_eq!(
            err.to_string(),
            "SPIFFE ID scheme \"https\" is not \"spiffe\""
        );
    }
}
