//! `token generate`.

use spire_proto::spire::api::server::agent::v1 as api;

use super::{Console, OUTPUT_FLAG, emit, output_format};
use crate::client::AdminClient;
use crate::convert::spiffe_id;
use crate::error::CliError;
use crate::flags::{FlagSpec, ParsedFlags};

pub const GENERATE_FLAGS: &[FlagSpec] = &[
    FlagSpec::int("ttl", 600, "Token TTL in seconds"),
    FlagSpec::string(
        "spiffeID",
        "",
        "Additional SPIFFE ID to assign the token owner (optional)",
    ),
    OUTPUT_FLAG,
];

pub async fn generate(
    f: &ParsedFlags,
    client: &AdminClient,
    c: &mut Console,
) -> Result<(), CliError> {
    let format = output_format(f)?;
    let id_text = f.string("spiffeID");
    let agent_id = if id_text.is_empty() {
        None
    } else {
        Some(spiffe_id(&id_text)?)
    };
    let ttl = i32::try_from(f.int("ttl"))
        .map_err(|_| CliError::invalid("invalid value for TTL: overflow"))?;
    let token = client
        .agent()
        .create_join_token(api::CreateJoinTokenRequest {
            ttl,
            token: String::new(),
            agent_id,
        })
        .await?
        .into_inner();
    emit(c, format, &token, |c| {
        c.out.push_str(&format!("Token: {}\n", token.value));
        if id_text.is_empty() {
            c.out.push_str("Warning: Missing SPIFFE ID.\n");
        }
        Ok(())
    })
}
