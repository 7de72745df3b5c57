//! The X509-SVID from the SPIFFE Workload API, fetched fresh for each connection.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use spire_proto::workload::X509svidRequest;
use spire_proto::workload::spiffe_workload_api_client::SpiffeWorkloadApiClient;
use tonic::metadata::MetadataValue;
use tonic::transport::Endpoint;

use crate::LinkError;

/// How long one Workload API fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// One X509-SVID with what the link needs to know about its leaf.
#[derive(Debug)]
pub struct WorkloadSvid {
    pub spiffe_id: String,
    /// Leaf first, then intermediates.
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    pub not_before: SystemTime,
    pub not_after: SystemTime,
    /// The leaf's serial number, lower-case hex: tells one SVID from the next.
    pub serial: String,
    /// The leaf's subject CN, which Mosquitto uses as the username; `None` if there is none.
    pub common_name: Option<String>,
}

/// Fetches the first message of FetchX509SVID from the agent at `socket` and picks the SVID
/// for `spiffe_id` (the first one when `None`).
pub async fn fetch_x509_svid(
    socket: &Path,
    spiffe_id: Option<&str>,
) -> Result<WorkloadSvid, LinkError> {
    let api_error = |message: String| LinkError::WorkloadApi {
        socket: socket.to_path_buf(),
        message,
    };
    let fetch = async {
        let path: PathBuf = socket.to_path_buf();
        let channel = Endpoint::try_from("http://localhost")
            .map_err(|e| api_error(e.to_string()))?
            .connect_with_connector(tower::service_fn(move |_| {
                let path = path.clone();
                async move {
                    let stream = tokio::net::UnixStream::connect(path).await?;
                    Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
                }
            }))
            .await
            .map_err(|e| api_error(format!("connect: {e}")))?;
        let mut request = tonic::Request::new(X509svidRequest {});
        // The security header every Workload API call must carry (SPIFFE Workload API spec).
        request
            .metadata_mut()
            .insert("workload.spiffe.io", MetadataValue::from_static("true"));
        let mut stream = SpiffeWorkloadApiClient::new(channel)
            .fetch_x509svid(request)
            .await
            .map_err(|s| api_error(format!("{:?}: {}", s.code(), s.message())))?
            .into_inner();
        stream
            .message()
            .await
            .map_err(|s| api_error(format!("{:?}: {}", s.code(), s.message())))?
            .ok_or_else(|| api_error("stream closed before the first response".into()))
    };
    let response = tokio::time::timeout(FETCH_TIMEOUT, fetch)
        .await
        .map_err(|_| api_error(format!("no response within {FETCH_TIMEOUT:?}")))??;
    let svid = response
        .svids
        .into_iter()
        .find(|s| spiffe_id.is_none_or(|want| s.spiffe_id == want))
        .ok_or_else(|| LinkError::NoSvid {
            socket: socket.to_path_buf(),
            wanted: spiffe_id.map(|id| format!(" for {id}")).unwrap_or_default(),
        })?;
    from_wire(svid.spiffe_id, &svid.x509_svid, svid.x509_svid_key)
}

/// Builds a [`WorkloadSvid`] from the Workload API's concatenated DER chain and PKCS#8 key.
pub fn from_wire(
    spiffe_id: String,
    chain_der: &[u8],
    key_pkcs8: Vec<u8>,
) -> Result<WorkloadSvid, LinkError> {
    let bad = |message: String| LinkError::BadSvid {
        spiffe_id: spiffe_id.clone(),
        message,
    };
    let chain = split_der_chain(chain_der).map_err(bad)?;
    let leaf = chain
        .first()
        .ok_or_else(|| bad("empty certificate chain".into()))?;
    let (_, cert) = x509_parser::parse_x509_certificate(leaf)
        .map_err(|e| bad(format!("leaf certificate: {e}")))?;
    let validity = cert.validity();
    let to_time = |t: x509_parser::time::ASN1Time| {
        SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(t.timestamp()).unwrap_or(0))
    };
    let common_name = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned);
    Ok(WorkloadSvid {
        not_before: to_time(validity.not_before),
        not_after: to_time(validity.not_after),
        serial: cert.raw_serial_as_string().replace(':', ""),
        common_name,
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pkcs8)),
        chain,
        spiffe_id,
    })
}

/// Splits concatenated DER certificates (how the Workload API sends chains and bundles).
pub fn split_der_chain(mut der: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let mut certs = Vec::new();
    while !der.is_empty() {
        let (rest, _) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| format!("certificate {}: {e}", certs.len()))?;
        let len = der.len() - rest.len();
        certs.push(CertificateDer::from(der[..len].to_vec()));
        der = rest;
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(cn: Option<&str>) -> (Vec<u8>, Vec<u8>) {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(vec!["robot-a".to_owned()]).expect("p");
        params.distinguished_name = rcgen::DistinguishedName::new();
        if let Some(cn) = cn {
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, cn);
        }
        let cert = params.self_signed(&key).expect("cert");
        (cert.der().to_vec(), key.serialize_der())
    }

    #[test]
    fn splits_a_concatenated_chain() {
        let (a, _) = cert(None);
        let (b, _) = cert(None);
        let chain = split_der_chain(&[a.clone(), b.clone()].concat()).expect("two certs");
        assert_eq!(chain.len(), 2);
        assert_eq!(chain[0].as_ref(), a.as_slice());
        assert_eq!(chain[1].as_ref(), b.as_slice());
    }

    #[test]
    fn reads_the_common_name_mosquitto_uses_as_username() {
        let (der, key) = cert(Some("robot-a"));
        let svid = from_wire("spiffe://example.org/robot/a".into(), &der, key).expect("svid");
        assert_eq!(svid.common_name.as_deref(), Some("robot-a"));
        assert!(svid.not_after > svid.not_before);
        assert!(!svid.serial.is_empty());
    }

    #[test]
    fn garbage_in_the_chain_names_the_svid() {
        let err = from_wire("spiffe://example.org/x".into(), b"nope", vec![]).expect_err("bad");
        assert!(
            err.to_string()
                .starts_with("X509-SVID spiffe://example.org/x: certificate 0: "),
            "{err}"
        );
    }
}
