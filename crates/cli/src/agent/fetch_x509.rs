//! `api fetch x509` (also plain `api fetch`): one X509SVIDResponse, printed
//! or written to files as SPIRE's `fetch_x509.go` does.

use std::path::Path;
use std::time::Instant;

use spire_proto::workload::{X509svidRequest, X509svidResponse};

use super::client::WorkloadClient;
use super::x509_print::x509_svid_response_text;
use super::x509_svid::{Certificate, X509SvidView, parse_x509_svid_response};
use super::x509_verify::verify_x509_svids;
use crate::commands::{Console, OutputFormat, output_format};
use crate::error::CliError;
use crate::flags::{FlagSpec, ParsedFlags};
use crate::json::proto_json;
use crate::pretty::pem::pem_block;

pub const FLAGS: &[FlagSpec] = &[
    FlagSpec::bool("silent", "Suppress stdout"),
    FlagSpec::string(
        "write",
        "",
        "Write SVID data to the specified path (optional; only available for pretty output format)",
    ),
    crate::commands::OUTPUT_FLAG,
];

pub async fn fetch_x509(
    f: &ParsedFlags,
    client: &WorkloadClient,
    c: &mut Console,
) -> Result<(), CliError> {
    let format = output_format(f)?;
    let start = Instant::now();
    let response = first_x509_response(client).await?;
    let elapsed = start.elapsed();
    match format {
        OutputFormat::Json => {
            c.out
                .push_str(&proto_json(&response).map_err(|e| CliError::invalid(e.to_string()))?);
            Ok(())
        }
        OutputFormat::Pretty => {
            let svids = parse_x509_svid_response(&response)?;
            verify_x509_svids(&svids)?;
            if !f.bool("silent") {
                c.out.push_str(&x509_svid_response_text(&svids, elapsed));
            }
            let dir = f.string("write");
            if dir.is_empty() {
                Ok(())
            } else {
                write_svids(Path::new(&dir), &svids, c)
            }
        }
    }
}

/// The first message of the FetchX509SVID stream (Go's `stream.Recv()`).
pub async fn first_x509_response(client: &WorkloadClient) -> Result<X509svidResponse, CliError> {
    let first = client
        .call(async {
            let mut stream = client
                .api()
                .fetch_x509svid(client.request(X509svidRequest {}))
                .await?
                .into_inner();
            stream.message().await
        })
        .await?;
    // A stream closed without a message is io.EOF in grpc-go.
    first.ok_or_else(|| CliError::invalid("EOF"))
}

/// Writes `svid.N.pem`, `svid.N.key` (0600), `bundle.N.pem` and
/// `federated_bundle.N.M.pem` (M in trust-domain order) into `dir`, saying
/// so on stdout as SPIRE does.
pub fn write_svids(dir: &Path, svids: &[X509SvidView], c: &mut Console) -> Result<(), CliError> {
    for (i, svid) in svids.iter().enumerate() {
        let svid_path = dir.join(format!("svid.{i}.pem"));
        let key_path = dir.join(format!("svid.{i}.key"));
        let bundle_path = dir.join(format!("bundle.{i}.pem"));
        c.out.push_str(&format!(
            "Writing SVID #{i} to file {}.\n",
            svid_path.display()
        ));
        write_file(&svid_path, &certs_pem(&svid.certificates), 0o644)?;
        c.out.push_str(&format!(
            "Writing key #{i} to file {}.\n",
            key_path.display()
        ));
        write_file(
            &key_path,
            &pem_block("PRIVATE KEY", svid.private_key.expose_secret()),
            0o600,
        )?;
        c.out.push_str(&format!(
            "Writing bundle #{i} to file {}.\n",
            bundle_path.display()
        ));
        write_file(&bundle_path, &certs_pem(&svid.bundle), 0o644)?;
        for (j, (trust_domain, bundle)) in svid.federated_bundles.iter().enumerate() {
            let path = dir.join(format!("federated_bundle.{i}.{j}.pem"));
            c.out.push_str(&format!(
                "Writing federated bundle #{j} for trust domain {trust_domain} to file {}.\n",
                path.display()
            ));
            write_file(&path, &certs_pem(bundle), 0o644)?;
        }
    }
    Ok(())
}

fn certs_pem(certs: &[Certificate]) -> String {
    certs
        .iter()
        .map(|cert| pem_block("CERTIFICATE", &cert.der))
        .collect()
}

/// Writes crash-safely (SPIRE's `diskutil` atomic writes) through `spire-atomic-file`: the
/// temporary file has a random name, is created O_EXCL and 0600, so a file planted in a
/// shared `-write` directory (`svid.0.key.tmp`) is never opened, and a reader never sees half
/// a key. `mode` is exact whatever the umask.
fn write_file(path: &Path, data: &str, mode: u32) -> Result<(), CliError> {
    spire_atomic_file::replace(path, data.as_bytes(), mode).map_err(|e| CliError::Io {
        context: format!("failed to write {}", path.display()),
        source: e.into(),
    })
}
