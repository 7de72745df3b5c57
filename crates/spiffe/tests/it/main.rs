//! The one integration test binary of spire-spiffe (one link, many modules).

mod id_differential;
