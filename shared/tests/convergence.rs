//! Convergence under a bad network: two devices of one member and a
//! secretary sync a member's check-ins and reviews documents through the
//! server's exchange, with requests lost, responses lost, requests delayed
//! and replayed out of order. Once the network heals, every replica holds
//! the server's documents and nothing anyone created is missing.
// The server's side runs here, on the server's Automerge; with the
// phone's (feature phone-automerge) see phone_automerge.rs instead.
#![cfg(not(feature = "phone-automerge"))]

use automerge::sync::State;
use automerge::Automerge;
use chrono::DateTime;
use proptest::prelude::*;
use std::collections::{BTreeSet, HashMap};
use vanguard_shared::documents::edit::{add_record, decide, withdraw, Verdict};
use vanguard_shared::documents::{create_root, DecisionStatus, DocId, Entry, Layout, NewRecord};
use vanguard_shared::sync::exchange::{decode, missing_deps, receive};
use vanguard_shared::sync::Replica;

const MEMBER: &str = "m-7";
const YEAR: i32 = 2026;
/// Device A, device B (the member), the secretary.
const PEERS: [&str; 3] = ["phone", "tablet", "secretary"];
const SECRETARY: usize = 2;

#[derive(Debug, Clone, Copy)]
enum Fate {
    Delivered,
    RequestLost,
    ResponseLost,
    /// Handled now and replayed later by the network.
    Duplicated,
    /// Reaches the server only later; the client times out.
    Delayed,
}

#[derive(Debug, Clone)]
enum Op {
    AddRecord { device: usize },
    Withdraw { device: usize, pick: usize },
    Decide { pick: usize, approve: bool },
    Request { peer: usize, doc: usize, fate: Fate },
    Replay { pick: usize },
}

fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![
        4 => Just(Fate::Delivered),
        1 => Just(Fate::RequestLost),
        1 => Just(Fate::ResponseLost),
        1 => Just(Fate::Duplicated),
        1 => Just(Fate::Delayed),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..2usize).prop_map(|device| Op::AddRecord { device }),
        1 => (0..2usize, any::<usize>()).prop_map(|(device, pick)| Op::Withdraw { device, pick }),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(pick, approve)| Op::Decide { pick, approve }),
        8 => (0..3usize, 0..2usize, fate()).prop_map(|(peer, doc, fate)| Op::Request { peer, doc, fate }),
        1 => any::<usize>().prop_map(|pick| Op::Replay { pick }),
    ]
}

/// The server as the HTTP layer runs it: documents plus the persisted part of
/// each (document, peer) sync state, one request at a time.
struct Server {
    docs: HashMap<DocId, Automerge>,
    states: HashMap<(DocId, usize), Vec<u8>>,
}

impl Server {
    fn handle(&mut self, id: &DocId, peer: usize, bytes: &[u8]) -> Option<Vec<u8>> {
        let doc = self.docs.get_mut(id).expect("document exists");
        let state = self
            .states
            .get(&(id.clone(), peer))
            .map(|s| State::decode(s).expect("stored state"))
            .unwrap_or_default();
        let message = decode(bytes).expect("clients send valid messages");
        // As the server's hot path: received in place, and the document
        // dropped for its stored copy when what it now holds is not stored.
        let stored = doc.clone();
        let ex = receive(doc, id, state, Some(message)).expect("valid edits are accepted");
        if ex.applied.is_none() && missing_deps(doc) {
            *doc = stored;
        }
        self.states.insert((id.clone(), peer), ex.state.encode());
        ex.reply
    }
}

struct World {
    ids: [DocId; 2],
    server: Server,
    /// `replicas[peer][doc]`.
    replicas: Vec<Vec<Replica>>,
    /// Requests the network holds back: (document, peer, bytes).
    in_flight: Vec<(usize, usize, Vec<u8>)>,
    created: BTreeSet<String>,
    withdrawn: BTreeSet<String>,
    decided: BTreeSet<String>,
    next_id: u32,
}

impl World {
    fn new() -> Self {
        let ids = [DocId::checkins(MEMBER, YEAR), DocId::reviews(MEMBER, YEAR)];
        let docs = ids.iter().map(|id| (id.clone(), create_root(id))).collect();
        let replicas = PEERS
            .iter()
            .map(|_| ids.iter().map(|id| Replica::empty(id.clone())).collect())
            .collect();
        World {
            ids,
            server: Server {
                docs,
                states: HashMap::new(),
            },
            replicas,
            in_flight: Vec::new(),
            created: BTreeSet::new(),
            withdrawn: BTreeSet::new(),
            decided: BTreeSet::new(),
            next_id: 0,
        }
    }

