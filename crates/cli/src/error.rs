//! The error type of the admin CLI. `Display` is what SPIRE prints after `Error: `.

use crate::flags::FlagError;

/// Everything that can make an admin command fail.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line did not parse (Go `flag` wording).
    #[error(transparent)]
    Flag(#[from] FlagError),
    /// The flags parsed but their combination or values are invalid; the
    /// message is SPIRE's.
    #[error("{0}")]
    Invalid(String),
    /// Could not reach the server's admin socket.
    #[error("connection error: {0}")]
    Connect(String),
    /// The server answered with a gRPC error; formatted like grpc-go's status error.
    #[error("rpc error: code = {code} desc = {message}")]
    Rpc { code: String, message: String },
    /// Reading or writing a local file failed.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl CliError {
    /// An invalid-input error carrying SPIRE's message.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }

    /// The same error with `prefix: ` put in front, as Go's `fmt.Errorf("...: %w")`.
    pub fn context(self, prefix: &str) -> Self {
        Self::Invalid(format!("{prefix}: {self}"))
    }
}

impl From<tonic::Status> for CliError {
    fn from(status: tonic::Status) -> Self {
        Self::Rpc {
            code: grpc_code_name(status.code()).to_owned(),
            message: status.message().to_owned(),
        }
    }
}

/// grpc-go's `codes.Code.String()` names (`NotFound`, `InvalidArgument`, ...).
pub fn grpc_code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "Canceled",
        Unknown => "Unknown",
        InvalidArgument => "InvalidArgument",
        DeadlineExceeded => "DeadlineExceeded",
        NotFound => "NotFound",
        AlreadyExists => "AlreadyExists",
        PermissionDenied => "PermissionDenied",
        ResourceExhausted => "ResourceExhausted",
        FailedPrecondition => "FailedPrecondition",
        Aborted => "Aborted",
        OutOfRange => "OutOfRange",
        Unimplemented => "Unimplemented",
        Internal => "Internal",
        Unavailable => "Unavailable",
        DataLoss => "DataLoss",
        Unauthenticated => "Unauthenticated",
    }
}

/// grpc-go's name for a numeric status code as carried in `spire.api.types.Status`.
pub fn status_code_name(code: i32) -> String {
    let name = grpc_code_name(tonic::Code::from_i32(code));
    if name == "Unknown" && code != 2 {
        format!("Code({code})")
    } else {
        name.to_owned()
    }
}
