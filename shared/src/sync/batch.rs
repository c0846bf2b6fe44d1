//! The batch framing of `POST /api/sync`: sync messages for many documents in
//! one body (docs/sync.md). Binary, because a steady-state sync is a few
//! hundred bytes and base64 in JSON would add a third.
//!
//! Request:  repeated `varint(len) doc_id  varint(len) message` (an empty
//!           message asks the server to begin).
//! Response: repeated `varint(len) doc_id  varint(status)  varint(len) body`:
//!           status 200 with a sync message, or an error status with the
//!           JSON `{"error", "message"}`. Documents with nothing to send are
//!           left out; when all are, the answer is 204 with no body.

use serde::{Deserialize, Serialize};

/// Media type of both directions.
pub const CONTENT_TYPE: &str = "application/vnd.vanguard.sync-batch";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    pub doc_id: String,
    /// 200 for a sync message; otherwise an HTTP error status.
    pub status: u16,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("同步批次格式错误：{0}")]
pub struct FrameError(pub &'static str);

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn take_varint(input: &mut &[u8]) -> Result<u64, FrameError> {
    let mut n = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = input.split_first().ok_or(FrameError("长度被截断"))?;
        *input = rest;
        n |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(n);
        }
    }
    Err(FrameError("长度过大"))
}

fn take_bytes<'a>(input: &mut &'a [u8]) -> Result<&'a [u8], FrameError> {
    let len = usize::try_from(take_varint(input)?).map_err(|_| FrameError("长度过大"))?;
    if len > input.len() {
        return Err(FrameError("内容被截断"));
    }
    let (bytes, rest) = input.split_at(len);
    *input = rest;
    Ok(bytes)
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

pub fn encode_request(messages: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (doc_id, message) in messages {
        put_bytes(&mut out, doc_id.as_bytes());
        put_bytes(&mut out, message);
    }
    out
}

/// How many frames a request holds, counting no further than `limit + 1`:
/// a server checks this before it allocates anything for them.
pub fn count_request(mut input: &[u8], limit: usize) -> Result<usize, FrameError> {
    let mut n = 0;
    while !input.is_empty() && n <= limit {
        take_bytes(&mut input)?;
        take_bytes(&mut input)?;
        n += 1;
    }
    Ok(n)
}

pub fn decode_request(mut input: &[u8]) -> Result<Vec<(String, Vec<u8>)>, FrameError> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let id = std::str::from_utf8(take_bytes(&mut input)?)
            .map_err(|_| FrameError("文档编号不是 UTF-8"))?
            .to_string();
        let message = take_bytes(&mut input)?.to_vec();
        out.push((id, message));
    }
    Ok(out)
}

pub fn encode_response(frames: &[Frame]) -> Vec<u8> {
    let mut out = Vec::new();
    for frame in frames {
        put_bytes(&mut out, frame.doc_id.as_bytes());
        put_varint(&mut out, u64::from(frame.status));
        put_bytes(&mut out, &frame.body);
    }
    out
}

pub fn decode_response(mut input: &[u8]) -> Result<Vec<Frame>, FrameError> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let doc_id = std::str::from_utf8(take_bytes(&mut input)?)
            .map_err(|_| FrameError("文档编号不是 UTF-8"))?
            .to_string();
        let status =
            u16::try_from(take_varint(&mut input)?).map_err(|_| FrameError("状态码无效"))?;
        let body = take_bytes(&mut input)?.to_vec();
        out.push(Frame {
            doc_id,
            status,
            body,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_truncation_is_an_error() {
        let req = vec![
            ("checkins:a:2026".to_string(), vec![0x42; 300]),
            ("events:b:2026".to_string(), vec![]),
        ];
        let bytes = encode_request(&req);
        assert_eq!(decode_request(&bytes).expect("decodes"), req);
        assert!(decode_request(&bytes[..bytes.len() - 1]).is_err());
        let frames = vec![Frame {
            doc_id: "x".into(),
            status: 422,
            body: b"{}".to_vec(),
        }];
        assert_eq!(
            decode_response(&encode_response(&frames)).expect("decodes"),
            frames
        );
        assert!(decode_request(&[0xff; 11]).is_err());
    }
}
