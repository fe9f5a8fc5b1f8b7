//! Support tickets: their categories, their states and the moves between
//! them, and the limits on what a ticket's subject and messages may hold.
//! No I/O.
//!
//! ```text
//!            staff reply                 user reply
//!   open ───────────────► waiting_on_customer ───────► open
//!    │  ▲                        │
//!    │  └──── user reply ─── resolved ◄── staff sets state (any open one)
//!    └──────────────► closed (final: the user closes, or staff close)
//! ```

use std::fmt;

/// What a ticket is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketCategory {
    Billing,
    Installation,
    Connectivity,
    AccountClosure,
    Other,
}

words!(TicketCategory {
    Billing = "billing",
    Installation = "installation",
    Connectivity = "connectivity",
    AccountClosure = "account_closure",
    Other = "other",
});

/// Where a ticket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketState {
    /// Waiting for staff.
    Open,
    /// Staff answered; waiting for the user.
    WaitingOnCustomer,
    /// Staff consider it solved; a user reply reopens it.
    Resolved,
    /// Final: nothing more can be written to it.
    Closed,
}

words!(TicketState {
    Open = "open",
    WaitingOnCustomer = "waiting_on_customer",
    Resolved = "resolved",
    Closed = "closed",
});

impl TicketState {
    /// Open and waiting tickets count as the queue's open work.
    pub fn is_active(self) -> bool {
        matches!(self, TicketState::Open | TicketState::WaitingOnCustomer)
    }

    /// Where `event` takes a ticket in this state, or why it cannot happen.
    pub fn on(self, event: TicketEvent) -> Result<TicketState, TicketRefusal> {
        use TicketState::*;
        if self == Closed {
            return Err(TicketRefusal::Closed);
        }
        Ok(match event {
            // A follow-up note on a solved ticket does not reopen it.
            TicketEvent::StaffReply => match self {
                Resolved => Resolved,
                _ => WaitingOnCustomer,
            },
            TicketEvent::UserReply => Open,
            TicketEvent::UserClose => Closed,
            TicketEvent::StaffSets(to) => to,
        })
    }
}

/// What happens to a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketEvent {
    /// A support or admin account writes a message.
    StaffReply,
    /// The ticket's owner writes a message.
    UserReply,
    /// The ticket's owner closes it.
    UserClose,
    /// Staff set the state by hand.
    StaffSets(TicketState),
}

/// Why a move is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketRefusal {
    /// The ticket is closed; closed is final.
    Closed,
}

impl TicketRefusal {
    /// The stable code clients script against (HTTP 409).
    pub fn code(self) -> &'static str {
        match self {
            TicketRefusal::Closed => "ticket_closed",
        }
    }
}

impl fmt::Display for TicketRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the ticket is closed")
    }
}

impl std::error::Error for TicketRefusal {}

/// Longest subject, in characters.
pub const MAX_SUBJECT: usize = 200;
/// Longest message, in characters.
pub const MAX_BODY: usize = 10_000;

/// A ticket's subject: one line of 1 to 200 characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketSubject(String);

impl TicketSubject {
    /// Trims and checks; the error is a stable code.
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let s = s.trim();
        if s.is_empty() {
            return Err("ticket_subject_required");
        }
        if s.chars().count() > MAX_SUBJECT {
            return Err("ticket_subject_too_long");
        }
        // One line: a subject also goes into email subject lines.
        if s.chars().any(char::is_control) {
            return Err("ticket_subject_invalid");
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A message's text: 1 to 10 000 characters, trimmed, line breaks kept
/// (as `\n`), other control characters refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let s = s.replace("\r\n", "\n").replace('\r', "\n");
        let s = s.trim();
        if s.is_empty() {
            return Err("ticket_body_required");
        }
        if s.chars().count() > MAX_BODY {
            return Err("ticket_body_too_long");
        }
        if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err("ticket_body_invalid");
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TicketState::*;

    #[test]
    fn replies_move_the_ticket_between_the_two_sides() {
        assert_eq!(Open.on(TicketEvent::StaffReply), Ok(WaitingOnCustomer));
        assert_eq!(WaitingOnCustomer.on(TicketEvent::StaffReply), Ok(WaitingOnCustomer));
        assert_eq!(WaitingOnCustomer.on(TicketEvent::UserReply), Ok(Open));
        assert_eq!(Open.on(TicketEvent::UserReply), Ok(Open));
        assert_eq!(Resolved.on(TicketEvent::UserReply), Ok(Open), "a user reply reopens");
        assert_eq!(Resolved.on(TicketEvent::StaffReply), Ok(Resolved));
    }

    #[test]
    fn closed_is_final() {
        for e in [
            TicketEvent::StaffReply,
            TicketEvent::UserReply,
            TicketEvent::UserClose,
            TicketEvent::StaffSets(Open),
            TicketEvent::StaffSets(Closed),
        ] {
            assert_eq!(Closed.on(e), Err(TicketRefusal::Closed), "{e:?}");
        }
        assert_eq!(TicketRefusal::Closed.code(), "ticket_closed");
        for s in [Open, WaitingOnCustomer, Resolved] {
            assert_eq!(s.on(TicketEvent::UserClose), Ok(Closed));
            assert_eq!(s.on(TicketEvent::StaffSets(Resolved)), Ok(Resolved));
        }
    }

    #[test]
    fn names_round_trip() {
        for s in TicketState::ALL {
            assert_eq!(TicketState::parse(s.as_str()), Some(s));
        }
        for c in TicketCategory::ALL {
            assert_eq!(TicketCategory::parse(c.as_str()), Some(c));
        }
        assert_eq!(TicketCategory::parse("Billing"), None);
        assert!(Open.is_active() && WaitingOnCustomer.is_active() && !Resolved.is_active());
    }

    #[test]
    fn subjects_and_bodies_are_checked() {
        assert_eq!(TicketSubject::parse("  "), Err("ticket_subject_required"));
        assert_eq!(TicketSubject::parse(&"é".repeat(201)), Err("ticket_subject_too_long"));
        assert!(TicketSubject::parse(&"é".repeat(200)).is_ok());
        assert_eq!(TicketSubject::parse("a\nBcc: x"), Err("ticket_subject_invalid"));
        assert_eq!(
            TicketSubject::parse(" Hi ").map(|s| s.as_str().to_owned()),
            Ok("Hi".into())
        );
        assert_eq!(MessageBody::parse("\n \n"), Err("ticket_body_required"));
        assert_eq!(MessageBody::parse(&"x".repeat(10_001)), Err("ticket_body_too_long"));
        assert!(MessageBody::parse(&"x".repeat(10_000)).is_ok());
        assert_eq!(MessageBody::parse("a\u{0}b"), Err("ticket_body_invalid"));
        assert_eq!(
            MessageBody::parse("line 1\r\nline 2\r").map(|b| b.as_str().to_owned()),
            Ok("line 1\nline 2".into())
        );
    }
}
