//! The one integration test binary of spire-spiffe (one link, many modules).

mod bundle_documents;
mod bundle_roundtrip;
mod id_differential;
mod jwk_vectors;
mod testdata;
