//! Password hashing with Argon2id at OWASP's recommended minimum
//! (19 MiB of memory, two passes, one lane), off the async threads.
//!
//! Each hash needs a 19 MiB work area. Allocating it per call made glibc
//! keep the freed blocks in per-thread arenas (80 parallel sign-ups grew
//! `tern serve` to 1.6 GB), so the work areas live in a small pool — one
//! per CPU core, which is also how many hashes can usefully run at once —
//! and callers wait for a free one.

use std::sync::{LazyLock, Mutex, PoisonError};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

fn params() -> AppResult<Params> {
    Params::new(19 * 1024, 2, 1, None).map_err(|e| AppError::Internal(e.to_string()))
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

/// How many hashes run at once, each with its own work area.
static SLOTS: LazyLock<usize> = LazyLock::new(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
static PERMITS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(*SLOTS));
static AREAS: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// Runs `f` with a work area of `blocks` blocks on a blocking thread,
/// after waiting for a free slot; the area goes back to the pool.
async fn with_area<T: Send + 'static>(
    blocks: usize,
    f: impl FnOnce(&mut [Block]) -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    let _permit = PERMITS.acquire().await.map_err(internal)?;
    tokio::task::spawn_blocking(move || {
        let taken = AREAS.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let mut area = match taken {
            Some(a) if a.len() == blocks => a,
            _ => vec![Block::default(); blocks],
        };
        let out = f(&mut area);
        let mut pool = AREAS.lock().unwrap_or_else(PoisonError::into_inner);
        if pool.len() < *SLOTS {
            pool.push(area);
        }
        out
    })
    .await
    .map_err(internal)?
}

/// Hashes a password into a PHC string (algorithm, parameters and salt
/// travel with the hash, so parameters can be raised later).
pub async fn hash(password: String) -> AppResult<String> {
    let params = params()?;
    let blocks = params.block_count();
    with_area(blocks, move |area| {
        let salt = SaltString::generate(&mut OsRng);
        let mut salt_buf = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_buf).map_err(internal)?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
            argon
                .hash_password_into_with_memory(password.as_bytes(), salt_bytes, out, &mut *area)
                .map_err(|_| argon2::password_hash::Error::Crypto)
        })
        .map_err(internal)?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(internal)?,
            salt: Some(salt.as_salt()),
            hash: Some(output),
        };
        Ok(phc.to_string())
    })
    .await
}

/// Checks a password against a stored PHC string. A malformed hash is
/// simply a mismatch.
pub async fn verify(password: String, phc: String) -> AppResult<bool> {
    let blocks = {
        let Ok(parsed) = PasswordHash::new(&phc) else {
            return Ok(false);
        };
        match Params::try_from(&parsed) {
            Ok(p) => p.block_count(),
            Err(_) => return Ok(false),
        }
    };
    with_area(blocks, move |area| {
        let Ok(parsed) = PasswordHash::new(&phc) else {
            return Ok(false);
        };
        let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
            Algorithm::try_from(parsed.algorithm),
            Params::try_from(&parsed),
            parsed.salt,
            parsed.hash,
        ) else {
            return Ok(false);
        };
        let version = parsed
            .version
            .and_then(|v| Version::try_from(v).ok())
            .unwrap_or_default();
        let mut salt_buf = [0u8; 64];
        let Ok(salt_bytes) = salt.decode_b64(&mut salt_buf) else {
            return Ok(false);
        };
        let argon = Argon2::new(algorithm, version, params);
        let computed = Output::init_with(expected.len(), |out| {
            argon
                .hash_password_into_with_memory(password.as_bytes(), salt_bytes, out, &mut *area)
                .map_err(|_| argon2::password_hash::Error::Crypto)
        });
        // `Output`'s equality is constant-time.
        Ok(computed.is_ok_and(|c| c == expected))
    })
    .await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use argon2::{PasswordHasher, PasswordVerifier};

    use super::*;

    #[tokio::test]
    async fn pooled_hashes_match_the_argon2_crates_own() {
        let ours = hash("correct horse battery staple".into()).await.unwrap();
        assert!(ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{ours}");
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params().unwrap());
        assert!(
            argon
                .verify_password(b"correct horse battery staple", &PasswordHash::new(&ours).unwrap())
                .is_ok()
        );
        let theirs = argon
            .hash_password(b"correct horse battery staple", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(
            verify("correct horse battery staple".into(), theirs.clone())
                .await
                .unwrap()
        );
        assert!(!verify("correct horse battery stapler".into(), theirs).await.unwrap());
        assert!(!verify("x".into(), "not a hash".into()).await.unwrap());
    }

    #[tokio::test]
    async fn many_hashes_at_once_share_a_few_work_areas() {
        let handles: Vec<_> = (0..12)
            .map(|i| tokio::spawn(hash(format!("password number {i}"))))
            .collect();
        for h in handles {
            h.await.unwrap().unwrap();
        }
        assert!(AREAS.lock().unwrap().len() <= *SLOTS);
    }
}
