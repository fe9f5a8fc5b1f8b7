//! The service boundary's one error type. The HTTP layer maps each variant
//! to a status and a stable `code`; the CLI prints it.

use tern_store::StoreError;

pub use crate::error_code::Code;

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
}

impl FieldError {
    /// A field refused for a reason the service decides.
    pub fn new(field: &str, code: Code) -> Self {
        Self::parsed(field, code.as_str())
    }

    /// A field refused by one of the domain's parsers, with its code.
    pub fn parsed(field: &str, code: &'static str) -> Self {
        Self {
            field: field.to_owned(),
            code,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Some fields are invalid (HTTP 422).
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    /// Wrong email or password; deliberately says which neither.
    #[error("invalid email or password")]
    InvalidCredentials,
    /// The password was right and the account has two-factor on: sign in
    /// again with `challenge` and a code (HTTP 401 `totp_required`).
    #[error("second factor required")]
    TotpRequired { challenge: String, expires_at: String },
    /// The second factor was wrong or already used (HTTP 401 `totp_invalid`).
    #[error("second factor invalid")]
    TotpInvalid,
    /// No valid session or token.
    #[error("not signed in")]
    Unauthenticated,
    /// Signed in, but the role does not allow it.
    #[error("not allowed")]
    Forbidden,
    /// The action needs the password again (a recent re-authentication).
    #[error("re-authentication required")]
    ReauthRequired,
    /// The email address has not been confirmed yet.
    #[error("email not verified")]
    EmailNotVerified,
    /// The account is frozen or closed.
    #[error("account is not active")]
    AccountInactive,
    /// A terms version that requires acceptance is in effect and this
    /// account has not accepted it yet (HTTP 403).
    #[error("the current terms must be accepted first")]
    TermsAcceptanceRequired,
    #[error("not found")]
    NotFound,
    /// A link or code that is unknown, used or expired.
    #[error("the link or code is invalid or has expired")]
    TokenInvalid,
    /// A state conflict with a stable code.
    #[error("conflict: {0}")]
    Conflict(Code),
    /// The wallet cannot pay; `shortfall_minor` more is needed.
    #[error("insufficient funds")]
    InsufficientFunds { shortfall_minor: i64, currency: String },
    /// Too many attempts; try again after this many seconds.
    #[error("too many attempts")]
    RateLimited { retry_after_secs: u64 },
    /// A per-feature limit with its own stable code (HTTP 429); try again
    /// after this many seconds.
    #[error("limit reached: {code}")]
    Throttled { code: Code, retry_after_secs: u64 },
    /// Not found, with a stable code more precise than `not_found` (HTTP 404).
    #[error("not found: {0}")]
    Missing(Code),
    /// Existed, but is gone for good, with a stable code (HTTP 410).
    #[error("gone: {0}")]
    Gone(Code),
    /// The database or another dependency is down; retry later.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// The stable code clients script against.
    pub fn code(&self) -> Code {
        match self {
            AppError::Validation(_) => Code::ValidationFailed,
            AppError::InvalidCredentials => Code::InvalidCredentials,
            AppError::Unauthenticated => Code::Unauthenticated,
            AppError::TotpRequired { .. } => Code::TotpRequired,
            AppError::TotpInvalid => Code::TotpInvalid,
            AppError::Forbidden => Code::Forbidden,
            AppError::ReauthRequired => Code::ReauthenticationRequired,
            AppError::EmailNotVerified => Code::EmailNotVerified,
            AppError::AccountInactive => Code::AccountInactive,
            AppError::TermsAcceptanceRequired => Code::TermsAcceptanceRequired,
            AppError::NotFound => Code::NotFound,
            AppError::TokenInvalid => Code::TokenInvalid,
            AppError::Conflict(code) => *code,
            AppError::RateLimited { .. } => Code::RateLimited,
            AppError::Throttled { code, .. } => *code,
            AppError::Missing(code) | AppError::Gone(code) => *code,
            AppError::InsufficientFunds { .. } => Code::InsufficientFunds,
            AppError::Unavailable(_) => Code::Unavailable,
            AppError::Internal(_) => Code::InternalError,
        }
    }

    pub fn field(field: &str, code: Code) -> Self {
        AppError::Validation(vec![FieldError::new(field, code)])
    }

    /// A 422 for one field a domain parser refused.
    pub fn parsed(field: &str, code: &'static str) -> Self {
        AppError::Validation(vec![FieldError::parsed(field, code)])
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(m) => AppError::Unavailable(m),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<tern_notify::NotifyError> for AppError {
    fn from(e: tern_notify::NotifyError) -> Self {
        AppError::Internal(e.to_string())
    }
}

pub type AppResult<T> = Result<T, AppError>;
