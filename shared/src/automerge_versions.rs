//! The few places where the phone's Automerge (0.6) and the server's (0.12)
//! differ in their Rust API. Both read and write the same binary documents,
//! changes and sync messages; only these accessors are spelled differently.
//! Everything else in the crate uses the API the two share.
//!
//! The phone's version is used on wasm32, and natively with the feature
//! `phone-automerge`, so that its side is tested natively too
//! (`tests/phone_automerge.rs`).

/// What one operation of a change wrote: the object, the map key (None for
/// a list position), and whether it was a deletion.
pub(crate) struct OpTarget {
    pub obj: String,
    pub map_key: Option<String>,
    pub delete: bool,
}

#[cfg(not(any(target_arch = "wasm32", feature = "phone-automerge")))]
pub(crate) use server::*;

#[cfg(any(target_arch = "wasm32", feature = "phone-automerge"))]
pub(crate) use phone::*;

#[cfg(not(any(target_arch = "wasm32", feature = "phone-automerge")))]
mod server {
    use super::OpTarget;
    use automerge::iter::MapRangeItem;
    use automerge::legacy::{Key, OpType};
    use automerge::{Change, ObjId, Value};

    /// A change's operations, decoded.
    pub(crate) fn operations(change: &Change) -> impl Iterator<Item = OpTarget> {
        change.decode().operations.into_iter().map(|op| OpTarget {
            obj: op.obj.to_string(),
            map_key: match &op.key {
                Key::Map(key) => Some(key.to_string()),
                Key::Seq(_) => None,
            },
            delete: matches!(op.action, OpType::Delete),
        })
    }

    /// The value of one key of a map, owned.
    pub(crate) fn item_value(item: &MapRangeItem<'_>) -> Value<'static> {
        item.value.clone().into_value()
    }

    /// The object id of one key's value.
    pub(crate) fn item_id(item: &MapRangeItem<'_>) -> ObjId {
        item.id()
    }
}

#[cfg(any(target_arch = "wasm32", feature = "phone-automerge"))]
mod phone {
    use super::OpTarget;
    use automerge::iter::MapRangeItem;
    use automerge::{Change, ObjId, Value};

    /// A change's operations, decoded. 0.6 keeps its key and action types
    /// private; both serialize: a map key (untagged) as the key's own text,
    /// an action as its short name, "del" for a deletion.
    pub(crate) fn operations(change: &Change) -> impl Iterator<Item = OpTarget> {
        change.decode().operations.into_iter().map(|op| OpTarget {
            obj: op.obj.to_string(),
            map_key: if op.key.is_map_key() {
                serde_json::to_value(&op.key)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
            } else {
                None
            },
            delete: serde_json::to_value(&op.action).is_ok_and(|v| v == "del"),
        })
    }

    /// The value of one key of a map, owned.
    pub(crate) fn item_value(item: &MapRangeItem<'_>) -> Value<'static> {
        item.value.to_owned()
    }

    /// The object id of one key's value.
    pub(crate) fn item_id(item: &MapRangeItem<'_>) -> ObjId {
        item.id.clone()
    }
}
