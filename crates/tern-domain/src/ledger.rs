//! The wallet ledger's closed sets: what a transaction is, what kind of
//! account it moves money between, and the operator's own (system)
//! accounts.
//!
//! A transaction's kind and its reference (an order, a voucher, a
//! refund, …) are unique together, so posting the same thing twice does
//! nothing the second time.

/// What a ledger transaction records. Every one of these can appear in a
/// traveller's wallet history, so each has a label in both languages
/// (`wallet.kind.<word>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionKind {
    /// A voucher redeemed into the wallet.
    Voucher,
    /// A card payment into the wallet.
    TopUp,
    /// A plan bought from the wallet.
    Purchase,
    /// A purchase given back because the order failed.
    PurchaseReversal,
    /// A purchase given back because the traveller cancelled the order.
    OrderRefund,
    /// A credit or debit made by staff, with a reason.
    Adjustment,
    /// A closure moving the balance to refunds payable (and forfeiting
    /// promotional credit).
    ClosureSettlement,
    /// A closure's card refund, sent back through the gateway.
    GatewayRefund,
    /// A closure's refund paid out by hand by finance.
    ManualPayout,
}

words!(TransactionKind {
    Voucher = "voucher",
    TopUp = "top_up",
    Purchase = "purchase",
    PurchaseReversal = "purchase_reversal",
    OrderRefund = "order_refund",
    Adjustment = "adjustment",
    ClosureSettlement = "closure_settlement",
    GatewayRefund = "gateway_refund",
    ManualPayout = "manual_payout",
});

/// Whose money a ledger account holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LedgerAccountKind {
    /// A traveller's cash: paid in, refundable on closure.
    Cash,
    /// A traveller's promotional credit: spendable, never refunded.
    Promo,
    /// One of the operator's own accounts ([`SystemAccount`]); only these
    /// may go below zero.
    System,
}

words!(LedgerAccountKind {
    Cash = "cash",
    Promo = "promo",
    System = "system",
});

/// The operator's own ledger accounts, one per currency. Money comes in
/// from `Vouchers`, `Gateway` and `Adjustments`, goes out to `Revenue`,
/// and on closure through `RefundsPayable` to `Gateway` or `Payouts`.
/// `Purged` takes what the records of an account erased after its
/// retention period still held, so the ledger stays balanced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SystemAccount {
    Vouchers,
    Gateway,
    Revenue,
    Adjustments,
    RefundsPayable,
    PromoForfeited,
    Payouts,
    Purged,
}

impl SystemAccount {
    /// The id of this account's ledger account in `currency`.
    pub fn ledger_id(self, currency: &str) -> String {
        format!("system:{}:{currency}", self.as_str())
    }
}

words!(SystemAccount {
    Vouchers = "vouchers",
    Gateway = "gateway",
    Revenue = "revenue",
    Adjustments = "adjustments",
    RefundsPayable = "refunds_payable",
    PromoForfeited = "promo_forfeited",
    Payouts = "payouts",
    Purged = "purged",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for k in TransactionKind::ALL {
            assert_eq!(TransactionKind::parse(k.as_str()), Some(k));
        }
        for k in LedgerAccountKind::ALL {
            assert_eq!(LedgerAccountKind::parse(k.as_str()), Some(k));
        }
        for a in SystemAccount::ALL {
            assert_eq!(SystemAccount::parse(a.as_str()), Some(a));
        }
        assert_eq!(TransactionKind::parse("refund"), None);
        assert_eq!(
            SystemAccount::RefundsPayable.ledger_id("EUR"),
            "system:refunds_payable:EUR"
        );
    }
}
