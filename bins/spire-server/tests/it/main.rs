//! End-to-end tests of the real `spire-server` binary: a server process on a temp dir, its
//! admin socket and a free TCP port, driven through the CLI exactly as SPIRE users drive it.

mod support;

mod bad_input;
mod connection_limits;
mod quickstart;
mod restart;
mod socket_dir;
mod state_files;
mod tcp_tls;
