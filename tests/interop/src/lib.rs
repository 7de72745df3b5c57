//! spire-interop holds no library code: its integration tests (`tests/it`) run spire-rs's
//! binaries against peers nobody here wrote — stock SPIRE v1.13.3 and a go-spiffe v2 workload
//! (`go/`), built and cached by `build-peers`. See docs/INTEROP.md for the matrix.
