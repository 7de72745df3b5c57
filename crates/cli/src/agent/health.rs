//! `healthcheck`: grpc.health.v1 Check on the agent's public socket.

use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

use super::client::WorkloadClient;
use crate::commands::Console;
use crate::error::CliError;
use crate::flags::{FlagSpec, ParsedFlags};

pub const FLAGS: &[FlagSpec] = &[
    FlagSpec::bool("shallow", "Perform a less stringent health check"),
    FlagSpec::bool("verbose", "Print verbose information"),
];

/// Prints `Agent is healthy.` or fails with the reason SPIRE gives; the
/// dispatcher prefixes failures with `Agent is unhealthy: `.
pub async fn healthcheck(
    f: &ParsedFlags,
    client: &WorkloadClient,
    c: &mut Console,
) -> Result<(), CliError> {
    let verbose = f.bool("verbose");
    if verbose {
        c.out.push_str("Checking agent health...\n");
    }
    // SPIRE's health check carries no Workload API header and no deadline.
    let response = HealthClient::new(client.channel())
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await;
    let status = match response {
        Ok(response) => response.into_inner().status(),
        Err(status) => {
            if verbose {
                c.err.push_str(&format!(
                    "Failed to check health: {}\n",
                    client.status_error(status)
                ));
            }
            return Err(CliError::invalid("unable to determine health"));
        }
    };
    if status != ServingStatus::Serving {
        return Err(CliError::invalid(format!(
            "agent returned status {:?}",
            status.as_str_name()
        )));
    }
    c.out.push_str("Agent is healthy.\n");
    Ok(())
}
