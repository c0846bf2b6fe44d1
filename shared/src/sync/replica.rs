//! One document on a client, with its sync state towards the server.

use crate::documents::edit::copy_map;
use crate::documents::schema::{collections, Layout};
use crate::documents::DocId;
use automerge::sync::{Have, Message, State, SyncDoc};
use automerge::{Automerge, AutomergeError, ChangeHash, ReadDoc, ROOT};
use std::collections::BTreeSet;

/// Said to a member in words. Automerge's own (English, technical) text is
/// not kept: formatting it brought Automerge's error printing, floats
/// included, into the phone's download, for words no member could act on.
#[derive(Debug, thiserror::Error)]
pub enum ReplicaError {
    #[error("同步消息无效")]
    Message,
    #[error("本地文档无法读取")]
    Load,
    #[error("文档尚未从服务器取得")]
    NoBase,
    #[error("本机文档操作失败")]
    Automerge,
}

impl From<AutomergeError> for ReplicaError {
    fn from(_: AutomergeError) -> Self {
        ReplicaError::Automerge
    }
}

pub struct Replica {
    pub id: DocId,
    pub doc: Automerge,
    pub state: State,
    /// The heads storage holds: a save only needs the changes after them.
    /// None when storage must be rewritten whole (nothing stored yet, or
    /// local changes were dropped and must not come back from storage).
    stored: Option<Vec<ChangeHash>>,
}

impl Replica {
    /// A document not received yet: it syncs in from the server, which
    /// created its root.
    pub fn empty(id: DocId) -> Self {
        Replica {
            id,
            doc: Automerge::new(),
            state: State::new(),
            stored: None,
        }
    }

    /// A document kept from an earlier session: a full save (`save_doc`)
    /// followed by any increments saved since (`unsaved`), and the state.
    pub fn restore(id: DocId, doc: &[u8], state: Option<&[u8]>) -> Result<Self, ReplicaError> {
        let doc = Automerge::load(doc).map_err(|_| ReplicaError::Load)?;
        let stored = Some(doc.get_heads());
        // A lost or unreadable state only costs a longer first exchange.
        let state = state
            .and_then(|s| State::decode(s).ok())
            .unwrap_or_default();
        Ok(Replica {
            id,
            doc,
            state,
            stored,
        })
    }

    /// The whole document. Encoding every column is the slow part of a
    /// save on the phone's Automerge (tens of milliseconds at 500 records),
    /// so storage does it only now and then and appends `unsaved` between.
    pub fn save_doc(&self) -> Vec<u8> {
        self.doc.save()
    }

    /// The changes storage lacks, as bytes to append after what it holds
    /// (`restore` reads a full save followed by such increments); None when
    /// only a full save will do.
    pub fn unsaved(&self) -> Option<Vec<u8>> {
        self.stored.as_ref().map(|heads| self.doc.save_after(heads))
    }

    /// Applies what can be read of increments that would not load together
    /// with the full save before them, and makes the next save whole: storage
    /// then drops the unreadable bytes instead of appending after them, which
    /// would leave every later increment unreadable too.
    pub fn salvage(&mut self, increments: &[u8]) {
        // Automerge applies the changes before the first bad one; what is
        // past it cannot be read, so its error says nothing more.
        let _ = self.doc.load_incremental(increments);
        self.stored = None;
    }

    /// Storage now holds the document as it is (after `save_doc`, or after
    /// appending `unsaved`).
    pub fn mark_saved(&mut self) {
        self.stored = Some(self.doc.get_heads());
    }

    pub fn save_state(&self) -> Vec<u8> {
        self.state.encode()
    }

    /// True once the server's root has arrived and local writes are safe.
    pub fn has_root(&self) -> bool {
        Layout::find(&self.doc, &self.id).is_some()
    }

    /// The next message for the server, if there is anything to say.
    pub fn outgoing(&mut self) -> Option<Vec<u8>> {
        self.doc
            .generate_sync_message(&mut self.state)
            .map(Message::encode)
    }

    pub fn incoming(&mut self, bytes: &[u8]) -> Result<(), ReplicaError> {
        let message = Message::decode(bytes).map_err(|_| ReplicaError::Message)?;
        self.doc.receive_sync_message(&mut self.state, message)?;
        Ok(())
    }

    /// The server answered 204: it holds everything we sent and has nothing
    /// for us, so both sides now share the heads we sent. Recording that keeps
    /// the next message small (its bloom filter covers only newer changes)
    /// and lets it carry new changes in the first request.
    pub fn settled(&mut self) {
        let heads = self.state.last_sent_heads.clone();
        self.state.shared_heads = heads.clone();
        self.state.their_heads = Some(heads.clone());
        self.state.their_need = Some(Vec::new());
        self.state.their_have = Some(vec![Have {
            last_sync: heads,
            bloom: Default::default(),
        }]);
    }

