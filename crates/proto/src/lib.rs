//! Wire definitions for spire-rs: prost messages and tonic clients/servers
//! generated from the project's own `.proto` files under `proto/`, which follow
//! the SPIRE API SDK and the SPIFFE Workload API on the wire (same packages,
//! services, field names and numbers).
//!
//! Modules mirror proto packages, so a full gRPC method name such as
//! `/spire.api.server.entry.v1.Entry/ListEntries` maps to
//! [`spire::api::server::entry::v1::entry_server::Entry`]. The package-less
//! Workload API is exposed as [`workload`].
//!
//! Every message also implements `serde::Serialize`/`Deserialize` the way Go's
//! protojson does with `UseProtoNames` and `EmitUnpopulated` (what the SPIRE
//! CLIs print for `-output json`): proto field names, unset fields emitted,
//! 64-bit integers as strings, bytes as base64, enums by name. The one
//! exception is the Workload API's `ValidateJWTSVIDResponse`, whose
//! `google.protobuf.Struct` has no serde impl in prost-types.
//!
//! This crate holds no logic: conversion between these wire types and domain
//! types happens in the crates that own the domain types.

/// `google.protobuf.Empty` etc. come from prost-types; re-exported so
/// dependants don't need their own prost-types dependency.
pub use prost_types;

/// Includes the generated code of one proto package: prost messages and
/// tonic services from `<package>.rs`, serde impls from `<package>.serde.rs`.
/// The package-less workload.proto is `_.rs` for prost and `workload` for
/// pbjson (see build.rs), hence the two-name form.
macro_rules! generated {
    ($package:literal) => {
        generated!($package, $package);
    };
    ($prost:literal, $pbjson:literal) => {
        include!(concat!(env!("OUT_DIR"), "/", $prost, ".rs"));
        include!(concat!(env!("OUT_DIR"), "/", $pbjson, ".serde.rs"));
    };
}

/// Encoded `google.protobuf.FileDescriptorSet` of every file in this crate,
/// for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/spire_descriptor.bin"));

/// Proto packages below `spire.`.
// Generated code can't satisfy the workspace lints; allows inherit downwards.
#[allow(
    clippy::all,
    clippy::pedantic,
    missing_debug_implementations,
    missing_docs
)]
pub mod spire {
    /// Packages below `spire.api.`.
    pub mod api {
        /// `spire.api.types`: messages shared by the server and agent APIs.
        pub mod types {
            generated!("spire.api.types");
        }

        /// Server APIs (served by spire-server).
        pub mod server {
            /// `spire.api.server.agent.v1`
            pub mod agent {
                pub mod v1 {
                    generated!("spire.api.server.agent.v1");
                }
            }
            /// `spire.api.server.bundle.v1`
            pub mod bundle {
                pub mod v1 {
                    generated!("spire.api.server.bundle.v1");
                }
            }
            /// `spire.api.server.debug.v1`
            pub mod debug {
                pub mod v1 {
                    generated!("spire.api.server.debug.v1");
                }
            }
            /// `spire.api.server.entry.v1`
            pub mod entry {
                pub mod v1 {
                    generated!("spire.api.server.entry.v1");
                }
            }
            /// `spire.api.server.localauthority.v1`
            pub mod localauthority {
                pub mod v1 {
                    generated!("spire.api.server.localauthority.v1");
                }
            }
            /// `spire.api.server.logger.v1`
            pub mod logger {
                pub mod v1 {
                    generated!("spire.api.server.logger.v1");
                }
            }
            /// `spire.api.server.svid.v1`
            pub mod svid {
                pub mod v1 {
                    generated!("spire.api.server.svid.v1");
                }
            }
            /// `spire.api.server.trustdomain.v1`
            pub mod trustdomain {
                pub mod v1 {
                    generated!("spire.api.server.trustdomain.v1");
                }
            }
        }

        /// Agent admin APIs (served by spire-agent). The agent Debug API is
        /// not here: its package is `spire.agent.debug.v1`, see
        /// [`crate::spire::agent::debug::v1`].
        pub mod agent {
            /// `spire.api.agent.delegatedidentity.v1`
            pub mod delegatedidentity {
                pub mod v1 {
                    generated!("spire.api.agent.delegatedidentity.v1");
                }
            }
            /// `spire.api.agent.logger.v1`
            pub mod logger {
                pub mod v1 {
                    generated!("spire.api.agent.logger.v1");
                }
            }
        }
    }

    /// `spire.agent.*`: the one SDK package without the `api` segment.
    pub mod agent {
        /// `spire.agent.debug.v1`
        pub mod debug {
            pub mod v1 {
                generated!("spire.agent.debug.v1");
            }
        }
    }
}

/// The SPIFFE Workload API (`SpiffeWorkloadAPI`, no proto package).
// Generated code can't satisfy the workspace lints; allows inherit downwards.
#[allow(
    clippy::all,
    clippy::pedantic,
    missing_debug_implementations,
    missing_docs
)]
pub mod workload {
    generated!("_", "workload");
}
