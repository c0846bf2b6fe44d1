//! How the server functions' answers travel: JSON, written exactly as
//! Leptos's own `Json` codec writes it, but read from text.
//!
//! Everything else the browser reads as JSON (resources hydrated from the
//! page, local storage, gloo-net answers) is parsed from a `&str`. Leptos's
//! codec parses from bytes instead, which put a second copy of serde_json's
//! parser, one per answer type, into the phone's download. One reader keeps
//! one copy (docs/member-app.md, "The bundle's size").

use leptos::server_fn::codec::Post;
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::{de::DeserializeOwned, Serialize};

/// JSON read from text; see the module docs.
pub struct TextJsonEncoding;

/// The output encoding every server function names: `output = TextJson`.
pub type TextJson = Post<TextJsonEncoding>;

impl ContentType for TextJsonEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for TextJsonEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for TextJsonEncoding {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for TextJsonEncoding {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        // Not UTF-8 is as malformed as bad JSON; serde_json's own error
        // type says so without a second error type.
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| <serde_json::Error as serde::de::Error>::custom("answer is not UTF-8"))?;
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::UiError;

    #[test]
    fn reads_what_it_writes_and_refuses_bad_bytes() {
        let err = UiError::new("bad_input", "用户名不能为空").with_status(400);
        let bytes = <TextJsonEncoding as Encodes<UiError>>::encode(&err).expect("encode");
        // The same bytes Leptos's own JSON codec writes.
        assert_eq!(bytes, Bytes::from(serde_json::to_vec(&err).expect("json")));
        let back: UiError = TextJsonEncoding::decode(bytes).expect("decode");
        assert_eq!(back, err);

        let not_utf8 = Bytes::from_static(&[b'"', 0xff, b'"']);
        assert!(<TextJsonEncoding as Decodes<String>>::decode(not_utf8).is_err());
        let not_json = Bytes::from_static(b"{\"code\":");
        assert!(<TextJsonEncoding as Decodes<UiError>>::decode(not_json).is_err());
    }
}