    /// Starts the exchange afresh, as after a reconnect: the next message
    /// describes what we have instead of assuming what the server has.
    pub fn reconnect(&mut self) {
        self.state = State::decode(&self.state.encode()).unwrap_or_default();
    }

    /// The document as the server last confirmed it.
    fn confirmed(&self) -> Result<Automerge, ReplicaError> {
        Ok(self.doc.fork_at(&self.state.shared_heads)?)
    }

    /// Entries that differ from `base` (new or changed here): collection,
    /// key, and whether the entry still reads as valid.
    fn local_changes(&self, base: &Automerge) -> Vec<(&'static str, String, bool)> {
        let Some(mine) = Layout::find(&self.doc, &self.id) else {
            return Vec::new();
        };
        let theirs = Layout::find(base, &self.id);
        let mut out = Vec::new();
        for name in collections(self.id.kind) {
            if *name == "grade" {
                continue;
            }
            for key in mine.keys(&self.doc, name) {
                let entry = mine.read(&self.doc, name, &key);
                let same = match (&entry, &theirs) {
                    (Ok(e), Some(t)) => t.read(base, name, &key).ok().as_ref() == Some(e),
                    _ => false,
                };
                if !same {
                    out.push((*name, key, entry.is_ok()));
                }
            }
        }
        out
    }

    /// Keys of `collection` the server does not hold as they are here (待同步):
    /// the entries that changes since the heads both sides share wrote to.
    /// Read from those changes' operations, never a fork of the document: a
    /// page asks on every start, and a year's document holds hundreds of
    /// entries the server confirmed long ago.
    pub fn unconfirmed(&self, collection: &str) -> Vec<String> {
        let local = self.doc.get_changes(&self.state.shared_heads);
        if local.is_empty() {
            return Vec::new();
        }
        let Some(layout) = Layout::find(&self.doc, &self.id) else {
            return Vec::new();
        };
        let touched: BTreeSet<String> = layout
            .touched(&self.doc, &local)
            .into_iter()
            .filter(|(name, _, _)| *name == collection)
            .map(|(_, key, _)| key)
            .collect();
        // An entry deleted here is not listed: there is nothing to show.
        layout
            .keys(&self.doc, collection)
            .into_iter()
            .filter(|k| touched.contains(k))
            .collect()
    }

    /// After the server refused a change as invalid (422): rebuilds the
    /// document on what the server last confirmed, carries over every entry
    /// that is still valid, and drops the rest. Answers the ids of the
    /// entries dropped, so the app can tell the user; nothing else is lost.
    pub fn recover(&mut self) -> Result<Vec<String>, ReplicaError> {
        let base = self.confirmed()?;
        let mut fresh = base.fork();
        let base_layout = Layout::check(&fresh, &self.id).map_err(|_| ReplicaError::NoBase)?;
        let mut dropped = Vec::new();
        let mine = Layout::find(&self.doc, &self.id);
        for (name, key, valid) in self.local_changes(&base) {
            if !valid {
                dropped.push(key);
                continue;
            }
            let (Some(from), Some(to)) = (
                mine.as_ref().and_then(|m| m.collection_obj(name)),
                base_layout.collection_obj(name),
            ) else {
                continue;
            };
            let Some((_, obj)) = self.doc.get(from, key.as_str())? else {
                continue;
            };
            let to = to.clone();
            fresh
                .transact::<_, _, AutomergeError>(|tx| copy_map(&self.doc, &obj, tx, &to, &key))
                .map_err(|f| f.error)?;
        }
        if mine.is_none() && self.doc.get(ROOT, "schema")?.is_some() {
            // A root we cannot read at all: nothing of it can be carried over.
            dropped.push(self.id.to_string());
        }
        self.doc = fresh;
        self.stored = None;
        self.state = State::new();
        Ok(dropped)
    }

