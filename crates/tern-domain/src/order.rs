//! Orders: what a traveller bought, and where its fulfilment stands.
//!
//! ```text
//!  provisioning → completed → canceled (within the cancel window, unused)
//!              ↘ failed (the SM-DP+ refused or never answered; refunded)
//! ```

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderState {
    /// Waiting for the SM-DP+ to reserve a profile (new eSIMs only).
    Provisioning,
    Completed,
    /// Given up; the price went back to the wallet.
    Failed,
    /// Called off by the traveller; refunded.
    Canceled,
}

words!(OrderState {
    Provisioning = "provisioning",
    Completed = "completed",
    Failed = "failed",
    Canceled = "canceled",
});

/// What an order buys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderKind {
    /// A new eSIM profile with the plan's package on it.
    NewEsim,
    /// Another package on one of the traveller's eSIMs.
    TopUp,
}

words!(OrderKind {
    NewEsim = "new_esim",
    TopUp = "top_up",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for s in OrderState::ALL {
            assert_eq!(OrderState::parse(s.as_str()), Some(s));
        }
        for k in OrderKind::ALL {
            assert_eq!(OrderKind::parse(&k.to_string()), Some(k));
        }
        assert_eq!(OrderState::parse("cancelled"), None);
    }
}
