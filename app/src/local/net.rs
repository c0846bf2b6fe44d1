//! The three requests the phone makes: who am I, one batch sync round, and
//! logout. Answers are sorted into what the sync driver acts on.

use super::model::CachedMe;
use super::storage::StorageError;
use gloo_net::http::Request;
use vanguard_shared::error_body::ErrorBody;
use vanguard_shared::ledger::year_end::MyYearEnd;
use vanguard_shared::ledger::Rulebook;
use vanguard_shared::sync::batch::CONTENT_TYPE;
use vanguard_shared::Me;

/// Why a request got no usable answer.
#[derive(Debug, Clone, PartialEq)]
pub enum NetError {
    /// No network, or the server did not answer.
    Unreachable,
    /// The session ended: the member must sign in again (data is kept).
    SignedOut,
    /// The server answered an error.
    Server(String),
}

async fn error_of(response: gloo_net::http::Response) -> NetError {
    match response.status() {
        401 => NetError::SignedOut,
        status => {
            let body = ErrorBody::read(response.text().await.unwrap_or_default().as_bytes());
            NetError::Server(if body.message.is_empty() {
                format!("服务器错误（{status}）")
            } else {
                body.message
            })
        }
    }
}

impl From<StorageError> for NetError {
    fn from(err: StorageError) -> Self {
        NetError::Server(err.to_string())
    }
}

/// A GET answered with JSON: the value, and the text it was read from.
async fn get_json<T: serde::de::DeserializeOwned>(url: &str) -> Result<(T, String), NetError> {
    let response = Request::get(url)
        .send()
        .await
        .map_err(|_| NetError::Unreachable)?;
    if !response.ok() {
        return Err(error_of(response).await);
    }
    let malformed = || NetError::Server("服务器应答格式错误".into());
    let text = response.text().await.map_err(|_| malformed())?;
    let value = serde_json::from_str(&text).map_err(|_| malformed())?;
    Ok((value, text))
}

/// `GET /api/me` for the year: who is signed in, in which branch.
pub async fn me(year: i32) -> Result<CachedMe, NetError> {
    // Read as the shared `Me` the server functions also answer with (the
    // answer's other fields are ignored): one JSON parser for both.
    let (me, _): (Me, _) = get_json(&format!("/api/me?year={year}")).await?;
    // A password someone reset: nothing syncs until the member has chosen
    // their own (the server answers nothing else meanwhile).
    if me.must_change_password {
        return Err(NetError::Server("请先修改密码，之后自动同步".into()));
    }
    Ok(CachedMe {
        member_id: me.member_id,
        name: me.name,
        roles: me.roles,
        branch_id: me.branch.as_ref().map(|b| b.id.clone()),
        branch_name: me.branch.map(|b| b.name),
        time_zone: me.time_zone,
        year,
    })
}

/// `GET /api/rulebook`: what the ledger is priced by, with the JSON it came
/// as, which is what storage keeps: the phone never writes a rulebook out
/// itself, so its download holds no code to.
pub async fn rulebook() -> Result<(Rulebook, String), NetError> {
    get_json("/api/rulebook").await
}

/// `GET /api/year-end`: the member's job result and branch notice, with the
/// JSON storage keeps.
pub async fn year_end(year: i32) -> Result<(MyYearEnd, String), NetError> {
    get_json(&format!("/api/year-end?year={year}")).await
}

/// One batch round (`POST /api/sync`): the answer's body, `None` for 204.
pub async fn sync_round(peer_id: &str, body: Vec<u8>) -> Result<Option<Vec<u8>>, NetError> {
    let bytes = js_sys::Uint8Array::from(body.as_slice());
    let response = Request::post("/api/sync")
        .header("X-Peer-Id", peer_id)
        .header("Content-Type", CONTENT_TYPE)
        .body(bytes)
        .map_err(|_| NetError::Unreachable)?
        .send()
        .await
        .map_err(|_| NetError::Unreachable)?;
    match response.status() {
        204 => Ok(None),
        200 => response
            .binary()
            .await
            .map(Some)
            .map_err(|_| NetError::Unreachable),
        // A gateway with no server behind it is the same as no network.
        502..=504 => Err(NetError::Unreachable),
        _ => Err(error_of(response).await),
    }
}

pub async fn logout() -> Result<(), NetError> {
    Request::post("/api/logout")
        .send()
        .await
        .map(|_| ())
        .map_err(|_| NetError::Unreachable)
}
