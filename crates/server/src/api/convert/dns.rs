//! DNS names an entry or a CSR asks to put in an X509-SVID, checked as SPIRE's
//! `x509util.ValidateLabel` does: ASCII only, at most one wildcard and only as the whole
//! first label, then a strict hostname (LDH labels of 1..=63 bytes, no leading or trailing
//! hyphen, at most 253 bytes, no trailing dot).

/// Longest DNS name accepted, in bytes.
pub const MAX_DNS_NAME_LEN: usize = 253;
/// Longest DNS label accepted, in bytes.
pub const MAX_DNS_LABEL_LEN: usize = 63;

/// Why a DNS name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsNameError {
    #[error("name must be ascii")]
    NotAscii,
    #[error("too many wildcards")]
    TooManyWildcards,
    #[error("wildcard must be first label")]
    WildcardNotFirst,
    #[error("empty or only whitespace")]
    Empty,
    #[error("domain ends with dot")]
    TrailingDot,
    #[error("name {name:?} is {len} bytes long, more than {MAX_DNS_NAME_LEN}")]
    TooLong { name: String, len: usize },
    #[error("label {label:?} of {name:?} must be 1 to {MAX_DNS_LABEL_LEN} bytes long")]
    BadLabelLength { name: String, label: String },
    #[error("label {label:?} of {name:?} may hold only letters, digits and inner hyphens")]
    BadLabel { name: String, label: String },
    #[error("name {name:?} overlaps with an existing wildcard name in the list: wildcard overlap")]
    WildcardOverlap { name: String },
}

/// Checks one DNS name.
pub fn validate_dns_name(name: &str) -> Result<(), DnsNameError> {
    if !name.is_ascii() {
        return Err(DnsNameError::NotAscii);
    }
    let rest = match name.matches('*').count() {
        0 => name,
        1 => name
            .strip_prefix("*.")
            .ok_or(DnsNameError::WildcardNotFirst)?,
        _ => return Err(DnsNameError::TooManyWildcards),
    };
    if rest.trim().is_empty() {
        return Err(DnsNameError::Empty);
    }
    if rest.ends_with('.') {
        return Err(DnsNameError::TrailingDot);
    }
    if rest.len() > MAX_DNS_NAME_LEN {
        return Err(DnsNameError::TooLong {
            name: name.to_owned(),
            len: rest.len(),
        });
    }
    for label in rest.split('.') {
        check_label(name, label)?;
    }
    Ok(())
}

/// Refuses a list where a wildcard already covers one of the other names
/// (`*.example.org` with `www.example.org`), as SPIRE's `CheckForWildcardOverlap`.
/// One pass over a set of the names (a `contains` scan per name was O(n²)).
pub fn check_wildcard_overlap(names: &[String]) -> Result<(), DnsNameError> {
    let all: std::collections::HashSet<&str> = names.iter().map(String::as_str).collect();
    for name in names.iter().filter(|n| !n.starts_with('*')) {
        let Some((_, parent)) = name.split_once('.') else {
            continue;
        };
        let wildcard = format!("*.{parent}");
        if all.contains(wildcard.as_str()) {
            return Err(DnsNameError::WildcardOverlap { name: name.clone() });
        }
    }
    Ok(())
}

fn check_label(name: &str, label: &str) -> Result<(), DnsNameError> {
    if label.is_empty() || label.len() > MAX_DNS_LABEL_LEN {
        return Err(DnsNameError::BadLabelLength {
            name: name.to_owned(),
            label: label.to_owned(),
        });
    }
    let ldh = label
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !ldh || label.starts_with('-') || label.ends_with('-') {
        return Err(DnsNameError::BadLabel {
            name: name.to_owned(),
            label: label.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_hostnames_and_leading_wildcards() {
        for ok in [
            "example.org",
            "a-b.example.org",
            "*.example.org",
            "localhost",
            "x1",
        ] {
            assert_eq!(validate_dns_name(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_names_spire_rejects() {
        assert_eq!(validate_dns_name(""), Err(DnsNameError::Empty));
        assert_eq!(
            validate_dns_name("a.*.org"),
            Err(DnsNameError::WildcardNotFirst)
        );
        assert_eq!(
            validate_dns_name("*.*.org"),
            Err(DnsNameError::TooManyWildcards)
        );
        assert_eq!(
            validate_dns_name("example.org."),
            Err(DnsNameError::TrailingDot)
        );
        assert_eq!(
            validate_dns_name("exämple.org"),
            Err(DnsNameError::NotAscii)
        );
        assert!(matches!(
            validate_dns_name("-a.org"),
            Err(DnsNameError::BadLabel { .. })
        ));
        assert!(matches!(
            validate_dns_name("a_b.org"),
            Err(DnsNameError::BadLabel { .. })
        ));
        assert!(matches!(
            validate_dns_name("a..org"),
            Err(DnsNameError::BadLabelLength { .. })
        ));
    }

    #[test]
    fn wildcard_covering_another_name_is_an_overlap() {
        let names = vec!["*.example.org".to_owned(), "www.example.org".to_owned()];
        assert_eq!(
            check_wildcard_overlap(&names),
            Err(DnsNameError::WildcardOverlap {
                name: "www.example.org".into()
            })
        );
        let apart = vec!["*.example.org".to_owned(), "example.org".to_owned()];
        assert_eq!(check_wildcard_overlap(&apart), Ok(()));
    }
}
