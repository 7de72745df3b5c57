//! `x509 mint` and `jwt mint`: SVIDs minted by the server for any SPIFFE ID.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use spire_proto::spire::api::server::{bundle::v1 as bundleapi, svid::v1 as api};

use super::{Console, OUTPUT_FLAG, OutputFormat, emit, output_format};
use crate::client::AdminClient;
use crate::convert::spiffe_id;
use crate::error::CliError;
use crate::flags::{FlagSpec, ParsedFlags};
use crate::pretty::pem::pem_block;
use crate::pretty::time::rfc3339_utc;

pub const X509_FLAGS: &[FlagSpec] = &[
    FlagSpec::string("spiffeID", "", "SPIFFE ID of the X509-SVID"),
    FlagSpec::duration("ttl", "TTL of the X509-SVID"),
    FlagSpec::repeated(
        "dns",
        "DNS name that will be included in SVID. Can be used more than once.",
    ),
    FlagSpec::string(
        "write",
        "",
        "Directory to write output to instead of stdout",
    ),
    OUTPUT_FLAG,
];

pub const JWT_FLAGS: &[FlagSpec] = &[
    FlagSpec::string("spiffeID", "", "SPIFFE ID of the JWT-SVID"),
    FlagSpec::duration("ttl", "TTL of the JWT-SVID"),
    FlagSpec::repeated(
        "audience",
        "Audience claim that will be included in the SVID. Can be used more than once.",
    ),
    FlagSpec::string("write", "", "File to write token to instead of stdout"),
    OUTPUT_FLAG,
];

pub async fn x509(f: &ParsedFlags, client: &AdminClient, c: &mut Console) -> Result<(), CliError> {
    let format = output_format(f)?;
    let id_text = f.string("spiffeID");
    if id_text.is_empty() {
        return Err(CliError::invalid("spiffeID must be specified"));
    }
    spiffe_id(&id_text)?;
    let ttl = ttl_secs(f)?;
    let (csr, key_der) = csr_for(&id_text, &f.list("dns"))?;
    let resp = client
        .svid()
        .mint_x509svid(api::MintX509svidRequest { csr, ttl })
        .await
        .map_err(|e| CliError::from(e).context("unable to mint SVID"))?
        .into_inner();
    let svid = resp.svid.unwrap_or_default();
    if svid.cert_chain.is_empty() {
        return Err(CliError::invalid("server response missing SVID chain"));
    }
    let bundle = client
        .bundle()
        .get_bundle(bundleapi::GetBundleRequest { output_mask: None })
        .await
        .map_err(|e| CliError::from(e).context("unable to get bundle"))?
        .into_inner();
    if bundle.x509_authorities.is_empty() {
        return Err(CliError::invalid(
            "server response missing X509 Authorities",
        ));
    }
    if svid.expires_at - now_secs() < i64::from(ttl) {
        c.err.push_str(&format!(
            "X509-SVID lifetime was capped shorter than specified ttl; expires {:?}\n",
            rfc3339_utc(svid.expires_at)
        ));
    }
    let roots: Vec<&[u8]> = bundle
        .x509_authorities
        .iter()
        .map(|a| a.asn1.as_slice())
        .collect();
    let svid_pem: String = svid
        .cert_chain
        .iter()
        .map(|d| pem_block("CERTIFICATE", d))
        .collect();
    let key_pem = pem_block("PRIVATE KEY", &key_der);
    let bundle_pem: String = roots.iter().map(|d| pem_block("CERTIFICATE", d)).collect();
    let dir = f.string("write");
    if dir.is_empty() {
        if format == OutputFormat::Json {
            let b64 = |d: &[u8]| serde_json::Value::String(STANDARD.encode(d));
            // A Go struct, so fields keep declaration order (no key sorting).
            c.out.push_str(&format!(
                "{{\"x509_svid\":{},\"private_key\":{},\"root_cas\":{}}}\n",
                serde_json::Value::Array(svid.cert_chain.iter().map(|d| b64(d)).collect()),
                b64(&key_der),
                serde_json::Value::Array(roots.iter().map(|d| b64(d)).collect()),
            ));
        } else {
            c.out.push_str(&format!(
                "X509-SVID:\n{svid_pem}\nPrivate key:\n{key_pem}\nRoot CAs:\n{bundle_pem}\n"
            ));
        }
        return Ok(());
    }
    let dir = Path::new(&dir);
    let (svid_path, key_path, bundle_path) = (
        dir.join("svid.pem"),
        dir.join("key.pem"),
        dir.join("bundle.pem"),
    );
    write_file(&svid_path, svid_pem.as_bytes(), 0o644)
        .map_err(|e| e.context("unable to write SVID"))?;
    c.out
        .push_str(&format!("X509-SVID written to {}\n", svid_path.display()));
    write_file(&key_path, key_pem.as_bytes(), 0o600)
        .map_err(|e| e.context("unable to write key"))?;
    c.out
        .push_str(&format!("Private key written to {}\n", key_path.display()));
    write_file(&bundle_path, bundle_pem.as_bytes(), 0o644)
        .map_err(|e| e.context("unable to write bundle"))?;
    c.out
        .push_str(&format!("Root CAs written to {}\n", bundle_path.display()));
    Ok(())
}

