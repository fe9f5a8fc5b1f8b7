//! eSIMs as the traveller sees them, and the SM-DP+'s download progress
//! callbacks that move them from released to installed.

mod emulator;
mod progress;
mod rendered;
mod views;

pub use emulator::start_emulator;
pub use progress::{download_progress, simulate_install};
pub use rendered::Rendered;
pub(crate) use views::lookup_signed_in;
pub(crate) use views::package_view;
pub use views::{EsimDetail, EsimSummary, PackageView, get, get_signed_in, list, qr_svg};
