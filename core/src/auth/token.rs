//! Session tokens: random, shown to the client once, stored only as a hash.

use rand::RngCore;
use sha2::{Digest, Sha256};

pub const COOKIE_NAME: &str = "vanguard_session";

/// The cookie of a device its member signed in from before: such a device
/// is not held back by the delays a stranger at its address earned.
pub const DEVICE_COOKIE: &str = "vanguard_device";

/// A device cookie lasts a year.
const DEVICE_MAX_AGE: i64 = 365 * 24 * 3600;

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

/// The `Set-Cookie` value that marks a device.
pub fn device_cookie(device: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{DEVICE_COOKIE}={device}; Path=/; HttpOnly; SameSite=Lax; Max-Age={DEVICE_MAX_AGE}{secure}")
}

/// The `Set-Cookie` value that removes it.
pub fn clearing_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

/// Whether a request came over HTTPS: this server speaks plain HTTP, so
/// only a proxy in front of it can say so.
pub fn over_https(forwarded_proto: Option<&str>) -> bool {
    forwarded_proto.is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
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
    fn cookies_are_read_by_name() {
        let header = "a=1; vanguard_device=abc ; vanguard_session=";
        assert_eq!(cookie_value(header, DEVICE_COOKIE), Some("abc"));
        assert_eq!(cookie_value(header, COOKIE_NAME), None);
        assert_eq!(cookie_value(header, "b"), None);
        assert!(over_https(Some("HTTPS")) && !over_https(Some("http")) && !over_https(None));
    }

    #[test]
    fn cookie_is_http_only() {
        let c = session_cookie("abc", 60, true);
        assert!(c.starts_with("vanguard_session=abc;"));
        assert!(c.contains("HttpOnly") && c.contains("Secure") && c.contains("Max-Age=60"));
        assert!(clearing_cookie(false).contains("Max-Age=0"));
    }
}
