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
            &pem_block("PRIVATE KEY", &svid.private_key),
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

/// Writes through a temporary file renamed into place (SPIRE's `diskutil`
/// atomic writes), so a reader never sees half a key; the mode is set before
/// any byte is written, so a private key is never world-readable.
fn write_file(path: &Path, data: &str, mode: u32) -> Result<(), CliError> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let io_error = |source| CliError::Io {
        context: format!("failed to write {}", path.display()),
        source,
    };
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp_name);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)
        .map_err(io_error)?;
    file.write_all(data.as_bytes()).map_err(io_error)?;
    file.sync_all().map_err(io_error)?;
    drop(file);
    // `mode` is masked by the umask at creation; pin it exactly.
    std::fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(mode))
        .map_err(io_error)?;
    std::fs::rename(&tmp, path).map_err(io_error)
}
