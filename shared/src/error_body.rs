//! The JSON body of every error answer: `{"error": code, "message": text}`.
//! The server writes it; the phone reads it from REST and sync answers.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A stable code, such as `forbidden`.
    #[serde(default)]
    pub error: String,
    /// What to tell the user, in Chinese.
    #[serde(default)]
    pub message: String,
}

impl ErrorBody {
    /// An answer's body as far as it can be read: anything that is not
    /// such JSON is an empty body, and the caller words the status itself.
    pub fn read(bytes: &[u8]) -> Self {
        // From text, as the phone reads all its JSON: one serde_json
        // reader in its download, not two.
        std::str::from_utf8(bytes)
            .ok()
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_default()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        // Two strings always serialize.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_it_writes_and_nothing_else() {
        let body = ErrorBody {
            error: "forbidden".into(),
            message: "无权访问".into(),
        };
        assert_eq!(ErrorBody::read(&body.to_bytes()), body);
        let partial = ErrorBody::read(r#"{"message":"请先登录","extra":1}"#.as_bytes());
        assert_eq!(partial.message, "请先登录");
        assert_eq!(partial.error, "");
        for bad in [&b"<html>502</html>"[..], b"", &[0xff, 0xfe]] {
            assert_eq!(ErrorBody::read(bad), ErrorBody::default());
        }
    }
}
