//! Every error code a service answers with, as one enum: clients script
//! against these strings (`{"error":{"code":"…"}}`), so they are
//! written once, here, and every one has a message in each language
//! (the test below). That includes the field codes of a 422
//! (`details[].code`) that services decide and the request codes tern-http
//! answers with; the field codes the domain's parsers return (an email,
//! a phone number, an ICCID…) stay with those parsers.

macro_rules! codes {
    ($($variant:ident = $text:literal,)*) => {
        /// A stable error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in the order listed.
            pub const ALL: &[Code] = &[$(Code::$variant,)*];

            /// The snake_case text clients match on.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                }
            }
        }
    };
}

codes! {
    AccountInactive = "account_inactive",
    AccountNotActive = "account_not_active",
    AdjustmentExceedsBalance = "adjustment_exceeds_balance",
    AlreadyCharged = "already_charged",
    AnnouncementAlreadyPublished = "announcement_already_published",
    AnnouncementNotFound = "announcement_not_found",
    CancelWindowPassed = "cancel_window_passed",
    ClosureNotCancelable = "closure_not_cancelable",
    ClosureNotOpen = "closure_not_open",
    ClosureStateChanged = "closure_state_changed",
    ClosureTransitionNotAllowed = "closure_transition_not_allowed",
    EmailNotVerified = "email_not_verified",
    EsimInstalled = "esim_installed",
    EsimNotInstallable = "esim_not_installable",
    ExportExpired = "export_expired",
    ExportNoRecipient = "export_no_recipient",
    ExportNotFound = "export_not_found",
    ExportRateLimited = "export_rate_limited",
    Forbidden = "forbidden",
    IdempotencyKeyReused = "idempotency_key_reused",
    InsufficientFunds = "insufficient_funds",
    InternalError = "internal_error",
    InvalidCredentials = "invalid_credentials",
    NotFound = "not_found",
    NotInEmulatorMode = "not_in_emulator_mode",
    OrderNotCancellableState = "order_not_cancellable_state",
    PackageUsed = "package_used",
    PaymentAmountMismatch = "payment_amount_mismatch",
    PaymentNotRefundable = "payment_not_refundable",
    PhoneAlreadyVerified = "phone_already_verified",
    RateLimited = "rate_limited",
    ReauthenticationRequired = "reauthentication_required",
    RefundAmountInvalid = "refund_amount_invalid",
    RefundNotAwaitingPayout = "refund_not_awaiting_payout",
    StaffNotActive = "staff_not_active",
    StaffSelfChange = "staff_self_change",
    TermsAcceptanceRequired = "terms_acceptance_required",
    TermsNotPublished = "terms_not_published",
    TermsPublishConflict = "terms_publish_conflict",
    TermsVersionNotFound = "terms_version_not_found",
    TicketClosed = "ticket_closed",
    TicketRateLimited = "ticket_rate_limited",
    TicketStateChanged = "ticket_state_changed",
    TokenInvalid = "token_invalid",
    TopUpNotPending = "top_up_not_pending",
    TotpAlreadyEnabled = "totp_already_enabled",
    TotpInvalid = "totp_invalid",
    TotpNotEnabled = "totp_not_enabled",
    TotpNotEnrolling = "totp_not_enrolling",
    TotpRequired = "totp_required",
    Unauthenticated = "unauthenticated",
    Unavailable = "unavailable",
    ValidationFailed = "validation_failed",
    VoucherAlreadyRedeemed = "voucher_already_redeemed",

    // Field codes: `details[].code` in a 422, beside the field they name.
    AdjustmentAmountInvalid = "adjustment_amount_invalid",
    AdjustmentReasonLength = "adjustment_reason_length",
    AmountNotPositive = "amount_not_positive",
    AmountTooLarge = "amount_too_large",
    AmountZero = "amount_zero",
    AnnouncementKindUnknown = "announcement_kind_unknown",
    ApiKeyNameInvalid = "api_key_name_invalid",
    ApiKeyRoleInvalid = "api_key_role_invalid",
    BucketInvalid = "bucket_invalid",
    CardInvalid = "card_invalid",
    ClosureStateInvalid = "closure_state_invalid",
    CodeExpired = "code_expired",
    CodeInvalid = "code_invalid",
    ConfirmationMismatch = "confirmation_mismatch",
    CountryUnknown = "country_unknown",
    CurrencyNotWallet = "currency_not_wallet",
    DeadlineFilterInvalid = "deadline_filter_invalid",
    EmailInvalid = "email_invalid",
    EsimNotFound = "esim_not_found",
    ExpiresBeforePublish = "expires_before_publish",
    FieldMissing = "field_missing",
    HoldReasonRequired = "hold_reason_required",
    LocaleUnsupported = "locale_unsupported",
    NameTooLong = "name_too_long",
    PasswordIncorrect = "password_incorrect",
    PayoutReferenceInvalid = "payout_reference_invalid",
    PhoneInvalid = "phone_invalid",
    PhoneMissing = "phone_missing",
    PlanCurrency = "plan_currency",
    PlanInactive = "plan_inactive",
    PlanNotFound = "plan_not_found",
    ReasonInvalid = "reason_invalid",
    ReasonTooLong = "reason_too_long",
    RefundStateInvalid = "refund_state_invalid",
    RegionInvalid = "region_invalid",
    RoleNotStaff = "role_not_staff",
    SearchTooLong = "search_too_long",
    SearchTooShort = "search_too_short",
    TicketAssigneeInvalid = "ticket_assignee_invalid",
    TicketCategoryInvalid = "ticket_category_invalid",
    TicketEsimUnknown = "ticket_esim_unknown",
    TicketOrderUnknown = "ticket_order_unknown",
    TicketStateInvalid = "ticket_state_invalid",
    TimeInvalid = "time_invalid",
    TopUpAmountOutOfRange = "top_up_amount_out_of_range",
    VoucherCurrency = "voucher_currency",
    VoucherExpired = "voucher_expired",
    VoucherInvalid = "voucher_invalid",
    // Request codes: what tern-http answers before any service runs.
    BodyTooLarge = "body_too_large",
    InvalidBody = "invalid_body",
    MalformedBody = "malformed_body",
    MalformedJson = "malformed_json",
    PlanImportInvalid = "plan_import_invalid",
    UnsupportedMediaType = "unsupported_media_type",
    BatchEmpty = "batch_empty",
    BatchTooLarge = "batch_too_large",
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use tern_domain::Locale;

    use super::Code;

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{c} listed twice");
            assert!(c.as_str().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{c}");
        }
    }

    #[test]
    fn every_code_has_a_message_in_every_language() {
        for c in Code::ALL {
            for l in Locale::ALL {
                let key = format!("error.{c}");
                assert_ne!(tern_i18n::t(l, &key), key, "no {l:?} message for {c}");
            }
        }
    }
}
