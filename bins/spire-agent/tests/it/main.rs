//! End-to-end tests of the spire-agent binary against a real spire-server, on temp dirs.

mod agent;
mod attest_limit;
mod bundle_url;
mod expired_entry;
mod flood;
mod hostile;
mod interop;
mod many_callers;
mod refusal;
mod rotation;
mod server_restart;
mod state_files;
mod support;
mod workload_errors;
mod x509pop;
