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

/// What a refund line pays back: one top-up, through its gateway, or the
/// remainder no gateway can take, which finance pays out by hand. Stored
/// (and sent) as the top-up's id or the word `manual`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RefundSource {
    TopUp(crate::TopUpId),
    Manual,
}

impl RefundSource {
    const MANUAL: &'static str = "manual";

    /// The stored word: the top-up's id, or `manual`.
    pub fn as_str(&self) -> &str {
        match self {
            RefundSource::TopUp(id) => id.as_str(),
            RefundSource::Manual => Self::MANUAL,
        }
    }

    /// Reads a stored source back. Top-up ids are random tokens and never
    /// the word `manual`.
    pub fn from_stored(s: &str) -> Self {
        if s == Self::MANUAL {
            RefundSource::Manual
        } else {
            RefundSource::TopUp(s.into())
        }
    }

    /// The top-up this line refunds, if it goes through a gateway.
    pub fn top_up(&self) -> Option<&crate::TopUpId> {
        match self {
            RefundSource::TopUp(id) => Some(id),
            RefundSource::Manual => None,
        }
    }
}

impl serde::Serialize for RefundSource {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

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
        let card = RefundSource::TopUp("t1".into());
        assert_eq!(RefundSource::from_stored(card.as_str()), card);
        assert_eq!(RefundSource::from_stored("manual"), RefundSource::Manual);
        assert_eq!(RefundSource::Manual.top_up(), None);
        assert!(TopUpState::Refunded.was_paid() && !TopUpState::Pending.was_paid());
    }
}
