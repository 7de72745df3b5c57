//! The DNS names an admin's CSR asks for. `spire_ca::csr` deliberately returns only the key
//! (workload identity never comes from a CSR); the admin `MintX509SVID` is the one place
//! where SPIRE takes the SVID's names from the CSR, so they are read here.

use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;

/// The DNS SANs of a CSR that already passed `spire_ca::csr::parse_workload_csr`.
pub fn requested_dns_names(der: &[u8]) -> Result<Vec<String>, String> {
    let (_, csr) = X509CertificationRequest::from_der(der).map_err(|e| e.to_string())?;
    let mut names = Vec::new();
    for extension in csr.requested_extensions().into_iter().flatten() {
        if let ParsedExtension::SubjectAlternativeName(san) = extension {
            names.extend(san.general_names.iter().filter_map(|name| match name {
                GeneralName::DNSName(dns) => Some((*dns).to_owned()),
                _ => None,
            }));
        }
    }
    Ok(names)
}
