//! The one integration test binary of spire-spiffe (one link, many modules).

mod bundle_documents;
mod id_differential;
mod jwk_vectors;
mod testdata;