    fn record_ids(&self, peer: usize) -> Vec<String> {
        let r = &self.replicas[peer][0];
        Layout::find(&r.doc, &r.id)
            .map(|l| l.keys(&r.doc, "records"))
            .unwrap_or_default()
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::AddRecord { device } => {
                self.next_id += 1;
                let rid = format!("{:08x}-0000-4000-8000-{:012x}", self.next_id, device);
                let rec = NewRecord {
                    kind: "volunteer".into(),
                    occurred_at: DateTime::parse_from_rfc3339("2026-06-01T09:00:00+08:00").ok(),
                    hours: Some(1.5),
                    note: Some(format!("设备 {device}")),
                    ..Default::default()
                };
                // Before the first sync there is no root: the app refuses too.
                if add_record(&mut self.replicas[device][0].doc, &rid, &rec).is_ok() {
                    self.created.insert(rid);
                }
            }
            Op::Withdraw { device, pick } => {
                let ids = self.record_ids(device);
                if let Some(rid) = ids.get(pick % ids.len().max(1)) {
                    withdraw(&mut self.replicas[device][0].doc, rid).expect("withdraw");
                    self.withdrawn.insert(rid.clone());
                }
            }
            Op::Decide { pick, approve } => {
                let ids = self.record_ids(SECRETARY);
                let Some(rid) = ids.get(pick % ids.len().max(1)) else {
                    return;
                };
                let status = if approve {
                    DecisionStatus::Approved
                } else {
                    DecisionStatus::Returned
                };
                let at = DateTime::parse_from_rfc3339("2026-06-02T10:00:00+08:00").expect("time");
                let reviews = &mut self.replicas[SECRETARY][1].doc;
                // Convergence cares whether the decision arrives, not which
                // version of the record it names.
                let verdict = Verdict {
                    status,
                    reason: Some("核对"),
                    version: "v",
                    seen: None,
                };
                if decide(reviews, rid, verdict, "s-1", at).is_ok() {
                    self.decided.insert(rid.clone());
                }
            }
            Op::Request { peer, doc, fate } => {
                self.request(peer, doc, fate);
            }
            Op::Replay { pick } => {
                if !self.in_flight.is_empty() {
                    let (doc, peer, bytes) = self.in_flight.remove(pick % self.in_flight.len());
                    let id = self.ids[doc].clone();
                    // Nobody is waiting for this answer any more.
                    let _ = self.server.handle(&id, peer, &bytes);
                }
            }
        }
    }

    /// One HTTP request from a client, as the app makes it: a lost answer is
    /// a timeout, after which the client starts afresh with `reconnect()`.
    /// Answers false when the client had nothing to send.
    fn request(&mut self, peer: usize, doc: usize, fate: Fate) -> bool {
        let id = self.ids[doc].clone();
        let Some(out) = self.replicas[peer][doc].outgoing() else {
            return false;
        };
        let reply = match fate {
            Fate::Delivered => Some(self.server.handle(&id, peer, &out)),
            Fate::Duplicated => {
                let reply = self.server.handle(&id, peer, &out);
                self.in_flight.push((doc, peer, out));
                Some(reply)
            }
            Fate::ResponseLost => {
                let _ = self.server.handle(&id, peer, &out);
                None
            }
            Fate::RequestLost => None,
            Fate::Delayed => {
                self.in_flight.push((doc, peer, out));
                None
            }
        };
        let replica = &mut self.replicas[peer][doc];
        match reply {
            Some(Some(bytes)) => replica.incoming(&bytes).expect("server messages are valid"),
            Some(None) => replica.settled(),
            None => replica.reconnect(),
        }
        true
    }

    /// The network heals: late requests arrive, then every client polls
    /// (reconnect, then requests until 204) until a round changes nothing.
    fn heal(&mut self) {
        while !self.in_flight.is_empty() {
            self.apply(&Op::Replay { pick: 0 });
        }
        for _round in 0..8 {
            let before = self.all_heads();
            for peer in 0..PEERS.len() {
                for doc in 0..self.ids.len() {
                    self.replicas[peer][doc].reconnect();
                    let mut requests = 0;
                    while self.request(peer, doc, Fate::Delivered) {
                        requests += 1;
                        assert!(requests < 12, "a poll did not end");
                    }
                }
            }
            if self.all_heads() == before {
                return;
            }
        }
        panic!("replicas did not settle");
    }

    fn all_heads(&self) -> Vec<Vec<automerge::ChangeHash>> {
        let mut heads: Vec<_> = self
            .replicas
            .iter()
            .flatten()
            .map(|r| r.doc.get_heads())
            .collect();
        heads.extend(self.ids.iter().map(|id| self.server.docs[id].get_heads()));
        heads
    }
}

fn entries(doc: &Automerge, id: &DocId) -> Vec<Entry> {
    Layout::check(doc, id)
        .expect("valid root")
        .read_all(doc)
        .expect("valid entries")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge_and_lose_nothing(ops in proptest::collection::vec(op(), 20..120)) {
        let mut world = World::new();
        for op in &ops {
            world.apply(op);
        }
        world.heal();

        for (d, id) in world.ids.iter().enumerate() {
            let server_heads = world.server.docs[id].get_heads();
            for (p, replicas) in world.replicas.iter().enumerate() {
                prop_assert_eq!(
                    &replicas[d].doc.get_heads(), &server_heads,
                    "{} of {} differs from the server", id, PEERS[p]
                );
            }
        }
        let mut records = BTreeSet::new();
        let mut withdrawn = BTreeSet::new();
        for entry in entries(&world.server.docs[&world.ids[0]], &world.ids[0]) {
            if let Entry::Record(r) = entry {
                if r.withdrawn {
                    withdrawn.insert(r.record_id.clone());
                }
                records.insert(r.record_id);
            }
        }
        prop_assert_eq!(&records, &world.created);
        prop_assert_eq!(&withdrawn, &world.withdrawn);
        let decided: BTreeSet<String> = entries(&world.server.docs[&world.ids[1]], &world.ids[1])
            .into_iter()
            .filter_map(|e| match e {
                Entry::Decision(d) => Some(d.record_id),
                _ => None,
            })
            .collect();
        prop_assert_eq!(&decided, &world.decided);
    }
}
