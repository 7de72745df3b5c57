//! Integration tests of spire-config (one binary).
