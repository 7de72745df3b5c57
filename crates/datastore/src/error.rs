//! The one error type every `DataStore` method returns.

use crate::records::RegistrationEntry;

/// Why a datastore operation failed.
///
/// The variants map onto gRPC codes at the API edge: `NotFound` → NOT_FOUND, the two
/// `AlreadyExists` forms → ALREADY_EXISTS, `InvalidArgument` → INVALID_ARGUMENT,
/// `FailedPrecondition` → FAILED_PRECONDITION, the rest → INTERNAL / UNIMPLEMENTED.
#[derive(Debug, thiserror::Error)]
pub enum DataStoreError {
    /// The record the operation targets does not exist; the text names it.
    #[error("not found: {0}")]
    NotFound(String),
    /// A record with the same unique key exists (bundle trust domain, node SPIFFE ID,
    /// join token, entry ID).
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// An entry with the same parent ID, SPIFFE ID and selector set already exists; it is
    /// carried so callers can return it (SPIRE's "create or return" behaviour).
    #[error("registration entry {} already exists with the same parent ID, SPIFFE ID and selectors", .0.entry_id)]
    EntryAlreadyExists(Box<RegistrationEntry>),
    /// The input is malformed; the text names the field and the rule it breaks.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The operation is refused in the current state (e.g. restrict-mode bundle delete
    /// while entries still federate with it).
    #[error("failed precondition: {0}")]
    FailedPrecondition(String),
    /// The configuration asks for something this build does not implement yet.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The database cannot be reached right now (connection refused or reset, server
    /// shutting down, pool exhausted); retrying later may succeed. A write that fails this
    /// way may or may not have been committed.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database failed or holds data this code cannot read.
    #[error("database error: {0}")]
    Database(String),
}

impl From<sqlx::Error> for DataStoreError {
    fn from(err: sqlx::Error) -> Self {
        // A concurrent writer (another server on the same database) won the race for a
        // unique key this call had checked was free.
        if let sqlx::Error::Database(db) = &err
            && db.is_unique_violation()
        {
            return DataStoreError::AlreadyExists(format!("unique constraint violated: {db}"));
        }
        if is_connection_failure(&err) {
            return DataStoreError::Unavailable(err.to_string());
        }
        DataStoreError::Database(err.to_string())
    }
}

/// Whether `err` says the database could not be reached rather than that it refused the
/// statement: I/O and TLS failures, pool timeouts, and the SQLSTATE classes 08
/// (connection exception) and 57 (operator intervention, e.g. `57P01` sent to every
/// session when PostgreSQL shuts down or restarts).
fn is_connection_failure(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57")),
        _ => false,
    }
}

/// Shorthand used throughout the crate.
pub type Result<T, E = DataStoreError> = std::result::Result<T, E>;
