//! `bundle show|list|set|delete|count`.

use spire_proto::spire::api::server::bundle::v1 as api;

use super::entry::read_input;
use super::{Console, OUTPUT_FLAG, emit, output_format};
use crate::client::AdminClient;
use crate::convert::bundle_from_domain;
use crate::error::CliError;
use crate::flags::{FlagSpec, ParsedFlags};
use crate::pretty::bundle::{FORMAT_PEM, bundle_count, bundle_list, bundle_text, validate_format};

pub const SHOW_FLAGS: &[FlagSpec] = &[
    FlagSpec::string(
        "format",
        "pem",
        "The format to show the bundle (only pretty output format supports this flag). Either \"pem\" or \"spiffe\".",
    ),
    OUTPUT_FLAG,
];
pub const LIST_FLAGS: &[FlagSpec] = &[
    FlagSpec::string("id", "", "SPIFFE ID of the trust domain"),
    FlagSpec::string(
        "format",
        "pem",
        "The format to list federated bundles (only pretty output format supports this flag). Either \"pem\" or \"spiffe\".",
    ),
    OUTPUT_FLAG,
];
pub const SET_FLAGS: &[FlagSpec] = &[
    FlagSpec::string("id", "", "SPIFFE ID of the trust domain"),
    FlagSpec::string("path", "", "Path to the bundle data"),
    FlagSpec::string(
        "format",
        "pem",
        "The format of the bundle data. Either \"pem\" or \"spiffe\".",
    ),
    OUTPUT_FLAG,
];
pub const DELETE_FLAGS: &[FlagSpec] = &[
    FlagSpec::string("id", "", "SPIFFE ID of the trust domain"),
    FlagSpec::string(
        "mode",
        "restrict",
        "Deletion mode: one of restrict, delete, or dissociate",
    ),
    OUTPUT_FLAG,
];
pub const COUNT_FLAGS: &[FlagSpec] = &[OUTPUT_FLAG];

pub async fn show(f: &ParsedFlags, client: &AdminClient, c: &mut Console) -> Result<(), CliError> {
    let format = output_format(f)?;
    let bundle = client
        .bundle()
        .get_bundle(api::GetBundleRequest { output_mask: None })
        .await?
        .into_inner();
    emit(c, format, &bundle, |c| {
        c.out
            .push_str(&bundle_text(&bundle, &f.string("format"), false)?);
        Ok(())
    })
}

pub async fn list(f: &ParsedFlags, client: &AdminClient, c: &mut Console) -> Result<(), CliError> {
    let format = output_format(f)?;
    let id = f.string("id");
    if !id.is_empty() {
        let bundle = client
            .bundle()
            .get_federated_bundle(api::GetFederatedBundleRequest {
                trust_domain: id,
                output_mask: None,
            })
            .await?
            .into_inner();
        return emit(c, format, &bundle, |c| {
            c.out
                .push_str(&bundle_text(&bundle, &f.string("format"), false)?);
            Ok(())
        });
    }
    let resp = client
        .bundle()
        .list_federated_bundles(api::ListFederatedBundlesRequest::default())
        .await?
        .into_inner();
    emit(c, format, &resp, |c| {
        c.out
            .push_str(&bundle_list(&resp.bundles, &f.string("format"))?);
        Ok(())
    })
}

pub async fn set(f: &ParsedFlags, client: &AdminClient, c: &mut Console) -> Result<(), CliError> {
    let format = output_format(f)?;
    let id = f.string("id");
    if id.is_empty() {
        return Err(CliError::invalid("id flag is required"));
    }
    let bundle_format = validate_format(&f.string("format"))?;
    let path = f.string("path");
    let data = read_input(if path.is_empty() { "-" } else { &path })
        .map_err(|e| e.context("unable to load bundle data"))?;
    let parsed = if bundle_format == FORMAT_PEM {
        spire_spiffe::Bundle::from_pem(&id, &data)
            .map_err(|e| CliError::invalid(format!("unable to parse bundle data: {e}")))?
    } else {
        spire_spiffe::Bundle::from_spiffe_json(&id, &data)
            .map_err(|e| CliError::invalid(format!("unable to parse to spiffe bundle: {e}")))?
    };
    let mut bundle = bundle_from_domain(&parsed);
    // SPIRE sends the -id value as given for PEM input.
    if bundle_format == FORMAT_PEM {
        bundle.trust_domain = id;
    }
    let resp = client
        .bundle()
        .batch_set_federated_bundle(api::BatchSetFederatedBundleRequest {
            bundle: vec![bundle],
            output_mask: None,
        })
        .await
        .map_err(|e| CliError::from(e).context("failed to set federated bundle"))?
        .into_inner();
    emit(c, format, &resp, |c| {
        let status = resp
            .results
            .first()
            .and_then(|r| r.status.clone())
            .unwrap_or_default();
        if status.code != 0 {
            return Err(CliError::invalid(format!(
                "failed to set federated bundle: {}",
                status.message
            )));
        }
        c.out.push_str("bundle set.\n");
        Ok(())
    })
}

pub async fn delete(
    f: &ParsedFlags,
    client: &AdminClient,
    c: &mut Console,
) -> Result<(), CliError> {
    let format = output_format(f)?;
    let id = f.string("id");
    if id.is_empty() {
        return Err(CliError::invalid("id is required"));
    }
    let mode = delete_mode(&f.string("mode"))?;
    let resp = client
        .bundle()
        .batch_delete_federated_bundle(api::BatchDeleteFederatedBundleRequest {
            trust_domains: vec![id],
            mode,
        })
        .await
        .map_err(|e| CliError::from(e).context("failed to delete federated bundle"))?
        .into_inner();
    emit(c, format, &resp, |c| {
        let result = resp.results.first().cloned().unwrap_or_default();
        let status = result.status.unwrap_or_default();
        if status.code != 0 {
            return Err(CliError::invalid(format!(
                "failed to delete federated bundle {:?}: {}",
                result.trust_domain, status.message
            )));
        }
        c.out.push_str("bundle deleted.\n");
        Ok(())
    })
}

pub async fn count(f: &ParsedFlags, client: &AdminClient, c: &mut Console) -> Result<(), CliError> {
    let format = output_format(f)?;
    let resp = client
        .bundle()
        .count_bundles(api::CountBundlesRequest {})
        .await?
        .into_inner();
    emit(c, format, &resp, |c| {
        c.out.push_str(&bundle_count(resp.count));
        Ok(())
    })
}

/// `-mode` of `bundle delete`.
pub fn delete_mode(mode: &str) -> Result<i32, CliError> {
    use api::batch_delete_federated_bundle_request::Mode;
    Ok(match mode {
        "" | "restrict" => Mode::Restrict as i32,
        "dissociate" => Mode::Dissociate as i32,
        "delete" => Mode::Delete as i32,
        other => return Err(CliError::invalid(format!("unsupported mode {other:?}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_modes_map_to_wire_values() {
        assert_eq!(delete_mode("restrict").expect("known"), 0);
        assert_eq!(delete_mode("delete").expect("known"), 1);
        assert_eq!(delete_mode("dissociate").expect("known"), 2);
        assert_eq!(
            delete_mode("x").expect_err("unknown").to_string(),
            "unsupported mode \"x\""
        );
    }
}
