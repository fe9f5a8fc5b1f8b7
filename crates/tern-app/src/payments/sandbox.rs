//! The sandbox gateway: test cards on a hosted checkout page served by Tern
//! itself, and a webhook signed with HMAC-SHA256 sent back over HTTP, just
//! as a real provider would.

use serde_json::json;
use tern_store::top_ups::TopUpRow;

use super::{PaymentEvent, PaymentGateway};
use crate::App;
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::error_code::Code;

/// The sandbox's name in URLs and records.
pub const SANDBOX: &str = "sandbox";

/// What a test card does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestCardOutcome {
    Approved,
    Declined,
}

/// The sandbox gateway.
pub struct SandboxGateway;

fn secret(app: &App) -> String {
    crate::tokens::keyed_hash(app.secret_key(), "sandbox-gateway-webhook")
}

/// Reads a typed test card: `4242 4242 4242 4242` is approved,
/// `4000 0000 0000 0002` is declined; anything else that is not a valid
/// card number is refused before "charging".
pub fn test_card(number: &str) -> AppResult<TestCardOutcome> {
    let digits: Vec<u8> = number
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c as u8)
        .collect();
    if !(12..=19).contains(&digits.len()) || !digits.iter().all(u8::is_ascii_digit) {
        return Err(AppError::field("card_number", Code::CardInvalid));
    }
    if !tern_domain::ids::luhn_valid(&digits) {
        return Err(AppError::field("card_number", Code::CardInvalid));
    }
    Ok(match std::str::from_utf8(&digits).unwrap_or("") {
        "4242424242424242" => TestCardOutcome::Approved,
        _ => TestCardOutcome::Declined,
    })
}

#[async_trait::async_trait]
impl PaymentGateway for SandboxGateway {
    fn name(&self) -> &'static str {
        SANDBOX
    }

    fn checkout_url(&self, app: &App, top_up: &TopUpRow) -> String {
        format!("{}/sandbox/checkout/{}", app.settings.base_url(), top_up.id)
    }

    /// The sandbox refunds at once: the "card" is a test card. The
    /// reference is derived from the idempotency key, so a repeat gives the
    /// same one, as a real provider's idempotent refund API would.
    async fn refund(
        &self,
        _app: &App,
        top_up: &TopUpRow,
        amount_minor: i64,
        idempotency_key: &str,
    ) -> AppResult<String> {
        if amount_minor <= 0 || amount_minor > top_up.amount.amount_minor {
            return Err(AppError::Conflict(Code::RefundAmountInvalid));
        }
        if !top_up.state.was_paid() {
            return Err(AppError::Conflict(Code::PaymentNotRefundable));
        }
        Ok(format!("sandbox_re_{}", &crate::tokens::hash(idempotency_key)[..24]))
    }

    /// Checks `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
    /// (at most five minutes old) and reads the event.
    fn verify_webhook(&self, app: &App, signature: &str, body: &[u8]) -> Option<PaymentEvent> {
        let (t, _) = signature.split_once(',')?;
        let ts: i64 = t.strip_prefix("t=")?.parse().ok()?;
        let now = app.now_ms() / 1000;
        if (now - ts).abs() > 300 {
            return None;
        }
        let text = std::str::from_utf8(body).ok()?;
        let expected = tern_notify::sms::signature(&secret(app), ts, text);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), signature.as_bytes())) {
            return None;
        }
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        Some(PaymentEvent {
            top_up_id: v["top_up_id"].as_str()?.into(),
            succeeded: v["type"].as_str()? == "payment.succeeded",
            amount_minor: v["amount_minor"].as_i64()?,
            currency: v["currency"].as_str()?.to_owned(),
            reason: v["reason"].as_str().map(str::to_owned),
        })
    }
}

/// The checkout page's "Pay": decides by test card, then sends the signed
/// webhook to Tern over HTTP and waits for it to be accepted.
/// A top-up that is not `who`'s is 404, like one that does not exist.
pub async fn sandbox_charge(
    app: &App,
    who: &Principal,
    top_up_id: &tern_domain::TopUpId,
    card_number: &str,
) -> AppResult<TestCardOutcome> {
    let top_up = {
        let mut conn = app.db.conn().await?;
        tern_store::top_ups::by_id(&mut conn, top_up_id).await?
    };
    let top_up = top_up
        .filter(|t| t.account_id == who.account_id)
        .ok_or(AppError::NotFound)?;
    let outcome = test_card(card_number)?;
    if top_up.state != tern_domain::payment::TopUpState::Pending {
        return Err(AppError::Conflict(Code::TopUpNotPending));
    }
    let body = json!({
        "id": crate::tokens::new_id(),
        "type": if outcome == TestCardOutcome::Approved { "payment.succeeded" } else { "payment.failed" },
        "top_up_id": top_up.id,
        "amount_minor": top_up.amount.amount_minor,
        "currency": top_up.amount.currency.as_str(),
        "reason": if outcome == TestCardOutcome::Declined { Some("card_declined") } else { None },
    })
    .to_string();
    let sig = tern_notify::sms::signature(&secret(app), app.now_ms() / 1000, &body);
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/payments/webhook/{SANDBOX}", app.local_url))
        .header("content-type", "application/json")
        .header("x-sandbox-signature", sig)
        .body(body)
        .send()
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    if !res.status().is_success() {
        return Err(AppError::Internal(format!("sandbox webhook answered {}", res.status())));
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_cards() {
        assert_eq!(test_card("4242 4242 4242 4242").unwrap(), TestCardOutcome::Approved);
        assert_eq!(test_card("4000-0000-0000-0002").unwrap(), TestCardOutcome::Declined);
        assert!(test_card("4242 4242 4242 4241").is_err());
        assert!(test_card("abc").is_err());
    }
}
