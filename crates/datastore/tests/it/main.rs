//! Integration tests of `spire-datastore`: the conformance suite on SQLite always, and on
//! PostgreSQL and MariaDB/MySQL (`#[ignore]`d, run in CI; see `servers`), one fresh database
//! per check; plus persistence, migration and
//! schema-parity checks per backend.

mod servers;
mod sqlite;
mod sqlite_damage;

/// SPIRE's tables at schema version 25, sorted.
pub const SPIRE_TABLES: [&str; 13] = [
    "attested_node_entries",
    "attested_node_entries_events",
    "bundles",
    "ca_journals",
    "dns_names",
    "federated_registration_entries",
    "federated_trust_domains",
    "join_tokens",
    "migrations",
    "node_resolver_map_entries",
    "registered_entries",
    "registered_entries_events",
    "selectors",
];

/// One test per conformance check, plus the schema tests, on one server backend.
macro_rules! server_suite {
    ($module:ident, $server:expr; $($check:ident),* $(,)?) => {
        mod $module {
            use crate::servers::{self, Server};
            const SERVER: Server = $server;
            $(
                #[tokio::test]
                #[ignore = "needs PostgreSQL or MariaDB (SPIRE_RS_TEST_POSTGRES, SPIRE_RS_TEST_MYSQL; .ci/run starts them): scripts/test runs it in CI"]
                async fn $check() {
                    servers::conformance(SERVER, stringify!($check)).await;
                }
            )*
            #[tokio::test]
            #[ignore = "needs PostgreSQL or MariaDB (SPIRE_RS_TEST_POSTGRES, SPIRE_RS_TEST_MYSQL; .ci/run starts them): scripts/test runs it in CI"]
            async fn migration_is_idempotent() {
                servers::migration_is_idempotent(SERVER).await;
            }
            #[tokio::test]
            #[ignore = "needs PostgreSQL or MariaDB (SPIRE_RS_TEST_POSTGRES, SPIRE_RS_TEST_MYSQL; .ci/run starts them): scripts/test runs it in CI"]
            async fn newer_schema_is_refused() {
                servers::newer_schema_is_refused(SERVER).await;
            }
            #[tokio::test]
            #[ignore = "needs PostgreSQL or MariaDB (SPIRE_RS_TEST_POSTGRES, SPIRE_RS_TEST_MYSQL; .ci/run starts them): scripts/test runs it in CI"]
            async fn schema_23_is_migrated() {
                servers::schema_23_is_migrated(SERVER).await;
            }
            #[tokio::test]
            #[ignore = "needs PostgreSQL or MariaDB (SPIRE_RS_TEST_POSTGRES, SPIRE_RS_TEST_MYSQL; .ci/run starts them): scripts/test runs it in CI"]
            async fn stale_reads_use_the_replica() {
                servers::stale_reads_use_the_replica(SERVER).await;
            }
        }
    };
}

macro_rules! every_check {
    ($mac:ident, $module:ident, $server:expr) => {
        $mac!($module, $server;
            bundle_crud,
            bundle_append_dedups_and_bumps_sequence,
            bundle_delete_modes,
            bundle_prune_jwt_keys,
            bundle_bad_input,
            node_crud_and_ban,
            node_filters,
            node_selectors,
            node_prune,
            entry_crud_and_revision,
            entry_already_exists,
            entry_paging,
            entry_selector_match_modes,
            entry_federates_with_match_modes,
            entry_simple_filters,
            entry_prune,
            entry_bad_input,
            join_tokens,
            ca_journals,
            entry_events_prune,
            node_events_prune,
        );
    };
}

every_check!(server_suite, postgres, Server::Postgres);
every_check!(server_suite, mysql, Server::MySql);
