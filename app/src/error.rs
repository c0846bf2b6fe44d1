//! The error every server function of the UI returns: a stable code and a
//! message in Chinese that the page shows as is.

use crate::codec::TextJsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// As JSON, the API's error body (`{"error", "message"}`) with the status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct UiError {
    #[serde(rename = "error")]
    pub code: String,
    pub message: String,
    /// The HTTP status the server function answers with (500 when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

impl UiError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        UiError {
            code: code.into(),
            message: message.into(),
            status: None,
        }
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub fn unauthenticated() -> Self {
        UiError::new("unauthenticated", "请先登录").with_status(401)
    }
}

impl FromServerFnError for UiError {
    type Encoder = TextJsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(_) => {
                UiError::new("network", "无法连接服务器，请检查网络后重试")
            }
            // Arguments that do not decode: the request's fault, not ours.
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                UiError::new("bad_request", "请求参数无效").with_status(400)
            }
            other => UiError::new("internal", format!("出错了：{other}")),
        }
    }
}
