//! The one error type of the ES2+ client.

use crate::codes::{self, StatusCode};
use crate::wire::Es2Function;

/// How a request failed to get an answer; decides whether it may be sent
/// again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// No connection was made, so the SM-DP+ never saw the request: safe to
    /// send again whatever the function.
    Connect,
    /// The request may have been delivered and run; only the answer is
    /// missing.
    Timeout,
    /// Any other I/O failure after connecting (reset, truncated answer);
    /// treated like a timeout.
    Other,
}

impl std::fmt::Display for TransportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TransportKind::Connect => "could not connect",
            TransportKind::Timeout => "timed out",
            TransportKind::Other => "connection failed",
        })
    }
}

/// Why an ES2+ call did not succeed. Services map it to their own errors
/// with [`Es2Error::code`] and the `is_*` helpers.
#[derive(Debug, thiserror::Error)]
pub enum Es2Error {
    /// The SM-DP+ ran the function and refused (`Failed`); nothing changed
    /// there.
    #[error("the SM-DP+ refused {function}: {subject_code}/{reason_code}{}", detail(message))]
    Failed {
        /// The function called.
        function: Es2Function,
        /// SGP.22 subject code, e.g. `8.2.1`.
        subject_code: String,
        /// SGP.22 reason code, e.g. `3.9`.
        reason_code: String,
        /// Which instance of the subject, when the SM-DP+ says.
        subject_identifier: Option<String>,
        /// The SM-DP+'s own words.
        message: Option<String>,
    },
    /// The SM-DP+ let the request expire without running it.
    #[error("the SM-DP+ let {function} expire{}", detail(message))]
    Expired {
        /// The function called.
        function: Es2Function,
        /// The SM-DP+'s own words.
        message: Option<String>,
    },
    /// No answer: connection refused, timeout, reset.
    #[error("ES2+ {function}: {kind}")]
    Transport {
        /// The function called.
        function: Es2Function,
        /// Whether the request can have been delivered.
        kind: TransportKind,
        /// The underlying failure.
        #[source]
        source: reqwest::Error,
    },
    /// An HTTP error status with no ES2+ answer in the body (a proxy, an
    /// overloaded server).
    #[error("ES2+ {function}: HTTP status {status} without an ES2+ answer")]
    Http {
        /// The function called.
        function: Es2Function,
        /// The HTTP status.
        status: u16,
    },
    /// The answer is not ES2+: bad JSON, a missing field, an invalid ICCID.
    #[error("ES2+ {function}: unexpected answer: {detail}")]
    Protocol {
        /// The function called.
        function: Es2Function,
        /// What was wrong with it.
        detail: String,
    },
    /// The client could not be built: bad URL, unreadable certificate.
    #[error("ES2+ client configuration: {0}")]
    Config(String),
}

/// `: message` when there is one.
fn detail(message: &Option<String>) -> String {
    message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()
}

impl Es2Error {
    /// The stable snake_case code logs and services match on.
    pub fn code(&self) -> &'static str {
        match self {
            Es2Error::Failed { .. } => "es2_failed",
            Es2Error::Expired { .. } => "es2_expired",
            Es2Error::Transport { .. } => "es2_transport",
            Es2Error::Http { .. } => "es2_http",
            Es2Error::Protocol { .. } => "es2_protocol",
            Es2Error::Config(_) => "es2_config",
        }
    }

    /// The `(subjectCode, reasonCode)` of a refusal.
    pub fn status_code(&self) -> Option<(&str, &str)> {
        match self {
            Es2Error::Failed {
                subject_code,
                reason_code,
                ..
            } => Some((subject_code, reason_code)),
            _ => None,
        }
    }

    /// True when this is a refusal with `code`.
    pub fn is(&self, code: StatusCode) -> bool {
        self.status_code()
            .is_some_and(|(subject, reason)| code.matches(subject, reason))
    }

    /// The SM-DP+ does not know the ICCID (8.2.1 / 3.9).
    pub fn is_iccid_unknown(&self) -> bool {
        self.is(codes::ICCID_UNKNOWN)
    }

    /// No profile of the requested type is left (8.2.5 / 3.7).
    pub fn is_inventory_exhausted(&self) -> bool {
        self.is(codes::NO_PROFILE_AVAILABLE)
    }

    /// The profile's state forbids the function (8.2.1 / 3.5), e.g. cancelling
    /// an installed profile, or a repeat of a call that already took effect.
    pub fn is_invalid_transition(&self) -> bool {
        self.is(codes::INVALID_TRANSITION)
    }

    /// The order is linked to another EID (8.1.1 / 3.10).
    pub fn is_eid_different(&self) -> bool {
        self.is(codes::EID_DIFFERENT)
    }

    /// The order has another matching id (8.2.6 / 3.10).
    pub fn is_matching_id_different(&self) -> bool {
        self.is(codes::MATCHING_ID_DIFFERENT)
    }

    /// True when the call got no usable answer and sending it again could
    /// help; whether it is *safe* to also depends on the function
    /// ([`Es2Function::is_idempotent`]).
    pub fn is_retryable(&self) -> bool {
        match self {
            Es2Error::Transport { .. } => true,
            Es2Error::Http { status, .. } => *status == 429 || (500..600).contains(status),
            _ => false,
        }
    }

    /// True when the SM-DP+ certainly never saw the request.
    pub fn is_not_delivered(&self) -> bool {
        matches!(
            self,
            Es2Error::Transport {
                kind: TransportKind::Connect,
                ..
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(subject: &str, reason: &str) -> Es2Error {
        Es2Error::Failed {
            function: Es2Function::CancelOrder,
            subject_code: subject.into(),
            reason_code: reason.into(),
            subject_identifier: None,
            message: Some("nope".into()),
        }
    }

    #[test]
    fn helpers_recognise_their_codes() {
        assert!(failed("8.2.1", "3.9").is_iccid_unknown());
        assert!(!failed("8.2.1", "3.10").is_iccid_unknown());
        assert!(failed("8.2.5", "3.7").is_inventory_exhausted());
        assert!(failed("8.2.1", "3.5").is_invalid_transition());
        assert!(failed("8.1.1", "3.10").is_eid_different());
        assert!(failed("8.2.6", "3.10").is_matching_id_different());
        assert!(!failed("8.2.1", "3.9").is_retryable());
        assert_eq!(failed("8.2.1", "3.9").code(), "es2_failed");
    }

    #[test]
    fn display_names_function_and_codes() {
        assert_eq!(
            failed("8.2.1", "3.5").to_string(),
            "the SM-DP+ refused cancelOrder: 8.2.1/3.5: nope"
        );
        let http = Es2Error::Http {
            function: Es2Function::ReleaseProfile,
            status: 503,
        };
        assert!(http.is_retryable());
        assert!(!http.is_not_delivered());
    }
}
