//! Account closure: its states and legal transitions, the workflow's steps
//! in order, the reasons a traveller can give, the confirmation phrase, and
//! how a wallet is settled. No I/O.

use std::fmt;

use crate::Locale;

/// Where a closure request is.
///
/// ```text
/// received → cooling_off → processing → completed
///     │           │            │
///     └───────────┴──► canceled (only before processing)
///  received, cooling_off, processing ⇄ on_hold (an operator resumes)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClosureState {
    Received,
    CoolingOff,
    Processing,
    Completed,
    Canceled,
    OnHold,
}

/// A transition the state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IllegalTransition {
    pub from: ClosureState,
    pub to: ClosureState,
}

impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a closure cannot go from {} to {}", self.from, self.to)
    }
}

impl std::error::Error for IllegalTransition {}

words!(ClosureState {
    Received = "received",
    CoolingOff = "cooling_off",
    Processing = "processing",
    Completed = "completed",
    Canceled = "canceled",
    OnHold = "on_hold",
});

impl ClosureState {
    /// Open requests block a second one; completed and canceled do not.
    pub fn is_open(self) -> bool {
        !matches!(self, ClosureState::Completed | ClosureState::Canceled)
    }

    /// Still moving towards completion, so an operator may put it on hold.
    /// (Read from [`ClosureState::transition`], so the two cannot disagree.)
    pub fn can_be_held(self) -> bool {
        self.transition(ClosureState::OnHold).is_ok()
    }

    /// Whether the traveller can still call it off (as the state machine
    /// allows a move to `Canceled`).
    pub fn is_cancelable(self) -> bool {
        self.transition(ClosureState::Canceled).is_ok()
    }

    /// Checks a move to `to`; `Ok(to)` when the state machine allows it.
    pub fn transition(self, to: ClosureState) -> Result<ClosureState, IllegalTransition> {
        use ClosureState::*;
        let ok = match (self, to) {
            (Received, CoolingOff) | (CoolingOff, Processing) | (Processing, Completed) => true,
            (Received | CoolingOff, Canceled) => true,
            (Received | CoolingOff | Processing, OnHold) => true,
            // An operator resumes: back to the cooling-off clock if it has
            // not run out (the caller decides), or straight to processing.
            (OnHold, CoolingOff | Processing) => true,
            _ => false,
        };
        if ok {
            Ok(to)
        } else {
            Err(IllegalTransition { from: self, to })
        }
    }
}

/// The workflow's steps, in the order they run. Each is idempotent; the
/// workflow records each one done and resumes at the first one not done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClosureStep {
    /// No new orders, top-ups or sessions; every session and token ends.
    Freeze,
    /// Undownloaded profiles cancelled at the SM-DP+, installed ones barred.
    StopServices,
    /// The wallet refunded per policy, exactly once.
    SettleWallet,
    /// The data export built and its link mailed (when asked for).
    Export,
    /// The completion notice with the receipt, sent before erasure.
    Notify,
    /// Personal data deleted; records the law keeps, pseudonymised.
    Erase,
    /// Every table and file searched for the erased identifiers.
    Sweep,
    /// The request completed.
    Close,
}

words!(ClosureStep {
    Freeze = "freeze",
    StopServices = "stop_services",
    SettleWallet = "settle_wallet",
    Export = "export",
    Notify = "notify",
    Erase = "erase",
    Sweep = "sweep",
    Close = "close",
});

impl ClosureStep {
    /// The first step of `ALL` that is not in `done`.
    pub fn next(done: &[ClosureStep]) -> Option<ClosureStep> {
        Self::ALL.into_iter().find(|s| !done.contains(s))
    }
}

/// Why a traveller leaves (optional), or `Dormant` when Tern closes an
/// inactive account after warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosureReason {
    NoLongerNeeded,
    FoundCheaper,
    PoorCoverage,
    Privacy,
    Moving,
    Other,
    Dormant,
}

impl ClosureReason {
    /// The reasons a traveller can pick (`Dormant` is Tern's own).
    pub const USER: [ClosureReason; 6] = [
        ClosureReason::NoLongerNeeded,
        ClosureReason::FoundCheaper,
        ClosureReason::PoorCoverage,
        ClosureReason::Privacy,
        ClosureReason::Moving,
        ClosureReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClosureReason::NoLongerNeeded => "no_longer_needed",
            ClosureReason::FoundCheaper => "found_cheaper",
            ClosureReason::PoorCoverage => "poor_coverage",
            ClosureReason::Privacy => "privacy",
            ClosureReason::Moving => "moving",
            ClosureReason::Other => "other",
            ClosureReason::Dormant => "dormant",
        }
    }

    /// Parses a reason a traveller may give; `dormant` is refused.
    pub fn parse_user(s: &str) -> Option<Self> {
        Self::USER.into_iter().find(|r| r.as_str() == s)
    }
}

/// Longest free-text reason, in characters.
pub const MAX_REASON_TEXT: usize = 500;

/// The phrase the traveller types to confirm, in their language.
pub fn confirmation_phrase(locale: Locale) -> &'static str {
    match locale {
        Locale::ZhCn => "注销我的账户",
        Locale::En => "CLOSE MY ACCOUNT",
    }
}

/// Whether `typed` is the confirmation phrase. Surrounding and repeated
/// spaces and letter case do not matter; the English phrase is accepted
/// on a Chinese account too (and the other way round), since the portal
/// may show either.
pub fn confirmation_matches(typed: &str) -> bool {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase();
    let typed = norm(typed);
    [Locale::En, Locale::ZhCn]
        .into_iter()
        .any(|l| norm(confirmation_phrase(l)) == typed)
}

