//! Integration tests of `spire-ca`: one binary, one module per behaviour area.

mod csr;
mod openssl;
mod property;
mod resume;
mod rotation;
mod support;
mod svid_template;
