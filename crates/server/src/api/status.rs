//! The one place where errors become gRPC statuses.
//!
//! Messages are built as SPIRE builds them: a short description of what failed, then `: `
//! and the cause (`failed to convert entry: invalid spiffe ID: ...`). Batch RPCs report each
//! item with a `spire.api.types.Status` made from the same `tonic::Status`.

use std::fmt::Display;

use spire_datastore::DataStoreError;
use spire_proto::spire::api::types::Status as ItemStatus;
use tonic::{Code, Status};

use crate::context::MintError;

/// `msg: cause` with the given code.
pub fn with_cause(code: Code, msg: &str, cause: impl Display) -> Status {
    Status::new(code, format!("{msg}: {cause}"))
}

/// `INVALID_ARGUMENT` with `msg: cause`.
pub fn invalid_argument(msg: &str, cause: impl Display) -> Status {
    with_cause(Code::InvalidArgument, msg, cause)
}

/// The gRPC code a datastore failure maps to.
pub fn datastore_code(err: &DataStoreError) -> Code {
    match err {
        DataStoreError::NotFound(_) => Code::NotFound,
        DataStoreError::AlreadyExists(_) | DataStoreError::EntryAlreadyExists(_) => {
            Code::AlreadyExists
        }
        DataStoreError::InvalidArgument(_) => Code::InvalidArgument,
        DataStoreError::FailedPrecondition(_) => Code::FailedPrecondition,
        DataStoreError::Unsupported(_) => Code::Unimplemented,
        DataStoreError::Unavailable(_) => Code::Unavailable,
        DataStoreError::Database(_) => Code::Internal,
    }
}

/// A datastore failure as `msg: cause`, with the code of [`datastore_code`].
pub fn datastore(msg: &str, err: &DataStoreError) -> Status {
    with_cause(datastore_code(err), msg, err)
}

/// The gRPC code a signing failure maps to.
pub fn mint_code(err: &MintError) -> Code {
    match err {
        // Retryable: the CA has not prepared an authority yet (startup) or is between keys.
        MintError::NoAuthority(_) => Code::Unavailable,
        MintError::JwtDisabled => Code::Unimplemented,
        MintError::InvalidRequest(_) => Code::InvalidArgument,
        MintError::Signing(_) => Code::Internal,
    }
}

/// A signing failure as `msg: cause`; disabled JWT-SVIDs use SPIRE's fixed message.
pub fn mint(msg: &str, err: &MintError) -> Status {
    match err {
        MintError::JwtDisabled => Status::unimplemented("JWT functionality is disabled"),
        other => with_cause(mint_code(other), msg, other),
    }
}

/// The per-item status of a successful batch item (`{code: 0, message: "OK"}`).
pub fn ok_item() -> ItemStatus {
    ItemStatus {
        code: Code::Ok as i32,
        message: "OK".to_owned(),
    }
}

/// The per-item form of a failure.
pub fn item(status: &Status) -> ItemStatus {
    ItemStatus {
        code: status.code() as i32,
        message: status.message().to_owned(),
    }
}

/// What an RPC that is not served yet answers.
pub fn unimplemented(method: &str) -> Status {
    Status::unimplemented(format!("{method} is not implemented by this server yet"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datastore_errors_keep_their_meaning_as_codes() {
        let cases = [
            (DataStoreError::NotFound("x".into()), Code::NotFound),
            (
                DataStoreError::AlreadyExists("x".into()),
                Code::AlreadyExists,
            ),
            (
                DataStoreError::InvalidArgument("x".into()),
                Code::InvalidArgument,
            ),
            (
                DataStoreError::FailedPrecondition("x".into()),
                Code::FailedPrecondition,
            ),
            (DataStoreError::Unsupported("x".into()), Code::Unimplemented),
            (DataStoreError::Unavailable("x".into()), Code::Unavailable),
            (DataStoreError::Database("x".into()), Code::Internal),
        ];
        for (err, code) in cases {
            assert_eq!(datastore_code(&err), code, "{err}");
        }
    }

    #[test]
    fn datastore_status_prefixes_what_failed() {
        let status = datastore(
            "failed to delete",
            &DataStoreError::Database("disk full".into()),
        );
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(
            status.message(),
            "failed to delete: database error: disk full"
        );
    }

    #[test]
    fn mint_errors_map_to_codes() {
        assert_eq!(
            mint_code(&MintError::NoAuthority("X.509")),
            Code::Unavailable
        );
        assert_eq!(
            mint_code(&MintError::InvalidRequest("x".into())),
            Code::InvalidArgument
        );
        assert_eq!(mint_code(&MintError::Signing("x".into())), Code::Internal);
        let disabled = mint("failed to sign JWT-SVID", &MintError::JwtDisabled);
        assert_eq!(disabled.code(), Code::Unimplemented);
        assert_eq!(disabled.message(), "JWT functionality is disabled");
    }

    #[test]
    fn item_status_carries_code_and_message() {
        let st = item(&Status::not_found("entry not found"));
        assert_eq!(st.code, Code::NotFound as i32);
        assert_eq!(st.message, "entry not found");
        assert_eq!(ok_item().code, 0);
    }
}
