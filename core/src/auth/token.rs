//! Session tokens: random, shown to the client once, stored only as a hash.

use rand::RngCore;
use sha2::{Digest, Sha256};

pub const COOKIE_NAME: &str = "vanguard_session";

/// A new token and the hash the database keeps.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The `Set-Cookie` value that carries a session.
pub fn session_cookie(token: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
}

/// The `Set-Cookie` value that removes it.
pub fn clearing_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_hashed() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(hash_token(&a), ha);
        assert_ne!(ha, a);
    }

    #[test]
    fn cookie_is_http_only() {
        let c = session_cookie("abc", 60, true);
        assert!(c.starts_with("vanguard_session=abc;"));
        assert!(c.contains("HttpOnly") && c.contains("Secure") && c.contains("Max-Age=60"));
        assert!(clearing_cookie(false).contains("Max-Age=0"));
    }
}
