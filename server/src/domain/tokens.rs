//! API token secrets: random, shown once, stored only as a SHA-256 hash (a token
//! has 256 bits of entropy, so a fast hash is enough; passwords get argon2).

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// Secrets start with this, so that leaked tokens are easy to recognise and scan for.
pub const PREFIX: &str = "pvt_";

/// A new secret and the hash to store.
pub fn generate() -> (String, String) {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let secret = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hashed = hash(&secret);
    (secret, hashed)
}

pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_only_their_hash_is_kept() {
        let (a, ha) = generate();
        let (b, _) = generate();
        assert!(a.starts_with(PREFIX) && a.len() > 40);
        assert_ne!(a, b);
        assert_eq!(hash(&a), ha);
        assert!(!ha.contains(&a[PREFIX.len()..]));
    }
}
