//! The console with no network: a decision or an attendance sheet that
//! cannot reach the server is kept on this device (shown as 待同步), survives
//! the page being closed, and is sent when the network returns, through the
//! same server functions (so the same checks apply). The pages themselves
//! open offline from the service worker's copy of their last online visit.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use vanguard_shared::review::DecisionRequest;

/// Decisions made offline, in the order they were made.
pub const DECISIONS: &str = "decisions";
/// Records decided from this device, as (record, version): a page opened
/// from an older copy does not offer them again.
pub const DECIDED: &str = "decided";
/// At most this many decided records are remembered.
pub const DECIDED_KEPT: usize = 5000;

/// An attendance sheet saved offline.
pub fn attendance_key(event_id: &str) -> String {
    format!("attendance/{event_id}")
}

/// A decision waiting for the network, with what it was about in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingDecision {
    pub request: DecisionRequest,
    pub what: String,
}

/// Whether a server function failed for want of the network (and should be
/// kept and sent later) rather than being refused.
pub fn unreachable(e: &crate::error::UiError) -> bool {
    e.code == "network"
}

pub fn load<T: DeserializeOwned + Default>(key: &str) -> T {
    #[cfg(feature = "hydrate")]
    {
        crate::local::storage::console_get(key).unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key;
        T::default()
    }
}

/// Keeps `value`; the message to show when the device is out of space.
pub fn save<T: Serialize>(key: &str, value: &T) -> Result<(), String> {
    #[cfg(feature = "hydrate")]
    {
        crate::local::storage::console_set(key, value).map_err(|e| e.to_string())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (key, value);
        Ok(())
    }
}

pub fn delete(key: &str) {
    #[cfg(feature = "hydrate")]
    crate::local::storage::console_delete(key);
    #[cfg(not(feature = "hydrate"))]
    let _ = key;
}

/// Runs `f` whenever the browser says the network is back.
pub fn on_online(f: impl Fn() + Clone + 'static) {
    let handle = leptos::prelude::window_event_listener(leptos::ev::online, move |_| f());
    leptos::prelude::on_cleanup(move || handle.remove());
}
