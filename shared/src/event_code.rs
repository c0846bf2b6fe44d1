//! Event check-in codes that a phone checks with no network and a member
//! cannot make up from the events document (docs/member-app.md, "Event check-in codes").
//!
//! The host keeps a random seed. A one-way step `h` applied `n` times to it
//! plus once more gives the anchor, the public part written into the event
//! (`code_key`). The code of window `i` (one window a minute from the
//! event's opening) is `h` applied `n - i` times to the seed: hashing a code
//! forward reaches the anchor, and the number of steps says its window. Going
//! backward, to a later window's code, means inverting SHA-256 truncated to
//! 50 bits, out of reach of a phone during a meeting. Codes are 10 letters
//! of Crockford's base32, shown as `XXXXX-XXXXX`.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const VERSION: &str = "v1";
const BITS: u32 = 50;
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// How far a code's window may be from the check-in time, in windows: phone
/// clocks drift, and a member may type a code a little after it rotated.
pub const TOLERANCE: i64 = 5;

/// An event whose codes a host may show, as the host's list has it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostedEvent {
    pub event_id: String,
    pub title: String,
    #[serde(with = "crate::time_text::rfc3339")]
    pub start: DateTime<FixedOffset>,
    #[serde(default, with = "crate::time_text::opt_rfc3339")]
    pub end: Option<DateTime<FixedOffset>>,
    pub place: Option<String>,
}

/// What the host's phone shows: the code of this minute, until when it
/// holds, and the check-in link as a QR picture that any phone camera opens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShownCode {
    pub event_id: String,
    pub title: String,
    pub code: String,
    #[serde(with = "crate::time_text::rfc3339")]
    pub valid_until: DateTime<FixedOffset>,
    /// `{origin}/checkin?event=…&code=…`: opens the check-in form filled in.
    pub checkin_url: String,
    /// The link as an SVG QR code.
    pub qr_svg: String,
}

/// What a host's device keeps of an event, fetched online before it: enough
/// to show the rotating code (and its QR) with no network until the
/// event's check-in closes, and nothing of any other event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostKit {
    pub event_id: String,
    pub title: String,
    /// The event's public key (`CodeKey`, encoded).
    pub code_key: String,
    /// The last window's code (`CodeKey::last_code`).
    pub last_code: String,
    /// The origin the host's browser reached, for the check-in link.
    pub origin: String,
}

impl HostKit {
    /// The code to show at `at`, and the check-in link it fills in.
    pub fn shown_at(&self, at: DateTime<FixedOffset>) -> Option<(String, String)> {
        let key = CodeKey::parse(&self.code_key).ok()?;
        let code = key.code_from_last(&self.event_id, &self.last_code, at)?;
        let link = format!("{}{}", self.origin, checkin_link(&self.event_id, &code));
        Some((code, link))
    }

    /// Unix seconds when the event's check-in closes: the device forgets
    /// the kit then.
    pub fn closes_at(&self) -> i64 {
        CodeKey::parse(&self.code_key)
            .map(|k| k.closes_at())
            .unwrap_or(0)
    }
}

/// The path and query of the check-in form filled in with an event's code;
/// event ids are plain (letters, digits, `-`, `_`), codes base32, so neither
/// needs escaping.
pub fn checkin_link(event_id: &str, code: &str) -> String {
    format!("/checkin?event={event_id}&code={code}")
}

/// The public part of an event's codes, as written in `code_key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeKey {
    /// Unix seconds of window 0.
    pub opens: i64,
    pub window_secs: i64,
    pub windows: u32,
    pub anchor: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("签到码格式不对：应为 10 位字母数字")]
    Malformed,
    #[error("签到码不正确")]
    Wrong,
    #[error("签到码已过期或尚未生效")]
    OutOfTime,
    #[error("活动的签到码设置无效")]
    BadKey,
}

fn step(event_id: &str, value: u64) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update(b"vanguard-event-code-");
    hasher.update(VERSION.as_bytes());
    hasher.update([0]);
    hasher.update(event_id.as_bytes());
    hasher.update([0]);
    hasher.update(value.to_be_bytes());
    let digest = hasher.finalize();
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(head) >> (64 - BITS)
}

fn walk(event_id: &str, mut value: u64, steps: u32) -> u64 {
    for _ in 0..steps {
        value = step(event_id, value);
    }
    value
}

/// The seed as the host keeps it: 64 bits of randomness folded to the chain's width.
pub fn seed_from_bytes(bytes: [u8; 8]) -> u64 {
    u64::from_be_bytes(bytes) >> (64 - BITS)
}

