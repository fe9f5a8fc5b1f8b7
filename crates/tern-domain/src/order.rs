//! Orders: what a traveller bought, and where its fulfilment stands.
//!
//! ```text
//!  provisioning → completed → canceled (within the cancel window, unused)
//!              ↘ failed (the SM-DP+ refused or never answered; refunded)
//! ```

use std::fmt;

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

impl OrderState {
    pub const ALL: [OrderState; 4] = [
        OrderState::Provisioning,
        OrderState::Completed,
        OrderState::Failed,
        OrderState::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Provisioning => "provisioning",
            OrderState::Completed => "completed",
            OrderState::Failed => "failed",
            OrderState::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl fmt::Display for OrderState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an order buys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderKind {
    /// A new eSIM profile with the plan's package on it.
    NewEsim,
    /// Another package on one of the traveller's eSIMs.
    TopUp,
}

impl OrderKind {
    pub const ALL: [OrderKind; 2] = [OrderKind::NewEsim, OrderKind::TopUp];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderKind::NewEsim => "new_esim",
            OrderKind::TopUp => "top_up",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for OrderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