/// How the wallet is settled at closure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundPolicy {
    /// Refund promotional credit as well (normally forfeited).
    pub refund_promo: bool,
}

/// What settling a wallet does with each balance, in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Settlement {
    /// Paid back to the traveller.
    pub refund: i64,
    /// Promotional credit that ends with the account.
    pub forfeit: i64,
}

impl RefundPolicy {
    /// Splits the balances. Negative balances (which the ledger never
    /// allows) count as zero rather than producing a negative refund.
    pub fn settle(self, cash: i64, promo: i64) -> Settlement {
        let (cash, promo) = (cash.max(0), promo.max(0));
        if self.refund_promo {
            Settlement {
                refund: cash + promo,
                forfeit: 0,
            }
        } else {
            Settlement {
                refund: cash,
                forfeit: promo,
            }
        }
    }
}

/// Splits a refund over the payments it came from, newest first, so each
/// goes back the way it was paid; what no payment covers (e.g. paid
/// vouchers) is the remainder for a manual payout. `payments` are
/// (id, refundable amount) pairs, newest first.
pub fn allocate_refund<P: Copy>(refund: i64, payments: &[(P, i64)]) -> (Vec<(P, i64)>, i64) {
    let mut left = refund.max(0);
    let mut out = Vec::new();
    for (id, amount) in payments {
        if left == 0 {
            break;
        }
        let take = (*amount).max(0).min(left);
        if take > 0 {
            out.push((*id, take));
            left -= take;
        }
    }
    (out, left)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ClosureState::*;

    #[test]
    fn the_happy_path_is_legal_and_shortcuts_are_not() {
        assert_eq!(Received.transition(CoolingOff), Ok(CoolingOff));
        assert_eq!(CoolingOff.transition(Processing), Ok(Processing));
        assert_eq!(Processing.transition(Completed), Ok(Completed));
        assert!(Received.transition(Processing).is_err());
        assert!(Received.transition(Completed).is_err());
        assert!(CoolingOff.transition(Completed).is_err());
    }

    #[test]
    fn canceling_is_only_possible_before_processing() {
        assert!(Received.transition(Canceled).is_ok());
        assert!(CoolingOff.transition(Canceled).is_ok());
        assert!(Processing.transition(Canceled).is_err());
        assert!(OnHold.transition(Canceled).is_err());
        assert!(!Processing.is_cancelable());
    }

    #[test]
    fn ended_requests_never_move_again() {
        for to in ClosureState::ALL {
            assert!(Completed.transition(to).is_err(), "completed → {to}");
            assert!(Canceled.transition(to).is_err(), "canceled → {to}");
        }
        assert!(!Completed.is_open() && !Canceled.is_open());
        assert!(OnHold.is_open() && Processing.is_open());
    }

    #[test]
    fn hold_and_resume() {
        assert!(Processing.transition(OnHold).is_ok());
        assert!(OnHold.transition(Processing).is_ok());
        assert!(OnHold.transition(Completed).is_err());
    }

    #[test]
    fn names_round_trip() {
        for s in ClosureState::ALL {
            assert_eq!(ClosureState::parse(s.as_str()), Some(s));
        }
        for s in ClosureStep::ALL {
            assert_eq!(ClosureStep::parse(s.as_str()), Some(s));
        }
        assert_eq!(ClosureReason::parse_user("privacy"), Some(ClosureReason::Privacy));
        assert_eq!(ClosureReason::parse_user("dormant"), None);
    }

    #[test]
    fn next_step_resumes_at_the_first_not_done() {
        assert_eq!(ClosureStep::next(&[]), Some(ClosureStep::Freeze));
        assert_eq!(
            ClosureStep::next(&[ClosureStep::Freeze, ClosureStep::StopServices]),
            Some(ClosureStep::SettleWallet)
        );
        assert_eq!(ClosureStep::next(&ClosureStep::ALL), None);
    }

    #[test]
    fn the_phrase_is_forgiving_about_case_and_spaces_only() {
        assert!(confirmation_matches("close my account"));
        assert!(confirmation_matches("  CLOSE   MY ACCOUNT "));
        assert!(confirmation_matches("注销我的账户"));
        assert!(!confirmation_matches("close my acount"));
        assert!(!confirmation_matches(""));
    }

    #[test]
    fn promo_is_forfeited_unless_the_policy_says_otherwise() {
        let keep = RefundPolicy { refund_promo: false };
        assert_eq!(
            keep.settle(1250, 500),
            Settlement {
                refund: 1250,
                forfeit: 500
            }
        );
        let all = RefundPolicy { refund_promo: true };
        assert_eq!(
            all.settle(1250, 500),
            Settlement {
                refund: 1750,
                forfeit: 0
            }
        );
        assert_eq!(keep.settle(-5, -1), Settlement::default());
    }

    #[test]
    fn refunds_go_back_to_the_newest_payments_first() {
        let (lines, rest) = allocate_refund(2500, &[("t3", 1000), ("t2", 1000), ("t1", 1000)]);
        assert_eq!(lines, vec![("t3", 1000), ("t2", 1000), ("t1", 500)]);
        assert_eq!(rest, 0);
        let (lines, rest) = allocate_refund(2500, &[("t1", 1000)]);
        assert_eq!(lines, vec![("t1", 1000)]);
        assert_eq!(rest, 1500);
        let (lines, rest) = allocate_refund(0, &[("t1", 1000)]);
        assert!(lines.is_empty());
        assert_eq!(rest, 0);
    }
}