impl CodeKey {
    /// The public part for an event opening at `opens` (check-in allowed from
    /// then) and closing at `closes`.
    pub fn new(
        event_id: &str,
        seed: u64,
        opens: DateTime<FixedOffset>,
        closes: DateTime<FixedOffset>,
    ) -> CodeKey {
        let window_secs = 60;
        let span = (closes.timestamp() - opens.timestamp()).max(window_secs);
        let windows = u32::try_from(span / window_secs + 1)
            .unwrap_or(u32::MAX)
            .min(24 * 60);
        CodeKey {
            opens: opens.timestamp(),
            window_secs,
            windows,
            // One step past window 0's code, so the anchor is no code itself.
            anchor: walk(event_id, seed, windows + 1),
        }
    }

    pub fn encode(&self) -> String {
        format!(
            "{VERSION}:{}:{}:{}:{:013x}",
            self.opens, self.window_secs, self.windows, self.anchor
        )
    }

    pub fn parse(text: &str) -> Result<CodeKey, CodeError> {
        let mut parts = text.split(':');
        let (Some(VERSION), Some(opens), Some(window), Some(windows), Some(anchor), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(CodeError::BadKey);
        };
        let key = CodeKey {
            opens: opens.parse().map_err(|_| CodeError::BadKey)?,
            window_secs: window.parse().map_err(|_| CodeError::BadKey)?,
            windows: windows.parse().map_err(|_| CodeError::BadKey)?,
            anchor: u64::from_str_radix(anchor, 16).map_err(|_| CodeError::BadKey)?,
        };
        if key.window_secs <= 0 || key.windows == 0 || key.windows > 24 * 60 {
            return Err(CodeError::BadKey);
        }
        Ok(key)
    }

    /// The window a moment falls in, which may be before 0 or past the end.
    pub fn window_at(&self, at: DateTime<FixedOffset>) -> i64 {
        (at.timestamp() - self.opens).div_euclid(self.window_secs)
    }

    /// The code the host shows at `at`, or `None` outside the event's windows.
    pub fn code_at(&self, event_id: &str, seed: u64, at: DateTime<FixedOffset>) -> Option<String> {
        let window = u32::try_from(self.window_at(at)).ok()?;
        if window >= self.windows {
            return None;
        }
        Some(format_code(walk(event_id, seed, self.windows - window)))
    }

    /// The last window's code: from it a host's device computes every code
    /// of this event (each earlier one is a step further along the chain)
    /// with no network, and nothing of any other event's.
    pub fn last_code(&self, event_id: &str, seed: u64) -> String {
        format_code(walk(event_id, seed, 1))
    }

    /// The code the host shows at `at`, from the event's last code
    /// (`last_code`), or `None` outside the event's windows or for a last
    /// code that does not belong to this key.
    pub fn code_from_last(
        &self,
        event_id: &str,
        last: &str,
        at: DateTime<FixedOffset>,
    ) -> Option<String> {
        let last = parse_code(last).ok()?;
        // The last code is one step before the anchor's window-0 chain end.
        if walk(event_id, last, self.windows) != self.anchor {
            return None;
        }
        let window = u32::try_from(self.window_at(at)).ok()?;
        if window >= self.windows {
            return None;
        }
        Some(format_code(walk(event_id, last, self.windows - 1 - window)))
    }

    /// When the last window ends: a host's device forgets the event's codes then.
    pub fn closes_at(&self) -> i64 {
        self.opens + i64::from(self.windows) * self.window_secs
    }

    /// Checks a typed or scanned code for a check-in at `at`.
    pub fn verify(
        &self,
        event_id: &str,
        code: &str,
        at: DateTime<FixedOffset>,
    ) -> Result<(), CodeError> {
        let mut value = parse_code(code)?;
        // The code of window i reaches the anchor in i + 1 steps.
        for steps in 1..=self.windows {
            value = step(event_id, value);
            if value == self.anchor {
                let window = i64::from(steps) - 1;
                return if (window - self.window_at(at)).abs() <= TOLERANCE {
                    Ok(())
                } else {
                    Err(CodeError::OutOfTime)
                };
            }
        }
        Err(CodeError::Wrong)
    }
}

/// The server's verdict on a record's check-in code, computed when the
/// record is stored: the only one ever shown as verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeVerdict {
    /// The code verifies against the event's key at the record's time.
    Verified,
    /// A code that does not verify (wrong, out of time, no such event).
    Wrong,
    /// No code given.
    None,
}

