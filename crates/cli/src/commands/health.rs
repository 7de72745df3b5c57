//! `healthcheck`.

use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};

use super::Console;
use crate::client::AdminClient;
use crate::error::CliError;
use crate::flags::{FlagSpec, ParsedFlags};

pub const FLAGS: &[FlagSpec] = &[
    FlagSpec::bool("shallow", "Perform a less stringent health check"),
    FlagSpec::bool("verbose", "Print verbose information"),
];

pub async fn healthcheck(
    f: &ParsedFlags,
    client: &AdminClient,
    c: &mut Console,
) -> Result<(), CliError> {
    let verbose = f.bool("verbose");
    if verbose {
        c.out.push_str("Checking server health...\n");
    }
    let reason = match client
        .health()
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
    {
        Err(status) => {
            if verbose {
                c.err.push_str(&format!(
                    "Failed to check health: {}\n",
                    CliError::from(status)
                ));
            }
            Some("unable to determine health".to_owned())
        }
        Ok(resp) => match resp.into_inner().status() {
            ServingStatus::Serving => None,
            other => Some(format!("server returned status {:?}", other.as_str_name())),
        },
    };
    match reason {
        Some(reason) => Err(CliError::invalid(format!("server is unhealthy: {reason}"))),
        None => {
            c.out.push_str("Server is healthy.\n");
            Ok(())
        }
    }
}
