//! `api watch`: holds a FetchX509SVID stream open and prints every update
//! as it arrives, retrying like go-spiffe's `WatchX509Context`.

use std::collections::BTreeMap;
use std::future::Future;
use std::io::Write;
use std::time::{Duration, Instant};

use spire_proto::workload::{X509svidRequest, X509svidResponse};

use super::client::WorkloadClient;
use super::x509_print::x509_svid_response_text;
use super::x509_svid::{X509SvidView, parse_certificates};
use crate::error::CliError;

/// go-spiffe's default backoff: 1s, doubling, capped at 30s.
const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Watches until `shutdown` completes or the agent rejects the request
/// outright; returns the exit code. Updates go to `out`, errors to `err`
/// (go-spiffe reports each failed attempt, then retries).
pub async fn watch(
    client: &WorkloadClient,
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
    shutdown: impl Future<Output = ()>,
) -> u8 {
    tokio::pin!(shutdown);
    let mut last_update = Instant::now();
    let mut backoff = INITIAL_BACKOFF;
    loop {
        let failure = tokio::select! {
            () = &mut shutdown => {
                // What go-spiffe reports when the context is cancelled: once
                // to the watcher, once as the command's error.
                let text = "rpc error: code = Canceled desc = context canceled\n";
                let _ = err.write_all(text.as_bytes());
                let _ = err.write_all(text.as_bytes());
                return 1;
            }
            failure = watch_once(client, out, &mut last_update, &mut backoff) => failure,
        };
        let _ = writeln!(err, "{failure}");
        if matches!(&failure, CliError::Rpc { code, .. } if code == "InvalidArgument") {
            let _ = writeln!(err, "{failure}");
            return 1;
        }
        tokio::select! {
            () = &mut shutdown => {
                let _ = writeln!(err, "context canceled");
                return 1;
            }
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One stream: prints updates until it fails, and returns the failure.
async fn watch_once(
    client: &WorkloadClient,
    out: &mut (dyn Write + Send),
    last_update: &mut Instant,
    backoff: &mut Duration,
) -> CliError {
    let mut request = tonic::Request::new(X509svidRequest {});
    request.metadata_mut().insert(
        "workload.spiffe.io",
        tonic::metadata::MetadataValue::from_static("true"),
    );
    let mut stream = match client.api().fetch_x509svid(request).await {
        Ok(response) => response.into_inner(),
        Err(status) => return client.status_error(status),
    };
    loop {
        let response = match stream.message().await {
            Ok(Some(response)) => response,
            Ok(None) => return CliError::invalid("EOF"),
            Err(status) => return client.status_error(status),
        };
        let svids = match watched_svids(&response) {
            Ok(svids) => svids,
            Err(e) => return e,
        };
        *backoff = INITIAL_BACKOFF;
        let text = x509_svid_response_text(&svids, last_update.elapsed());
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
        *last_update = Instant::now();
    }
}

/// go-spiffe's view of an update: each SVID with the bundle of its own
/// trust domain, every other bundle as federated, keyed by trust domain
/// name; hints are not shown.
pub fn watched_svids(response: &X509svidResponse) -> Result<Vec<X509SvidView>, CliError> {
    if response.svids.is_empty() {
        return Err(CliError::invalid("no SVIDs in response"));
    }
    let mut bundles: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for svid in &response.svids {
        let td = trust_domain_name(&svid.spiffe_id);
        let certs = parse_certificates(&svid.bundle).map_err(CliError::invalid)?;
        bundles.entry(td).or_insert(certs);
    }
    for (id, der) in &response.federated_bundles {
        let certs = parse_certificates(der).map_err(CliError::invalid)?;
        bundles.insert(trust_domain_name(id), certs);
    }
    response
        .svids
        .iter()
        .map(|svid| {
            let td = trust_domain_name(&svid.spiffe_id);
            let certificates = parse_certificates(&svid.x509_svid).map_err(CliError::invalid)?;
            if certificates.is_empty() {
                return Err(CliError::invalid("no certificates found"));
            }
            Ok(X509SvidView {
                spiffe_id: svid.spiffe_id.clone(),
                hint: String::new(),
                certificates,
                private_key: svid.x509_svid_key.clone().into(),
                bundle: bundles.get(&td).cloned().unwrap_or_default(),
                federated_bundles: bundles
                    .iter()
                    .filter(|(name, _)| **name != td)
                    .map(|(name, certs)| (name.clone(), certs.clone()))
                    .collect(),
            })
        })
        .collect()
}

/// `example.org` from `spiffe://example.org/path` (or from a bare name).
fn trust_domain_name(id: &str) -> String {
    let rest = id.strip_prefix("spiffe://").unwrap_or(id);
    rest.split('/').next().unwrap_or(rest).to_owned()
}