    /// After a refusal for want of write access (403): goes back to what the
    /// server last confirmed. Answers the ids of the local entries given up.
    pub fn discard_local(&mut self) -> Result<Vec<String>, ReplicaError> {
        let base = self.confirmed()?;
        let dropped = self
            .local_changes(&base)
            .into_iter()
            .map(|(_, key, _)| key)
            .collect();
        self.doc = base.fork();
        self.stored = None;
        self.state = State::new();
        Ok(dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::edit::{add_record, withdraw, NewRecord};
    use crate::documents::schema::create_root;
    use chrono::DateTime;

    fn study(day: u32) -> NewRecord {
        NewRecord {
            kind: "study".into(),
            occurred_at: DateTime::parse_from_rfc3339(&format!("2026-03-{day:02}T09:00:00+08:00"))
                .ok(),
            ..Default::default()
        }
    }

    /// Syncs the replica with a server document until neither has more to say.
    fn sync(replica: &mut Replica, server: &mut Automerge, state: &mut State) {
        for _ in 0..16 {
            let up = replica.outgoing();
            if let Some(m) = &up {
                let m = Message::decode(m).expect("message");
                server
                    .receive_sync_message(state, m)
                    .expect("server receives");
            }
            let down = server.generate_sync_message(state).map(Message::encode);
            if let Some(m) = &down {
                replica.incoming(m).expect("replica receives");
            }
            if up.is_none() && down.is_none() {
                return;
            }
        }
        panic!("sync did not settle");
    }

    /// A phone's replica of a checkins document, synced once with the
    /// server's root; the server's document and its sync state with it.
    fn synced_phone() -> (Replica, Automerge, State) {
        let id: DocId = "checkins:m1:2026".parse().expect("id");
        let mut server = create_root(&id);
        let mut state = State::new();
        let mut phone = Replica::empty(id);
        sync(&mut phone, &mut server, &mut state);
        (phone, server, state)
    }

    /// The slow reading the diff replaces: every entry compared with the
    /// document as the server confirmed it.
    fn compared(replica: &Replica) -> Vec<String> {
        let base = replica.confirmed().expect("base");
        let mut keys: Vec<String> = replica
            .local_changes(&base)
            .into_iter()
            .filter(|(name, _, _)| *name == "records")
            .map(|(_, key, _)| key)
            .collect();
        keys.sort();
        keys
    }

    #[test]
    fn unconfirmed_entries_are_those_changed_since_the_shared_heads() {
        let (mut phone, mut server, mut state) = synced_phone();
        assert!(phone.has_root() && phone.unconfirmed("records").is_empty());

        add_record(&mut phone.doc, "r1", &study(1)).expect("add");
        add_record(&mut phone.doc, "r2", &study(2)).expect("add");
        assert_eq!(phone.unconfirmed("records"), vec!["r1", "r2"]);
        assert_eq!(phone.unconfirmed("records"), compared(&phone));
        sync(&mut phone, &mut server, &mut state);
        assert!(phone.unconfirmed("records").is_empty());

        // A new entry and a change inside a confirmed one; the others stay
        // confirmed. A restored state (a reload) reads the same.
        add_record(&mut phone.doc, "r3", &study(3)).expect("add");
        withdraw(&mut phone.doc, "r1").expect("withdraw");
        let restored = Replica::restore(
            phone.id.clone(),
            &phone.save_doc(),
            Some(&phone.save_state()),
        )
        .expect("restore");
        for r in [&phone, &restored] {
            assert_eq!(r.unconfirmed("records"), vec!["r1", "r3"]);
            assert_eq!(r.unconfirmed("records"), compared(r));
        }
        sync(&mut phone, &mut server, &mut state);
        assert!(phone.unconfirmed("records").is_empty());
    }

    /// Storage as the phone keeps it: a full save, then increments appended.
    #[test]
    fn a_full_save_and_the_increments_after_it_restore_the_whole_document() {
        let (mut phone, _, _) = synced_phone();
        let id = phone.id.clone();
        assert!(phone.unsaved().is_none(), "nothing stored yet: save whole");
        let mut stored = phone.save_doc();
        phone.mark_saved();
        let mut increments = Vec::new();
        for day in 1..=3 {
            add_record(&mut phone.doc, &format!("r{day}"), &study(day)).expect("add");
            let new = phone.unsaved().expect("an increment");
            assert!(new.len() < stored.len() / 2 + 200, "only the new change");
            increments.push(new.len());
            stored.extend(new);
            phone.mark_saved();
        }
        assert_eq!(phone.unsaved().map(|b| b.len()), Some(0));
        let back = Replica::restore(id.clone(), &stored, None).expect("restore");
        assert_eq!(back.doc.get_heads(), phone.doc.get_heads());
        assert_eq!(back.unsaved().map(|b| b.len()), Some(0));

        // Dropping local changes must never let storage bring them back.
        withdraw(&mut phone.doc, "r1").expect("withdraw");
        phone.discard_local().expect("discard");
        assert!(phone.unsaved().is_none(), "{increments:?}");
    }

    /// Increments that end in bytes Automerge cannot read: the full save and
    /// the readable increments still load, and the next save is whole.
    #[test]
    fn unreadable_increments_are_salvaged_and_then_saved_over() {
        let (mut phone, _, _) = synced_phone();
        let id = phone.id.clone();
        let full = phone.save_doc();
        phone.mark_saved();
        add_record(&mut phone.doc, "r1", &study(1)).expect("add");
        let mut tail = phone.unsaved().expect("increment");
        tail.extend([0x85, 0x6f, 0x4a, 0x83, 0xde, 0xad, 0xbe, 0xef]);

        let whole = [full.as_slice(), &tail].concat();
        assert!(
            Replica::restore(id.clone(), &whole, None).is_err(),
            "a bad tail fails the load"
        );
        let mut back = Replica::restore(id.clone(), &full, None).expect("the full save alone");
        back.salvage(&tail);
        assert_eq!(back.doc.get_heads(), phone.doc.get_heads(), "r1 was read");
        assert!(back.unsaved().is_none(), "the next save is whole");
    }
}