impl CodeVerdict {
    /// The verdict on `code` for a check-in at `at` to `event_id`, whose
    /// key (if the event has one in the member's branch) is `key`.
    pub fn of(
        code: Option<&str>,
        event_id: Option<&str>,
        key: Option<&str>,
        at: DateTime<FixedOffset>,
    ) -> CodeVerdict {
        let Some(code) = code else {
            return CodeVerdict::None;
        };
        let verifies = match (event_id, key.map(CodeKey::parse)) {
            (Some(event_id), Some(Ok(key))) => key.verify(event_id, code, at).is_ok(),
            _ => false,
        };
        if verifies {
            CodeVerdict::Verified
        } else {
            CodeVerdict::Wrong
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CodeVerdict::Verified => "verified",
            CodeVerdict::Wrong => "wrong",
            CodeVerdict::None => "none",
        }
    }

    pub fn parse(text: &str) -> Option<CodeVerdict> {
        match text {
            "verified" => Some(CodeVerdict::Verified),
            "wrong" => Some(CodeVerdict::Wrong),
            "none" => Some(CodeVerdict::None),
            _ => None,
        }
    }
}

fn format_code(value: u64) -> String {
    let mut out = String::with_capacity(11);
    for i in (0..10).rev() {
        out.push(ALPHABET[((value >> (i * 5)) & 31) as usize] as char);
        if i == 5 {
            out.push('-');
        }
    }
    out
}

/// Reads a code as people type it: any case, with or without the dash,
/// Crockford's look-alikes (O for 0, I and L for 1) accepted.
pub fn parse_code(text: &str) -> Result<u64, CodeError> {
    let mut value = 0u64;
    let mut count = 0;
    for c in text.chars().filter(|c| !matches!(c, '-' | ' ')) {
        let c = match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        };
        let digit = ALPHABET
            .iter()
            .position(|&a| a as char == c)
            .ok_or(CodeError::Malformed)?;
        value = (value << 5) | digit as u64;
        count += 1;
        if count > 10 {
            return Err(CodeError::Malformed);
        }
    }
    if count != 10 {
        return Err(CodeError::Malformed);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn at(minutes: i64) -> DateTime<FixedOffset> {
        let tz = FixedOffset::east_opt(8 * 3600).expect("offset");
        tz.with_ymd_and_hms(2026, 11, 23, 9, 0, 0)
            .single()
            .expect("time")
            + Duration::minutes(minutes)
    }

    #[test]
    fn a_hosts_device_with_the_last_code_shows_every_windows_code_and_no_other_events() {
        let seed = 0x0abc_def0_1234;
        let key = CodeKey::new("ev1", seed, at(0), at(120));
        let last = key.last_code("ev1", seed);
        for minute in [0, 1, 59, 120] {
            assert_eq!(
                key.code_from_last("ev1", &last, at(minute)),
                key.code_at("ev1", seed, at(minute)),
                "minute {minute}"
            );
        }
        assert_eq!(key.code_from_last("ev1", &last, at(-1)), None);
        assert_eq!(key.code_from_last("ev1", &last, at(122)), None);
        // Another event's last code, or a made-up one, shows nothing.
        let other = CodeKey::new("ev2", seed + 1, at(0), at(120));
        assert_eq!(
            key.code_from_last("ev1", &other.last_code("ev2", seed + 1), at(30)),
            None
        );
        assert_eq!(key.code_from_last("ev1", "ABCDE-FGHJK", at(30)), None);
        assert_eq!(key.closes_at(), at(0).timestamp() + 121 * 60);
    }

    #[test]
    fn the_hosts_code_verifies_and_a_neighbours_does_not() {
        let key = CodeKey::new("ev1", 0x1234_5678_9abc, at(0), at(120));
        let parsed = CodeKey::parse(&key.encode()).expect("round trip");
        assert_eq!(parsed, key);
        let code = key
            .code_at("ev1", 0x1234_5678_9abc, at(30))
            .expect("in time");
        assert_eq!(code.len(), 11);
        assert_eq!(key.verify("ev1", &code, at(30)), Ok(()));
        assert_eq!(
            key.verify("ev1", &code.to_lowercase().replace('-', ""), at(33)),
            Ok(())
        );
        // Too long after its window, for another event, or made up.
        assert_eq!(key.verify("ev1", &code, at(60)), Err(CodeError::OutOfTime));
        assert_eq!(key.verify("ev2", &code, at(30)), Err(CodeError::Wrong));
        assert_eq!(
            key.verify("ev1", "ABCDE-FGHJK", at(30)),
            Err(CodeError::Wrong)
        );
        assert_eq!(key.verify("ev1", "ABC", at(30)), Err(CodeError::Malformed));
        // The anchor itself is public: it is not a code for any window.
        assert_eq!(
            key.verify("ev1", &format_code(key.anchor), at(120)),
            Err(CodeError::Wrong)
        );
        assert_eq!(key.code_at("ev1", 0x1234_5678_9abc, at(-1)), None);
    }
}
