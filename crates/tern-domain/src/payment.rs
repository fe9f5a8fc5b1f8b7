//! Money coming in (wallet top-ups through a gateway) and going back out
//! (refunds at closure).
//!
//! ```text
//!  top-up:  pending → succeeded → refunded (all of it went back at closure)
//!                  ↘ failed (the gateway said no, or it was abandoned)
//!  refund:  pending → refunded          (back through the top-up's gateway)
//!           awaiting_payout → paid_out  (a remainder finance pays by hand)
//! ```

/// Where a wallet top-up stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TopUpState {
    /// Sent to the gateway; its webhook has not said how it went.
    Pending,
    /// Paid: the money is in the wallet.
    Succeeded,
    /// Declined, or pending so long that it was abandoned.
    Failed,
    /// Paid, and all of it has since gone back through the gateway.
    Refunded,
}

words!(TopUpState {
    Pending = "pending",
    Succeeded = "succeeded",
    Failed = "failed",
    Refunded = "refunded",
});

impl TopUpState {
    /// The money reached the wallet (whether or not it has gone back).
    pub fn was_paid(self) -> bool {
        matches!(self, TopUpState::Succeeded | TopUpState::Refunded)
    }
}

/// Where one refund line of a closure stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefundState {
    /// To be sent back through the gateway of the top-up it refunds.
    Pending,
    /// The gateway confirmed it.
    Refunded,
    /// No gateway can take it back; finance pays it out by bank transfer.
    AwaitingPayout,
    /// Finance paid it out.
    PaidOut,
}

words!(RefundState {
    Pending = "pending",
    Refunded = "refunded",
    AwaitingPayout = "awaiting_payout",
    PaidOut = "paid_out",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for s in TopUpState::ALL {
            assert_eq!(TopUpState::parse(s.as_str()), Some(s));
        }
        for s in RefundState::ALL {
            assert_eq!(RefundState::parse(s.as_str()), Some(s));
        }
        assert_eq!(RefundState::parse("paid"), None);
        assert!(TopUpState::Refunded.was_paid() && !TopUpState::Pending.was_paid());
    }
}
