//! A fake `SvidMinter` that records what it was asked to sign and answers canned SVIDs.

use std::sync::{Mutex, PoisonError};

use crate::context::{
    MintError, MintJwtSvid, MintX509Svid, MintedJwtSvid, MintedX509Svid, SvidMinter,
};

/// The leaf "certificate" the fake returns (not a real certificate: tests only compare it).
pub const FAKE_LEAF: &[u8] = b"fake-leaf-der";
/// The expiry the fake reports for every SVID.
pub const FAKE_EXPIRES_AT: i64 = 1_700_003_600;

/// Records each request; answers with [`FAKE_LEAF`] / `fake.jwt.token`.
#[derive(Debug, Default)]
pub struct RecordingMinter {
    x509: Mutex<Vec<MintX509Svid>>,
    jwt: Mutex<Vec<MintJwtSvid>>,
}

impl RecordingMinter {
    pub fn x509_requests(&self) -> Vec<MintX509Svid> {
        self.x509
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn jwt_requests(&self) -> Vec<MintJwtSvid> {
        self.jwt
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl SvidMinter for RecordingMinter {
    fn mint_x509_svid(&self, request: MintX509Svid) -> Result<MintedX509Svid, MintError> {
        self.x509
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(request);
        Ok(MintedX509Svid {
            cert_chain: vec![FAKE_LEAF.to_vec()],
            expires_at: FAKE_EXPIRES_AT,
            ttl_capped: false,
        })
    }

    fn mint_jwt_svid(&self, request: MintJwtSvid) -> Result<MintedJwtSvid, MintError> {
        self.jwt
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(request);
        Ok(MintedJwtSvid {
            token: "fake.jwt.token".into(),
            issued_at: FAKE_EXPIRES_AT - 300,
            expires_at: FAKE_EXPIRES_AT,
        })
    }
}
