//! The plan catalogue: what a traveller can buy, where it works, for how
//! long and at what price.
//!
//! Operators load the catalogue from a JSON or CSV file through [`import`];
//! a sample ships in `examples/catalogue.json`. A [`Plan`] can only be made
//! through [`Plan::new`] (or deserialised through it), so the rest of Tern
//! never sees a plan that breaks the rules written down here.

mod country;
mod error;
pub mod import;
mod plan;

pub use country::{ASSIGNED_COUNTRIES, CountryCode};
pub use error::{ErrorCode, PlanError};
pub use plan::{
    Activation, Coverage, DataAllowance, Plan, PlanCode, PlanName, PlanSpec, Region, RegionLabel, VALIDITY_DAYS,
};

#[cfg(test)]
mod sample_tests;
