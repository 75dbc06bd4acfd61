//! Subscriber password hashing: Argon2id, stored as a PHC string
//! (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), so each hash carries its own
//! parameters and a cost change applies to new passwords without breaking
//! old ones.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{Result, StoreError};

/// How expensive new password hashes are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasswordCost {
    /// Argon2id with the OWASP-recommended floor (19 MiB, 2 passes, 1 lane).
    #[default]
    Standard,
    /// Argon2id at its minimum cost: for tests only.
    Insecure,
}

impl PasswordCost {
    fn hasher(self) -> Argon2<'static> {
        let params = match self {
            Self::Standard => Params::new(19 * 1024, 2, 1, None),
            Self::Insecure => Params::new(Params::MIN_M_COST, Params::MIN_T_COST, 1, None),
        }
        .unwrap_or_default();
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }
}

/// Hashes `password` with a fresh random salt. Blocking (milliseconds).
pub(crate) fn hash(password: &str, cost: PasswordCost) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    cost.hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Invalid(format!("hashing password: {e}")))
}

/// Checks `password` against a stored PHC string. Blocking.
pub(crate) fn verify(password: &str, phc: &str) -> Result<bool> {
    let parsed =
        PasswordHash::new(phc).map_err(|e| StoreError::Corrupt(format!("password hash: {e}")))?;
    // The parameters come from the PHC string, not from this hasher.
    Ok(Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash("s3cret", PasswordCost::Insecure).unwrap();
        assert!(h.starts_with("$argon2id$v=19$"), "{h}");
        assert!(verify("s3cret", &h).unwrap());
        assert!(!verify("s3cret ", &h).unwrap());
        // Fresh salt each time.
        assert_ne!(h, hash("s3cret", PasswordCost::Insecure).unwrap());
        assert!(verify("x", "not a phc string").is_err());
    }
}
