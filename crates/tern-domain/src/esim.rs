//! Where an eSIM profile stands, as the SM-DP+ reported it or Tern
//! decided (ES2+ notification points, SGP.22 §5.3.4).
//!
//! ```text
//!  released → downloaded → installed      (progress only moves forward)
//!      ↘ error (a download step failed; the SM-DP+'s reason is kept)
//!  any → canceled (given back to the SM-DP+) · barred (stopped at the network)
//! ```

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EsimState {
    /// Reserved for the traveller and released for download.
    Released,
    Downloaded,
    Installed,
    Error,
    Canceled,
    Barred,
}

words!(EsimState {
    Released = "released",
    Downloaded = "downloaded",
    Installed = "installed",
    Error = "error",
    Canceled = "canceled",
    Barred = "barred",
});

impl EsimState {
    /// Stopped for good: no notification moves it again.
    pub fn is_stopped(self) -> bool {
        matches!(self, EsimState::Canceled | EsimState::Barred)
    }

    /// How far the download has come (0 for states off that path), so a
    /// late or repeated notification never moves an eSIM back.
    pub fn progress(self) -> u8 {
        match self {
            EsimState::Released => 1,
            EsimState::Downloaded => 2,
            EsimState::Installed => 3,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_progress_only_rises_along_the_download() {
        for s in EsimState::ALL {
            assert_eq!(EsimState::parse(s.as_str()), Some(s));
        }
        assert!(EsimState::Released.progress() < EsimState::Downloaded.progress());
        assert!(EsimState::Downloaded.progress() < EsimState::Installed.progress());
        assert_eq!(EsimState::Barred.progress(), 0);
        assert!(EsimState::Barred.is_stopped() && !EsimState::Error.is_stopped());
    }
}