pub async fn jwt(f: &ParsedFlags, client: &AdminClient, c: &mut Console) -> Result<(), CliError> {
    let format = output_format(f)?;
    let id_text = f.string("spiffeID");
    if id_text.is_empty() {
        return Err(CliError::invalid("spiffeID must be specified"));
    }
    let audience = f.list("audience");
    if audience.is_empty() {
        return Err(CliError::invalid("at least one audience must be specified"));
    }
    let id = spiffe_id(&id_text)?;
    let ttl = ttl_secs(f)?;
    let resp = client
        .svid()
        .mint_jwtsvid(api::MintJwtsvidRequest {
            id: Some(id),
            audience,
            ttl,
        })
        .await
        .map_err(|e| CliError::from(e).context("unable to mint SVID"))?
        .into_inner();
    let token = resp
        .svid
        .as_ref()
        .map(|s| s.token.clone())
        .unwrap_or_default();
    if token.is_empty() {
        return Err(CliError::invalid("server response missing token"));
    }
    match jwt_expiry(&token) {
        Some(exp) if exp - now_secs() < i64::from(ttl) => c.err.push_str(&format!(
            "JWT-SVID lifetime was capped shorter than specified ttl; expires {:?}\n",
            rfc3339_utc(exp)
        )),
        Some(_) => {}
        None => c
            .err
            .push_str("Unable to determine JWT-SVID lifetime: no expiry claim\n"),
    }
    let path = f.string("write");
    if path.is_empty() {
        return emit(c, format, &resp, |c| {
            c.out.push_str(&token);
            c.out.push('\n');
            Ok(())
        });
    }
    write_file(Path::new(&path), token.as_bytes(), 0o600)
        .map_err(|e| e.context("unable to write token"))?;
    c.out.push_str(&format!("JWT-SVID written to {path}\n"));
    Ok(())
}

/// A fresh P-256 key and a CSR carrying `spiffe_id` as its URI SAN (empty
/// subject, as Go's `x509.CreateCertificateRequest` with only SANs). Returns
/// the CSR and the key as PKCS#8 DER.
pub fn csr_for(spiffe_id: &str, dns_names: &[String]) -> Result<(Vec<u8>, Vec<u8>), CliError> {
    let fail = |e: rcgen::Error| CliError::invalid(format!("unable to generate CSR: {e}"));
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(|e| CliError::invalid(format!("unable to generate key: {e}")))?;
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    let uri = rcgen::string::Ia5String::try_from(spiffe_id.to_owned()).map_err(fail)?;
    params.subject_alt_names.push(rcgen::SanType::URI(uri));
    for dns in dns_names {
        let name = rcgen::string::Ia5String::try_from(dns.clone()).map_err(fail)?;
        params.subject_alt_names.push(rcgen::SanType::DnsName(name));
    }
    let csr = params.serialize_request(&key).map_err(fail)?;
    Ok((csr.der().to_vec(), key.serialize_der()))
}

fn ttl_secs(f: &ParsedFlags) -> Result<i32, CliError> {
    i32::try_from(f.duration_secs("ttl"))
        .map_err(|_| CliError::invalid("invalid value for TTL: overflow"))
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The `exp` claim of a compact JWT, read without verification (only to warn
/// about a capped lifetime, as SPIRE does).
fn jwt_expiry(token: &str) -> Option<i64> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("exp")?.as_f64().map(|e| e as i64)
}

/// Replaces `path` with `data` crash-safely through `spire-atomic-file` (random O_EXCL 0600
/// temporary file in the same directory, so nothing planted in a shared `-write` directory is
/// ever opened); `mode` applies whatever the umask.
fn write_file(path: &Path, data: &[u8], mode: u32) -> Result<(), CliError> {
    spire_atomic_file::replace(path, data, mode).map_err(|e| CliError::Io {
        context: format!("write {}", path.display()),
        source: e.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csr_is_der_and_key_is_pkcs8() {
        let (csr, key) =
            csr_for("spiffe://example.org/w", &["w.local".to_owned()]).expect("CSR builds");
        assert_eq!(csr[0], 0x30);
        assert_eq!(key[0], 0x30);
        let uri = b"spiffe://example.org/w";
        assert!(
            csr.windows(uri.len()).any(|w| w == uri),
            "CSR carries the SPIFFE ID"
        );
    }

    #[test]
    fn reads_exp_from_an_unverified_jwt() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"exp":1700000000,"sub":"x"}"#);
        assert_eq!(
            jwt_expiry(&format!("e30.{payload}.sig")),
            Some(1_700_000_000)
        );
        assert_eq!(jwt_expiry("garbage"), None);
    }

    #[test]
    fn written_key_files_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = std::env::temp_dir().join(format!("spire-cli-mint-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("key.pem");
        write_file(&path, b"k", 0o600).expect("write succeeds");
        let mode = std::fs::metadata(&path)
            .expect("file exists")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read(&path).expect("readable"), b"k");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
