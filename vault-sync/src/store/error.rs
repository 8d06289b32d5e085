//! The store's error type: each variant says whose fault it is.

use core::fmt;

/// What went wrong in a store call.
///
/// | variant | whose fault | HTTP |
/// |---|---|---|
/// | [`Conflict`](StoreError::Conflict) | the client's view is stale, or the thing exists | 409 |
/// | [`NotFound`](StoreError::NotFound) | the client named something that is not there (or not visible) | 404 |
/// | [`Forbidden`](StoreError::Forbidden) | the caller may not do this | 403 |
/// | [`Invalid`](StoreError::Invalid) | the client sent malformed or inconsistent data | 400 |
/// | [`Misconfigured`](StoreError::Misconfigured) | the operator: e.g. the app's database role could bypass row-level security | refuse to start |
/// | [`Corrupt`](StoreError::Corrupt) / [`AuditTampered`](StoreError::AuditTampered) | the stored data | 500 |
/// | [`Backend`](StoreError::Backend) | the database or the connection | 500 / 503 |
///
/// Messages never contain a blob, secret, token or identifier: only fixed
/// descriptions, ids the caller already knows, SQLSTATE codes and constraint
/// names.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The write lost a race or the thing already exists (client's view is stale).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// Not there, or not visible to the caller.
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// The caller is not allowed to do this.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// The input is malformed or inconsistent (client's fault).
    #[error("invalid input: {0}")]
    Invalid(&'static str),
    /// The deployment is unsafe or incomplete (operator's fault), e.g. the
    /// app's database role could bypass row-level security; the store
    /// refuses to run.
    #[error("refusing to run: {0}")]
    Misconfigured(String),
    /// Stored data failed to parse or open (server's fault).
    #[error("stored data is corrupt: {0}")]
    Corrupt(&'static str),
    /// The audit chain does not verify at `seq`.
    #[error("audit chain broken at seq {seq}: {reason}")]
    AuditTampered {
        /// The first row (or the head, `seq` = its seq) that fails.
        seq: i64,
        /// What failed.
        reason: &'static str,
    },
    /// The database failed (server's fault). Detail is sanitised: kind,
    /// SQLSTATE and constraint only, never row values.
    #[error("storage backend error: {0}")]
    Backend(BackendError),
}

/// A sanitised database error: enough for an operator's log, nothing from
/// the rows (Postgres puts values into `DETAIL` and some messages).
#[derive(Clone, PartialEq, Eq)]
pub struct BackendError {
    kind: &'static str,
    code: Option<String>,
    constraint: Option<String>,
}

impl BackendError {
    /// The error class, e.g. `"database"`, `"io"`, `"pool timed out"`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }
    /// The SQLSTATE (Postgres) or extended result code (SQLite), if any.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }
    /// The violated constraint's name, if the database named one.
    pub fn constraint(&self) -> Option<&str> {
        self.constraint.as_deref()
    }
    /// True for errors worth retrying later (connection or pool trouble,
    /// serialization failures, deadlocks, a busy SQLite file).
    pub fn is_transient(&self) -> bool {
        matches!(self.kind, "io" | "pool timed out" | "pool closed")
            || matches!(
                self.code.as_deref(),
                Some("40001" | "40P01" | "5" | "6" | "261" | "517")
            )
    }
}

impl fmt::Debug for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind)?;
        if let Some(code) = &self.code {
            write!(f, " (code {code})")?;
        }
        if let Some(c) = &self.constraint {
            write!(f, " (constraint {c})")?;
        }
        Ok(())
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        let kind = match &e {
            sqlx::Error::Database(db) => {
                let code = db.code().map(|c| c.into_owned());
                // Row-level security refusals and the membership guard.
                if code.as_deref() == Some("42501") {
                    return StoreError::Forbidden("not permitted by row-level security");
                }
                return StoreError::Backend(BackendError {
                    kind: "database",
                    code,
                    constraint: db.constraint().map(str::to_owned),
                });
            }
            sqlx::Error::Io(_) => "io",
            sqlx::Error::Tls(_) => "tls",
            sqlx::Error::Protocol(_) => "protocol",
            sqlx::Error::PoolTimedOut => "pool timed out",
            sqlx::Error::PoolClosed => "pool closed",
            sqlx::Error::WorkerCrashed => "worker crashed",
            sqlx::Error::Configuration(_) => "configuration",
            sqlx::Error::RowNotFound => "row not found",
            sqlx::Error::ColumnNotFound(_) | sqlx::Error::ColumnIndexOutOfBounds { .. } => {
                "column missing"
            }
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => "decode",
            sqlx::Error::Encode(_) => "encode",
            sqlx::Error::TypeNotFound { .. } => "type not found",
            sqlx::Error::Migrate(_) => "migration",
            sqlx::Error::BeginFailed => "begin failed",
            sqlx::Error::InvalidArgument(_) => "invalid argument",
            sqlx::Error::AnyDriverError(_) => "driver",
            sqlx::Error::InvalidSavePointStatement => "savepoint",
            _ => "other",
        };
        StoreError::Backend(BackendError {
            kind,
            code: None,
            constraint: None,
        })
    }
}

/// The store's result type.
pub type Result<T, E = StoreError> = core::result::Result<T, E>;

/// Maps a unique-violation on insert to a conflict, a foreign-key violation
/// to not-found, and everything else as usual.
pub(crate) fn on_insert(
    e: sqlx::Error,
    conflict: &'static str,
    missing: &'static str,
) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        match db.kind() {
            sqlx::error::ErrorKind::UniqueViolation => return StoreError::Conflict(conflict),
            sqlx::error::ErrorKind::ForeignKeyViolation => return StoreError::NotFound(missing),
            _ => {}
        }
    }
    e.into()
}
