//! Account services: sign-up, verification, sign-in, passwords, profile,
//! phone, sessions and staff accounts.

mod login;
mod password;
mod phone;
mod profile;
mod signup;
mod staff;

pub use login::{LoginInput, NewSession, check_password_limited, login, logout, reauthenticate};
pub use password::{change_password, confirm_reset, request_reset, reset_token_is_live};
pub use phone::{confirm_phone_code, send_phone_code};
pub use profile::{Me, ProfileUpdate, SessionView, end_session, list_sessions, me, update_profile};
pub use signup::{SignupInput, signup, verify_email};
pub use staff::{create_staff, create_staff_by};

use crate::error::{AppError, FieldError};
use crate::error_code::Code;

/// Gathers field errors so a form shows every problem at once.
#[derive(Debug, Default)]
pub(crate) struct Problems(Vec<FieldError>);

impl Problems {
    pub fn add(&mut self, field: &str, code: Code) {
        self.0.push(FieldError::new(field, code));
    }

    /// A field a domain parser refused, with the parser's code.
    pub fn parsed(&mut self, field: &str, code: &'static str) {
        self.0.push(FieldError::parsed(field, code));
    }

    pub fn into_result(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.0))
        }
    }
}
