//! What a refusal means to whoever called: one classification of every
//! service's errors into a status, a stable code and a message in Chinese.
//! The two doors (the JSON API and the pages' server functions) each turn a
//! `ServiceError` into their own answer, and nothing else decides a status.
//! Internal failures are logged here and never shown.

use crate::accounts::{import::ImportError, AccountsError};
use crate::attendance::AttendanceError;
use crate::audit_trail::AuditTrailError;
use crate::auth::AuthError;
use crate::committee::CommitteeError;
use crate::events::EventError;
use crate::exports::ExportError;
use crate::ledger::LedgerError;
use crate::policy::Refusal;
use crate::records::RecordsError;
use crate::review::ReviewError;
use crate::rulebooks::RulebookError;
use crate::storage::StoreError;
use crate::sync::limits::LimitError;
use crate::sync::SyncError;
use crate::year_end::YearEndError;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    #[error("请先登录")]
    Unauthenticated,
    #[error("用户名或密码错误")]
    InvalidCredentials,
    #[error("尝试次数过多，请 {} 秒后再试", .0.as_secs())]
    Throttled(Duration),
    /// A heavy answer asked for too often (`rate::Heavy`).
    #[error("请求过于频繁，请 {} 秒后再试", .0.as_secs().max(1))]
    RateLimited(Duration),
    /// Signed in with a password someone else reset: only changing it
    /// (or signing out) answers until the member sets their own.
    #[error("您的密码已重置，请先修改密码后再继续")]
    PasswordChangeRequired,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    Conflict(String),
    /// A conflict the caller may confirm past, with what to confirm.
    #[error("{message}")]
    Unconfirmed {
        message: String,
        warnings: Vec<vanguard_shared::ledger::year_end::LockWarning>,
    },
    #[error("{0}")]
    TooLarge(String),
    /// Busy for now; the client tries again soon.
    #[error("{0}")]
    Unavailable(String),
    /// The detail is logged, the client sees a generic message.
    #[error("服务器内部错误")]
    Internal,
}

impl ServiceError {
    /// The HTTP status this refusal answers with.
    pub fn status(&self) -> u16 {
        match self {
            ServiceError::Unauthenticated | ServiceError::InvalidCredentials => 401,
            ServiceError::Throttled(_) | ServiceError::RateLimited(_) => 429,
            ServiceError::Forbidden(_) | ServiceError::PasswordChangeRequired => 403,
            ServiceError::NotFound(_) => 404,
            ServiceError::BadRequest(_) => 400,
            ServiceError::Unprocessable(_) => 422,
            ServiceError::Conflict(_) | ServiceError::Unconfirmed { .. } => 409,
            ServiceError::TooLarge(_) => 413,
            ServiceError::Unavailable(_) => 503,
            ServiceError::Internal => 500,
        }
    }

    /// The stable, machine-readable code clients branch on.
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::Unauthenticated => "unauthenticated",
            ServiceError::InvalidCredentials => "invalid_credentials",
            ServiceError::Throttled(_) => "too_many_attempts",
            ServiceError::RateLimited(_) => "rate_limited",
            ServiceError::Forbidden(_) => "forbidden",
            ServiceError::PasswordChangeRequired => "password_change_required",
            ServiceError::NotFound(_) => "not_found",
            ServiceError::BadRequest(_) => "bad_request",
            ServiceError::Unprocessable(_) => "invalid_input",
            ServiceError::Conflict(_) | ServiceError::Unconfirmed { .. } => "conflict",
            ServiceError::TooLarge(_) => "too_large",
            ServiceError::Unavailable(_) => "unavailable",
            ServiceError::Internal => "internal",
        }
    }

    /// How long to wait before trying again, for a throttled request.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ServiceError::Throttled(wait) | ServiceError::RateLimited(wait) => {
                Some((*wait).max(Duration::from_secs(1)))
            }
            _ => None,
        }
    }

    /// The JSON body every error answers with.
    pub fn json_body(&self) -> Vec<u8> {
        if let ServiceError::Unconfirmed { message, warnings } = self {
            let body = serde_json::json!({
                "error": self.code(),
                "message": message,
                "warnings": warnings,
            });
            return serde_json::to_vec(&body).unwrap_or_default();
        }
        vanguard_shared::error_body::ErrorBody {
            error: self.code().into(),
            message: self.to_string(),
        }
        .to_bytes()
    }

    /// Logs an unexpected failure and hides it.
    pub fn internal(err: &dyn std::error::Error) -> Self {
        tracing::error!(error = %err, "internal error");
        ServiceError::Internal
    }
}

impl From<StoreError> for ServiceError {
    fn from(err: StoreError) -> Self {
        ServiceError::internal(&err)
    }
}

impl From<Refusal> for ServiceError {
    fn from(err: Refusal) -> Self {
        match err {
            Refusal::NotFound(m) => ServiceError::NotFound(m.into()),
            Refusal::Forbidden(m) => ServiceError::Forbidden(m.into()),
            Refusal::Year(e) => ServiceError::BadRequest(e.to_string()),
            Refusal::Store(e) => e.into(),
        }
    }
}

