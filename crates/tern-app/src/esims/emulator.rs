//! Running the built-in SM-DP+ emulator inside the Tern process.

use secrecy::SecretString;
use tern_esim::emulator::{self, CallbackConfig};
use tern_esim::{EmulatorConfig, SmdpEmulator};

use crate::config::Settings;
use crate::error::{AppError, AppResult};

/// Starts the emulator on a loopback port of its own and returns its base
/// URL; Tern's ES2+ client talks to it over HTTP like to a real SM-DP+.
/// It calls `callback_base` back as profiles are downloaded and installed.
pub async fn start_emulator(settings: &Settings, callback_base: &str, secret: &str) -> AppResult<String> {
    let config = EmulatorConfig {
        smdp_address: settings.smdp.emulator_address.clone(),
        profile_type: settings.smdp.profile_type.clone(),
        profile_count: settings.smdp.emulator_profiles,
        iccid_prefix: settings.smdp.emulator_iccid_prefix.clone(),
        iccid_check_digit: settings.smdp.emulator_iccid_check_digit,
        callback: Some(CallbackConfig {
            base_url: callback_base.to_owned(),
            bearer_secret: Some(SecretString::from(secret.to_owned())),
            tls: Default::default(),
        }),
        ..EmulatorConfig::default()
    };
    let emulator = SmdpEmulator::new(config).map_err(|e| AppError::Internal(format!("SM-DP+ emulator: {e}")))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| AppError::Internal(format!("SM-DP+ emulator listener: {e}")))?;
    let addr = listener.local_addr().map_err(|e| AppError::Internal(e.to_string()))?;
    tokio::spawn(async move {
        if let Err(e) = emulator::serve(listener, emulator, std::future::pending()).await {
            tracing::error!(error = %e, "SM-DP+ emulator stopped");
        }
    });
    tracing::info!(url = %format!("http://{addr}"), "built-in SM-DP+ emulator running (set smdp.url for a real SM-DP+)");
    Ok(format!("http://{addr}"))
}
