//! The console with no network: a decision or an attendance sheet that
//! cannot reach the server is kept on this device (shown as 待同步), survives
//! the page being closed, and is sent when the network returns, through the
//! same server functions (so the same checks apply). The pages themselves
//! open offline from the service worker's copy of their last online visit.

use crate::error::UiError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::future::Future;
use vanguard_shared::review::{DecisionMade, DecisionRequest, QueueItem};

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

/// Remembers records decided from this device, as (record, version), the
/// newest [`DECIDED_KEPT`].
pub fn remember_decided(made: &[(String, String)]) {
    let mut decided: Vec<(String, String)> = load(DECIDED);
    decided.extend(made.iter().cloned());
    let over = decided.len().saturating_sub(DECIDED_KEPT);
    decided.drain(..over);
    let _ = save(DECIDED, &decided);
}

/// The rows of `queue` this device must not offer again: waiting in
/// `kept`, or decided here at the version shown.
pub fn not_offered(kept: &[PendingDecision], queue: &[QueueItem]) -> BTreeSet<String> {
    let decided: Vec<(String, String)> = load(DECIDED);
    let mut gone: BTreeSet<String> = kept.iter().map(|p| p.request.record_id.clone()).collect();
    for i in queue {
        if decided
            .iter()
            .any(|(r, v)| *r == i.record_id && *v == i.version)
        {
            gone.insert(i.record_id.clone());
        }
    }
    gone
}

/// What sending the kept decisions came to.
#[derive(Debug, Default)]
pub struct Flushed {
    pub sent: usize,
    /// Each refused decision, in words with the server's reason.
    pub refused: Vec<String>,
    /// Still waiting: the network went away again.
    pub left: Vec<PendingDecision>,
}

impl Flushed {
    /// The reviewer's message, when anything was sent or refused.
    pub fn said(&self) -> Option<Result<String, String>> {
        if self.sent == 0 && self.refused.is_empty() {
            return None;
        }
        let text = format!("已同步离线审核 {} 条", self.sent);
        Some(if self.refused.is_empty() {
            Ok(text)
        } else {
            Err(format!("{text}；未被接受：{}", self.refused.join("；")))
        })
    }
}

/// Sends the decisions kept offline one at a time through `decide` (the
/// page's server function): each succeeds or is refused on its own; once
/// the network fails, the rest stay kept.
pub async fn send_kept<F, Fut>(waiting: Vec<PendingDecision>, decide: F) -> Flushed
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<Vec<DecisionMade>, UiError>>,
{
    let mut flushed = Flushed::default();
    let mut offline = false;
    for p in waiting {
        if offline {
            flushed.left.push(p);
            continue;
        }
        let Ok(body) = serde_json::to_string(&[&p.request]) else {
            continue;
        };
        match decide(body).await {
            Ok(made) => {
                flushed.sent += 1;
                let done: Vec<(String, String)> =
                    made.into_iter().map(|d| (d.record_id, d.version)).collect();
                remember_decided(&done);
            }
            Err(e) if unreachable(&e) => {
                offline = true;
                flushed.left.push(p);
            }
            Err(e) => flushed.refused.push(format!("{}：{}", p.what, e.message)),
        }
    }
    let _ = save(DECISIONS, &flushed.left);
    flushed
}