impl From<AuthError> for ServiceError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::InvalidCredentials => ServiceError::InvalidCredentials,
            AuthError::Throttled { retry_after } => ServiceError::Throttled(retry_after),
            AuthError::Unauthenticated => ServiceError::Unauthenticated,
            AuthError::WrongCurrentPassword => ServiceError::Forbidden(err.to_string()),
            AuthError::BadInput(e) => ServiceError::Unprocessable(e.to_string()),
            AuthError::Store(ref e) => ServiceError::internal(e),
            AuthError::Hash(ref e) => ServiceError::internal(e),
        }
    }
}

impl From<AccountsError> for ServiceError {
    fn from(err: AccountsError) -> Self {
        match err {
            AccountsError::Forbidden | AccountsError::OwnAccount => {
                ServiceError::Forbidden(err.to_string())
            }
            AccountsError::UnknownMember => ServiceError::NotFound(err.to_string()),
            AccountsError::Auth(e) => e.into(),
            AccountsError::Store(ref e) => ServiceError::internal(e),
        }
    }
}

impl From<ImportError> for ServiceError {
    fn from(err: ImportError) -> Self {
        match err {
            ImportError::Accounts(e) => e.into(),
            other => ServiceError::Unprocessable(other.to_string()),
        }
    }
}

impl From<SyncError> for ServiceError {
    fn from(err: SyncError) -> Self {
        match err {
            SyncError::UnknownDocument => ServiceError::NotFound(err.to_string()),
            SyncError::Forbidden(m) => ServiceError::Forbidden(m),
            SyncError::Malformed(m) => ServiceError::BadRequest(m),
            SyncError::Schema(e) => ServiceError::Unprocessable(e.to_string()),
            SyncError::Edit(e) => ServiceError::Unprocessable(e.to_string()),
            SyncError::Limit(LimitError::Malformed) => ServiceError::BadRequest(err.to_string()),
            SyncError::Limit(LimitError::TooDeep(_)) => {
                ServiceError::Unprocessable(err.to_string())
            }
            SyncError::Limit(_) | SyncError::TooLarge(_) => ServiceError::TooLarge(err.to_string()),
            SyncError::Throttled(wait) => ServiceError::Throttled(wait),
            SyncError::Busy => ServiceError::Unavailable(err.to_string()),
            SyncError::Store(e) => e.into(),
        }
    }
}

impl From<EventError> for ServiceError {
    fn from(err: EventError) -> Self {
        match err {
            EventError::Forbidden | EventError::NotListed => {
                ServiceError::Forbidden(err.to_string())
            }
            EventError::UnknownEvent => ServiceError::NotFound(err.to_string()),
            EventError::NotOpen => ServiceError::Conflict(err.to_string()),
            EventError::Invalid(m) => ServiceError::Unprocessable(m),
            EventError::Sync(e) => e.into(),
            EventError::Store(ref e) => ServiceError::internal(e),
        }
    }
}

impl From<ReviewError> for ServiceError {
    fn from(err: ReviewError) -> Self {
        match err {
            ReviewError::NotFound(m) => ServiceError::NotFound(m.into()),
            ReviewError::Forbidden(m) => ServiceError::Forbidden(m.into()),
            ReviewError::Invalid(m) => ServiceError::Unprocessable(m),
            ReviewError::Year(e) => ServiceError::BadRequest(e.to_string()),
            ReviewError::Sync(e) => e.into(),
            ReviewError::Store(e) => e.into(),
        }
    }
}

impl From<AttendanceError> for ServiceError {
    fn from(err: AttendanceError) -> Self {
        match err {
            AttendanceError::UnknownEvent => ServiceError::NotFound(err.to_string()),
            AttendanceError::Forbidden(m) => ServiceError::Forbidden(m.into()),
            AttendanceError::Invalid(m) => ServiceError::Unprocessable(m),
            AttendanceError::Sync(e) => e.into(),
            AttendanceError::Store(e) => e.into(),
        }
    }
}

impl From<RulebookError> for ServiceError {
    fn from(err: RulebookError) -> Self {
        match err {
            RulebookError::NotFound(m) => ServiceError::NotFound(m.into()),
            RulebookError::Forbidden(m) => ServiceError::Forbidden(m.into()),
            RulebookError::Invalid(m) => ServiceError::Unprocessable(m),
            RulebookError::Conflict(m) => ServiceError::Conflict(m.into()),
            RulebookError::Year(e) => ServiceError::BadRequest(e.to_string()),
            RulebookError::Store(e) => e.into(),
        }
    }
}

