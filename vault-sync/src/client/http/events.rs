//! [`ApiClient::events`]: the account's server-sent event stream
//! (`/v1/events`) and its parser.

use super::{ApiClient, Body, error_of};
use crate::api::paths;
use crate::client::error::{ClientError, ClientResult};
use futures_util::StreamExt;
use reqwest::Method;

impl ApiClient {
    /// `GET /v1/events`: the server-sent event stream of this account.
    pub async fn events(&self) -> ClientResult<EventStream> {
        let resp = self
            .send_authed_raw(Method::GET, paths::EVENTS, &[], Body::None, false)
            .await?;
        if !resp.status().is_success() {
            return Err(error_of(resp).await.0);
        }
        Ok(EventStream {
            stream: Box::pin(resp.bytes_stream().map(|r| r.map(|b| b.to_vec()))),
            buf: Vec::new(),
            event: String::new(),
            data: String::new(),
        })
    }
}

/// One server-sent event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerEvent {
    /// The `event:` name (`ready`, `changed`).
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

type ByteStream =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<Vec<u8>>> + Send>>;

/// The open `GET /v1/events` stream.
pub struct EventStream {
    stream: ByteStream,
    buf: Vec<u8>,
    event: String,
    data: String,
}

impl core::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("EventStream")
    }
}

/// Longest line the event parser buffers.
const MAX_EVENT_LINE: usize = 64 * 1024;

impl EventStream {
    /// The next event; `None` when the server closed the stream. Comments
    /// (keep-alives) are skipped.
    pub async fn next_event(&mut self) -> ClientResult<Option<ServerEvent>> {
        loop {
            while let Some(pos) = self.buf.iter().position(|b| *b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=pos).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                let line = String::from_utf8(line)
                    .map_err(|_| ClientError::Protocol("event stream: not UTF-8".into()))?;
                if line.is_empty() {
                    if self.event.is_empty() && self.data.is_empty() {
                        continue;
                    }
                    let event = if self.event.is_empty() {
                        "message".to_owned()
                    } else {
                        core::mem::take(&mut self.event)
                    };
                    return Ok(Some(ServerEvent {
                        event,
                        data: core::mem::take(&mut self.data),
                    }));
                }
                if line.starts_with(':') {
                    continue;
                }
                let (field, value) = match line.split_once(':') {
                    Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
                    None => (line.as_str(), ""),
                };
                match field {
                    "event" => self.event = value.to_owned(),
                    "data" => {
                        if !self.data.is_empty() {
                            self.data.push('\n');
                        }
                        self.data.push_str(value);
                        if self.data.len() > MAX_EVENT_LINE {
                            return Err(ClientError::Protocol(
                                "event stream: event too large".into(),
                            ));
                        }
                    }
                    _ => {}
                }
            }
            if self.buf.len() > MAX_EVENT_LINE {
                return Err(ClientError::Protocol("event stream: line too long".into()));
            }
            match self.stream.next().await {
                Some(chunk) => self.buf.extend_from_slice(&chunk?),
                None => return Ok(None),
            }
        }
    }
}
