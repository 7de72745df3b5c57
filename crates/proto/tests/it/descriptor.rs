//! The exported descriptor set names every service under its wire name, which
//! is what gRPC routes on.

use prost::Message;
use prost_types::FileDescriptorSet;
use spire_proto::FILE_DESCRIPTOR_SET;

fn service_names() -> Vec<String> {
    let fds = FileDescriptorSet::decode(FILE_DESCRIPTOR_SET).expect("descriptor set decodes");
    fds.file
        .iter()
        .flat_map(|file| {
            let package = file.package().to_owned();
            file.service.iter().map(move |service| {
                if package.is_empty() {
                    service.name().to_owned()
                } else {
                    format!("{package}.{}", service.name())
                }
            })
        })
        .collect()
}

#[test]
fn descriptor_set_holds_every_spire_and_workload_service() {
    let mut names = service_names();
    names.sort();
    assert_eq!(
        names,
        [
            "SpiffeWorkloadAPI",
            "spire.agent.debug.v1.Debug",
            "spire.api.agent.delegatedidentity.v1.DelegatedIdentity",
            "spire.api.agent.logger.v1.Logger",
            "spire.api.server.agent.v1.Agent",
            "spire.api.server.bundle.v1.Bundle",
            "spire.api.server.debug.v1.Debug",
            "spire.api.server.entry.v1.Entry",
            "spire.api.server.localauthority.v1.LocalAuthority",
            "spire.api.server.logger.v1.Logger",
            "spire.api.server.svid.v1.SVID",
            "spire.api.server.trustdomain.v1.TrustDomain",
        ]
    );
}

#[test]
fn generated_servers_route_on_the_wire_names() {
    use spire_proto::spire::agent::debug::v1::debug_server;
    use spire_proto::spire::api::server::entry::v1::entry_server;
    use spire_proto::workload::spiffe_workload_api_server;

    assert_eq!(
        entry_server::SERVICE_NAME,
        "spire.api.server.entry.v1.Entry"
    );
    assert_eq!(debug_server::SERVICE_NAME, "spire.agent.debug.v1.Debug");
    assert_eq!(
        spiffe_workload_api_server::SERVICE_NAME,
        "SpiffeWorkloadAPI"
    );
}
