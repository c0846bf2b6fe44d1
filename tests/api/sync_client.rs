//! A sync client as a phone runs it: one replica per document, the
//! standard Automerge sync messages over `POST /api/sync/{doc_id}` or the
//! batch endpoint.

use crate::helpers::client;
use reqwest::StatusCode;
use serde_json::Value;
use vanguard_shared::documents::DocId;
use vanguard_shared::sync::{batch, Refusal, Replica, SyncClient};

/// A refusal: the status and the JSON error body.
#[derive(Debug)]
pub struct Refused {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
}

pub struct Device {
    pub base: String,
    pub token: String,
    pub peer: String,
}

impl Device {
    pub fn new(base: String, token: &str, peer: &str) -> Self {
        Device {
            base,
            token: token.to_string(),
            peer: peer.to_string(),
        }
    }

    /// One request with one message (or none, to ask the server to begin);
    /// answers the status and the body.
    pub async fn post(&self, doc_id: &str, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
        self.try_post(doc_id, body).await.expect("request")
    }

    /// The same, answering a transport failure (a server that went away).
    pub async fn try_post(
        &self,
        doc_id: &str,
        body: Vec<u8>,
    ) -> Result<(StatusCode, Vec<u8>), reqwest::Error> {
        let response = client()
            .post(format!("{}/api/sync/{doc_id}", self.base))
            .bearer_auth(&self.token)
            .header("x-peer-id", &self.peer)
            .body(body)
            .send()
            .await?;
        let status = response.status();
        Ok((status, response.bytes().await?.to_vec()))
    }

    /// Syncs one replica until neither side has anything to say.
    pub async fn sync(&self, replica: &mut Replica) -> Result<usize, Refused> {
        let doc_id = replica.id.to_string();
        for requests in 0..20 {
            let Some(out) = replica.outgoing() else {
                return Ok(requests);
            };
            let (status, body) = self.post(&doc_id, out).await;
            match status {
                StatusCode::OK => replica.incoming(&body).expect("server message decodes"),
                StatusCode::NO_CONTENT => replica.settled(),
                _ => return Err(refused(status, &body)),
            }
        }
        panic!("sync of {doc_id} did not settle in 20 requests");
    }

    /// A fresh replica of a document the server holds, received in full.
    pub async fn fetch(&self, id: &DocId) -> Replica {
        let mut replica = Replica::empty(id.clone());
        self.sync(&mut replica).await.expect("document received");
        assert!(replica.has_root(), "{id} arrived with its root");
        replica
    }

    /// Syncs replicas through the batch endpoint; answers the requests made
    /// and any refusals by document.
    pub async fn sync_batch(&self, replicas: &mut [Replica]) -> (usize, Vec<(String, Refused)>) {
        let mut refusals = Vec::new();
        for requests in 0..20 {
            let messages: Vec<(String, Vec<u8>)> = replicas
                .iter_mut()
                .filter(|r| !refusals.iter().any(|(id, _)| *id == r.id.to_string()))
                .filter_map(|r| r.outgoing().map(|m| (r.id.to_string(), m)))
                .collect();
            if messages.is_empty() {
                return (requests, refusals);
            }
            let (status, body) = self.post_batch(batch::encode_request(&messages)).await;
            let frames = match status {
                StatusCode::NO_CONTENT => Vec::new(),
                StatusCode::OK => batch::decode_response(&body).expect("frames"),
                other => panic!("batch answered {other}: {}", String::from_utf8_lossy(&body)),
            };
            for (doc_id, _) in &messages {
                let replica = replicas
                    .iter_mut()
                    .find(|r| r.id.to_string() == *doc_id)
                    .expect("replica");
                match frames.iter().find(|f| f.doc_id == *doc_id) {
                    None => replica.settled(),
                    Some(f) if f.status == 200 => replica.incoming(&f.body).expect("decodes"),
                    Some(f) => refusals.push((
                        doc_id.clone(),
                        refused(StatusCode::from_u16(f.status).expect("status"), &f.body),
                    )),
                }
            }
        }
        panic!("batch sync did not settle");
    }
}

impl Device {
    /// One request to the batch endpoint: the status and the body.
    pub async fn post_batch(&self, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
        let response = client()
            .post(format!("{}/api/sync", self.base))
            .bearer_auth(&self.token)
            .header("x-peer-id", &self.peer)
            .header("content-type", batch::CONTENT_TYPE)
            .body(body)
            .send()
            .await
            .expect("request");
        let status = response.status();
        (status, response.bytes().await.expect("body").to_vec())
    }

    /// One poll as the app runs it with [`SyncClient`]: batch requests until
    /// no document has anything to say. Answers the requests and refusals.
    pub async fn poll(&self, sync: &mut SyncClient) -> (usize, Vec<Refusal>) {
        sync.start_poll();
        let mut requests = 0;
        let mut refusals = Vec::new();
        while let Some(body) = sync.next_request().expect("poll ends") {
            requests += 1;
            let (status, answer) = self.post_batch(body).await;
            let handled = match status {
                StatusCode::NO_CONTENT => sync.handle_answer(None),
                StatusCode::OK => sync.handle_answer(Some(&answer)),
                other => panic!(
                    "batch answered {other}: {}",
                    String::from_utf8_lossy(&answer)
                ),
            };
            refusals.extend(handled.expect("answer applies"));
        }
        (requests, refusals)
    }
}

pub fn refused(status: StatusCode, body: &[u8]) -> Refused {
    let json: Value = serde_json::from_slice(body)
        .unwrap_or_else(|_| panic!("error body is JSON: {}", String::from_utf8_lossy(body)));
    let text = |k: &str| json[k].as_str().unwrap_or_default().to_string();
    assert!(!text("message").is_empty(), "message in {json}");
    Refused {
        status,
        code: text("error"),
        message: text("message"),
    }
}