impl From<LedgerError> for ServiceError {
    fn from(err: LedgerError) -> Self {
        match err {
            LedgerError::NotFound(m) => ServiceError::NotFound(m.into()),
            LedgerError::Forbidden(m) => ServiceError::Forbidden(m.into()),
            LedgerError::Refused(e) => e.into(),
            LedgerError::Year(e) => ServiceError::BadRequest(e.to_string()),
            LedgerError::Store(e) => e.into(),
        }
    }
}

impl From<ExportError> for ServiceError {
    fn from(err: ExportError) -> Self {
        ServiceError::internal(&err)
    }
}

impl From<RecordsError> for ServiceError {
    fn from(err: RecordsError) -> Self {
        match err {
            RecordsError::NotFound => ServiceError::NotFound(err.to_string()),
            RecordsError::Year(e) => ServiceError::BadRequest(e.to_string()),
            RecordsError::Store(e) => e.into(),
        }
    }
}

impl From<AuditTrailError> for ServiceError {
    fn from(err: AuditTrailError) -> Self {
        match err {
            AuditTrailError::Forbidden => ServiceError::Forbidden(err.to_string()),
            AuditTrailError::Invalid(m) => ServiceError::Unprocessable(m),
            AuditTrailError::Store(e) => e.into(),
        }
    }
}

impl From<CommitteeError> for ServiceError {
    fn from(err: CommitteeError) -> Self {
        match err {
            CommitteeError::Forbidden => ServiceError::Forbidden(err.to_string()),
            CommitteeError::Year(e) => ServiceError::BadRequest(e.to_string()),
            CommitteeError::YearEnd(e) => e.into(),
            CommitteeError::Store(e) => e.into(),
        }
    }
}

impl From<crate::accounts::roster::RosterError> for ServiceError {
    fn from(err: crate::accounts::roster::RosterError) -> Self {
        use crate::accounts::roster::RosterError;
        match err {
            RosterError::Forbidden(m) => ServiceError::Forbidden(m.into()),
            RosterError::Invalid(m) => ServiceError::Unprocessable(m),
            RosterError::UnknownMember => ServiceError::NotFound(err.to_string()),
            RosterError::Accounts(e) => e.into(),
            RosterError::Store(e) => e.into(),
        }
    }
}

impl From<crate::export_jobs::ExportJobError> for ServiceError {
    fn from(err: crate::export_jobs::ExportJobError) -> Self {
        use crate::export_jobs::ExportJobError;
        match err {
            ExportJobError::Forbidden => ServiceError::Forbidden(err.to_string()),
            ExportJobError::NotFound => ServiceError::NotFound(err.to_string()),
            ExportJobError::NotReady => ServiceError::Conflict(err.to_string()),
            ExportJobError::Year(e) => ServiceError::BadRequest(e.to_string()),
            ExportJobError::Store(e) => e.into(),
        }
    }
}

impl From<YearEndError> for ServiceError {
    fn from(err: YearEndError) -> Self {
        let text = err.to_string();
        match err {
            YearEndError::NotFound(m) => ServiceError::NotFound(m.into()),
            YearEndError::Forbidden(m) => ServiceError::Forbidden(m.into()),
            YearEndError::Invalid(m) => ServiceError::Unprocessable(m),
            YearEndError::Conflict(m) => ServiceError::Conflict(m.into()),
            YearEndError::Unconfirmed(warnings) => ServiceError::Unconfirmed {
                message: text,
                warnings,
            },
            YearEndError::Refused(e) => e.into(),
            YearEndError::Year(e) => ServiceError::BadRequest(e.to_string()),
            YearEndError::Store(e) => e.into(),
        }
    }
}

/// Every error a service answers with, each classified above: the one
/// list both doors expand (the API's `ApiError`, the pages' `UiError`), so
/// a new error enum is named here and nowhere else. `$then!` is called
/// with the types' paths.
#[macro_export]
macro_rules! service_errors {
    ($then:ident) => {
        $then!(
            $crate::policy::Refusal,
            $crate::storage::StoreError,
            $crate::auth::AuthError,
            $crate::accounts::AccountsError,
            $crate::accounts::roster::RosterError,
            $crate::accounts::import::ImportError,
            $crate::events::EventError,
            $crate::sync::SyncError,
            $crate::records::RecordsError,
            $crate::review::ReviewError,
            $crate::attendance::AttendanceError,
            $crate::ledger::LedgerError,
            $crate::rulebooks::RulebookError,
            $crate::year_end::YearEndError,
            $crate::committee::CommitteeError,
            $crate::exports::ExportError,
            $crate::export_jobs::ExportJobError,
            $crate::audit_trail::AuditTrailError
        );
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttled_carries_retry_after() {
        let err = ServiceError::Throttled(Duration::from_secs(42));
        assert_eq!(err.status(), 429);
        assert_eq!(err.retry_after(), Some(Duration::from_secs(42)));
    }

    #[test]
    fn internal_errors_hide_details() {
        let err: ServiceError =
            AuthError::Store(StoreError::Corrupt("secret detail".into())).into();
        assert_eq!(err.code(), "internal");
        assert!(!err.to_string().contains("secret"));
    }
}
