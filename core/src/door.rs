//! Which door a request came through (the pages or the JSON API), so the
//! audit trail can say so: an edit the server makes for an officer is
//! recorded with `web` or `api` as its device. Set once per request by the
//! server's middleware; work outside a request (the command line, the
//! background) keeps `server-edit`.

use crate::storage::EDIT_DEVICE;
use std::future::Future;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// The pages and their server functions.
    Web,
    /// `/api/`.
    Api,
}

impl Door {
    pub fn device(self) -> &'static str {
        match self {
            Door::Web => WEB,
            Door::Api => API,
        }
    }
}

pub const WEB: &str = "web";
pub const API: &str = "api";

tokio::task_local! {
    static DOOR: Door;
}

/// Runs `work` as a request that came through `door`.
pub async fn through<F: Future>(door: Door, work: F) -> F::Output {
    DOOR.scope(door, work).await
}

/// The device an edit by the server is recorded with.
pub fn edit_device() -> &'static str {
    DOOR.try_with(|d| d.device()).unwrap_or(EDIT_DEVICE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_door_names_its_edits() {
        assert_eq!(edit_device(), EDIT_DEVICE);
        assert_eq!(through(Door::Web, async { edit_device() }).await, WEB);
        assert_eq!(through(Door::Api, async { edit_device() }).await, API);
    }
}
