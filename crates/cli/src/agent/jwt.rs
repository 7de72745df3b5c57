//! `api fetch jwt` and `api validate jwt` (SPIRE's `fetch_jwt.go`,
//! `validate_jwt.go`).

use spire_proto::prost_types;
use spire_proto::workload::{
    JwtBundlesRequest, JwtBundlesResponse, JwtsvidRequest, JwtsvidResponse, ValidateJwtsvidRequest,
    ValidateJwtsvidResponse,
};

use super::client::WorkloadClient;
use crate::commands::{Console, OUTPUT_FLAG, OutputFormat, output_format};
use crate::error::CliError;
use crate::flags::{FlagError, FlagSpec, ParsedFlags};
use crate::json::{remove_nulls, to_go_json_line};

pub const FETCH_FLAGS: &[FlagSpec] = &[
    FlagSpec::repeated("audience", "comma separated list of audience values"),
    FlagSpec::string("spiffeID", "", "SPIFFE ID subject (optional)"),
    OUTPUT_FLAG,
    FlagSpec::string("format", "", "deprecated; use -output"),
];

pub const VALIDATE_FLAGS: &[FlagSpec] = &[
    FlagSpec::string("audience", "", "expected audience value"),
    FlagSpec::string("svid", "", "JWT SVID"),
    OUTPUT_FLAG,
];

pub async fn fetch_jwt(
    f: &ParsedFlags,
    client: &WorkloadClient,
    c: &mut Console,
) -> Result<(), CliError> {
    let format = fetch_output_format(f)?;
    // CommaStringsFlag: the last -audience wins, split on commas.
    let audience: Vec<String> = match f.list("audience").last() {
        Some(value) => value.split(',').map(str::to_owned).collect(),
        None => return Err(CliError::invalid("audience must be specified")),
    };
    let bundles = client
        .call(async {
            let mut stream = client
                .api()
                .fetch_jwt_bundles(client.request(JwtBundlesRequest {}))
                .await?
                .into_inner();
            stream.message().await
        })
        .await?
        .ok_or_else(|| CliError::invalid("EOF"))?;
    let svids = client
        .call(async {
            let request = client.request(JwtsvidRequest {
                audience,
                spiffe_id: f.string("spiffeID"),
            });
            Ok(client.api().fetch_jwtsvid(request).await?.into_inner())
        })
        .await?;
    match format {
        OutputFormat::Pretty => c.out.push_str(&jwt_svids_text(&svids, &bundles)),
        OutputFormat::Json => {
            let mut value = serde_json::to_value((&svids, &bundles))
                .map_err(|e| CliError::invalid(e.to_string()))?;
            remove_nulls(&mut value);
            c.out.push_str(&to_go_json_line(&value));
        }
    }
    Ok(())
}

pub async fn validate_jwt(
    f: &ParsedFlags,
    client: &WorkloadClient,
    c: &mut Console,
) -> Result<(), CliError> {
    let format = output_format(f)?;
    let audience = f.string("audience");
    if audience.is_empty() {
        return Err(CliError::invalid("audience must be specified"));
    }
    let svid = f.string("svid");
    if svid.is_empty() {
        return Err(CliError::invalid("svid must be specified"));
    }
    let response = client
        .call(async {
            let request = client.request(ValidateJwtsvidRequest { audience, svid });
            Ok(client.api().validate_jwtsvid(request).await?.into_inner())
        })
        .await
        .map_err(|err| match err {
            CliError::Rpc { code, message } if code == "InvalidArgument" => {
                CliError::invalid(format!("SVID is not valid: {message}"))
            }
            other => other.context("unable to validate JWT SVID"),
        })?;
    match format {
        OutputFormat::Pretty => c.out.push_str(&validate_jwt_text(&response)),
        OutputFormat::Json => c
            .out
            .push_str(&to_go_json_line(&validate_jwt_json(&response))),
    }
    Ok(())
}

/// `token(<id>):\n\t<jwt>` (and `hint(<id>)`) per SVID, then
/// `bundle(<td>):\n\t<jwks>` per bundle in trust-domain order.
pub fn jwt_svids_text(svids: &JwtsvidResponse, bundles: &JwtBundlesResponse) -> String {
    let mut out = String::new();
    for svid in &svids.svids {
        out.push_str(&format!("token({}):\n\t{}\n", svid.spiffe_id, svid.svid));
        if !svid.hint.is_empty() {
            out.push_str(&format!("hint({}):\n\t{}\n", svid.spiffe_id, svid.hint));
        }
    }
    let mut domains: Vec<&String> = bundles.bundles.keys().collect();
    domains.sort();
    for domain in domains {
        if let Some(jwks) = bundles.bundles.get(domain) {
            out.push_str(&format!(
                "bundle({domain}):\n\t{}\n",
                String::from_utf8_lossy(jwks)
            ));
        }
    }
    out
}

/// `SVID is valid.`, `SPIFFE ID : <id>`, `Claims    : <protojson>`.
pub fn validate_jwt_text(response: &ValidateJwtsvidResponse) -> String {
    let claims = response
        .claims
        .as_ref()
        .map_or_else(|| "{}".to_owned(), |s| struct_json(s).to_string());
    format!(
        "SVID is valid.\nSPIFFE ID : {}\nClaims    : {claims}\n",
        response.spiffe_id
    )
}

/// The `-output json` value of a validation (claims omitted when unset).
pub fn validate_jwt_json(response: &ValidateJwtsvidResponse) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    if let Some(claims) = &response.claims {
        map.insert("claims".to_owned(), struct_json(claims));
    }
    map.insert(
        "spiffe_id".to_owned(),
        serde_json::Value::String(response.spiffe_id.clone()),
    );
    serde_json::Value::Object(map)
}

/// `google.protobuf.Struct` as protojson writes it; whole numbers print
/// without a fraction, as Go does.
pub fn struct_json(message: &prost_types::Struct) -> serde_json::Value {
    serde_json::Value::Object(
        message
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), value_json(v)))
            .collect(),
    )
}

fn value_json(value: &prost_types::Value) -> serde_json::Value {
    use prost_types::value::Kind;
    use serde_json::Value;
    match &value.kind {
        None | Some(Kind::NullValue(_)) => Value::Null,
        Some(Kind::BoolValue(b)) => Value::Bool(*b),
        Some(Kind::StringValue(s)) => Value::String(s.clone()),
        Some(Kind::NumberValue(n)) => number_json(*n),
        Some(Kind::StructValue(s)) => struct_json(s),
        Some(Kind::ListValue(list)) => Value::Array(list.values.iter().map(value_json).collect()),
    }
}

fn number_json(n: f64) -> serde_json::Value {
    // 2^53: every whole f64 below it is an exact i64.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if n.fract() == 0.0 && n.abs() < EXACT {
        #[allow(clippy::cast_possible_truncation)]
        return serde_json::Value::from(n as i64);
    }
    serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

/// `-output`, or the deprecated `-format` alias when only it is given.
fn fetch_output_format(f: &ParsedFlags) -> Result<OutputFormat, CliError> {
    if f.is_set("output") || !f.is_set("format") {
        return output_format(f);
    }
    let value = f.string("format");
    match value.to_lowercase().as_str() {
        "" | "pretty" | "prettyprint" => Ok(OutputFormat::Pretty),
        "json" => Ok(OutputFormat::Json),
        _ => Err(FlagError::InvalidValue {
            name: "format".to_owned(),
            reason: format!("bad formatter flag: unknown format option: {value:?}"),
            value,
        }
        .into()),
    }
}

#[cfg(test)]
#[path = "jwt_tests.rs"]
mod tests;
