//! What account closure deletes, what it keeps under a pseudonym and why,
//! and what holds processing back. The closure preview promises these and
//! the receipt reports them, so each is a closed set of words. No I/O.

/// Deleted for good when an account closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Erased {
    /// Email, phone, name and password.
    Profile,
    Sessions,
    Messages,
    DeviceIds,
    ClosureReasonText,
}

words!(Erased {
    Profile = "profile",
    Sessions = "sessions",
    Messages = "messages",
    DeviceIds = "device_ids",
    ClosureReasonText = "closure_reason_text",
});

/// A kind of data the preview says is kept after closure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kept {
    Orders,
    Payments,
    Ledger,
    Esims,
    Usage,
}

words!(Kept {
    Orders = "orders",
    Payments = "payments",
    Ledger = "ledger",
    Esims = "esims",
    Usage = "usage",
});

impl Kept {
    /// The law that makes Tern keep it.
    pub fn because(self) -> KeptBecause {
        match self {
            Kept::Orders | Kept::Payments | Kept::Ledger => KeptBecause::AccountingLaw,
            Kept::Esims | Kept::Usage => KeptBecause::TelecomLaw,
        }
    }
}

/// Why a kind of data outlives the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeptBecause {
    AccountingLaw,
    TelecomLaw,
}

words!(KeptBecause {
    AccountingLaw = "accounting_law",
    TelecomLaw = "telecom_law",
});

/// The records the receipt counts as kept under the pseudonym. These are
/// the words stored in receipts, so they stay as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Retained {
    Orders,
    Esims,
    UsageRecords,
    LedgerEntries,
    Payments,
}

words!(Retained {
    Orders = "orders",
    Esims = "esims",
    UsageRecords = "usage_records",
    LedgerEntries = "ledger_entries",
    Payments = "payments",
});

impl Retained {
    /// The kind of kept data the preview promised these records under.
    pub fn kept(self) -> Kept {
        match self {
            Retained::Orders => Kept::Orders,
            Retained::Esims => Kept::Esims,
            Retained::UsageRecords => Kept::Usage,
            Retained::LedgerEntries => Kept::Ledger,
            Retained::Payments => Kept::Payments,
        }
    }
}

/// Something that holds closure processing back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hold {
    TopUpInFlight,
    OrderInProgress,
}

words!(Hold {
    TopUpInFlight = "top_up_in_flight",
    OrderInProgress = "order_in_progress",
});

impl Hold {
    /// What the traveller can do about it.
    pub fn action(self) -> HoldAction {
        match self {
            Hold::TopUpInFlight | Hold::OrderInProgress => HoldAction::Wait,
        }
    }
}

/// What a traveller can do about a hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HoldAction {
    /// It settles by itself.
    Wait,
    ContactSupport,
}

words!(HoldAction {
    Wait = "wait",
    ContactSupport = "contact_support",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_retained_record_was_promised_in_the_preview() {
        let promised: Vec<Kept> = Retained::ALL.iter().map(|r| r.kept()).collect();
        for k in Kept::ALL {
            assert!(promised.contains(&k), "{k} is promised but never counted");
        }
    }

    #[test]
    fn accounting_records_are_kept_for_accounting_law() {
        assert_eq!(Kept::Payments.because(), KeptBecause::AccountingLaw);
        assert_eq!(Kept::Usage.because(), KeptBecause::TelecomLaw);
        assert_eq!(Retained::parse("ledger_entries"), Some(Retained::LedgerEntries));
        assert_eq!(Retained::parse("ledger"), None);
    }
}
