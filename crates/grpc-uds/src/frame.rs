//! The client→server HTTP/2 byte stream, filtered: the connection preface and every frame
//! pass through byte for byte, except request header blocks (HEADERS plus CONTINUATION),
//! which are reassembled and handed to [`HeaderBlockRewriter`], then re-framed: padding
//! dropped, priority kept, fragments no larger than the 16,384-byte frame size every HTTP/2
//! peer must accept.
//!
//! Sans-IO: bytes in, bytes out. A protocol violation it must understand to do its job
//! (bad padding, an interrupted header block, an oversized block, a bad preface) is an error
//! after which the connection must be closed; it never panics on any input.

use crate::header_block::{HeaderBlockError, HeaderBlockRewriter};

/// The client connection preface (RFC 9113 §3.4).
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// Frame header length.
pub const FRAME_HEADER_LEN: usize = 9;
/// SETTINGS_MAX_FRAME_SIZE's initial value: re-encoded frames never exceed it.
pub const MAX_OUTPUT_FRAME_PAYLOAD: usize = 16_384;
/// Largest compressed header block (all fragments) accepted from a client.
pub const MAX_HEADER_BLOCK: usize = 256 * 1024;

pub const TYPE_HEADERS: u8 = 0x1;
pub const TYPE_CONTINUATION: u8 = 0x9;
pub const FLAG_END_STREAM: u8 = 0x1;
pub const FLAG_END_HEADERS: u8 = 0x4;
pub const FLAG_PADDED: u8 = 0x8;
pub const FLAG_PRIORITY: u8 = 0x20;

/// Why the client's byte stream was refused.
#[derive(Debug, thiserror::Error)]
pub enum FrameFilterError {
    #[error("the client did not start with the HTTP/2 connection preface")]
    BadPreface,
    #[error("HEADERS frame on stream {stream_id}: padding of {pad_len} bytes exceeds the payload")]
    BadPadding { stream_id: u32, pad_len: usize },
    #[error("HEADERS frame on stream {stream_id} is too short for its priority fields")]
    ShortPriority { stream_id: u32 },
    #[error("{what} on stream {stream_id} interrupts the header block of stream {expected}")]
    InterruptedHeaderBlock {
        what: &'static str,
        stream_id: u32,
        expected: u32,
    },
    #[error("CONTINUATION frame on stream {stream_id} without a header block in progress")]
    UnexpectedContinuation { stream_id: u32 },
    #[error("header frame of {len} bytes exceeds the {MAX_HEADER_BLOCK} allowed")]
    FrameTooLarge { len: usize },
    #[error("header block on stream {stream_id} exceeds {MAX_HEADER_BLOCK} bytes")]
    BlockTooLarge { stream_id: u32 },
    #[error("header block on stream {stream_id}: {source}")]
    HeaderBlock {
        stream_id: u32,
        #[source]
        source: HeaderBlockError,
    },
}

/// A header block being reassembled from HEADERS and CONTINUATION frames.
#[derive(Debug)]
struct PendingBlock {
    stream_id: u32,
    /// END_STREAM and PRIORITY of the HEADERS frame.
    flags: u8,
    /// The 5 priority bytes when PRIORITY is set.
    priority: Option<[u8; 5]>,
    fragments: Vec<u8>,
}

#[derive(Debug)]
enum State {
    Preface,
    /// At a frame boundary.
    FrameStart,
    /// Inside a passed-through frame's payload.
    PassThrough {
        remaining: usize,
    },
}

/// The filter of one connection.
#[derive(Debug)]
pub struct RequestHeaderFilter {
    state: State,
    input: Vec<u8>,
    pending: Option<PendingBlock>,
    rewriter: HeaderBlockRewriter,
}

impl Default for RequestHeaderFilter {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestHeaderFilter {
    pub fn new() -> Self {
        Self {
            state: State::Preface,
            input: Vec::new(),
            pending: None,
            rewriter: HeaderBlockRewriter::new(),
        }
    }

    /// Feeds bytes read from the client; appends what the server must see to `out`. Bytes of
    /// an incomplete header frame are held until the rest arrives.
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<u8>) -> Result<(), FrameFilterError> {
        self.input.extend_from_slice(bytes);
        let mut consumed = 0;
        let result = self.process(&mut consumed, out);
        self.input.drain(..consumed);
        result
    }

    fn process(&mut self, consumed: &mut usize, out: &mut Vec<u8>) -> Result<(), FrameFilterError> {
        loop {
            let available = &self.input[*consumed..];
            match self.state {
                State::Preface => {
                    let n = available.len().min(PREFACE.len());
                    if available[..n] != PREFACE[..n] {
                        return Err(FrameFilterError::BadPreface);
                    }
                    if n < PREFACE.len() {
                        return Ok(());
                    }
                    out.extend_from_slice(PREFACE);
                    *consumed += PREFACE.len();
                    self.state = State::FrameStart;
                }
                State::PassThrough { remaining } => {
                    let n = available.len().min(remaining);
                    out.extend_from_slice(&available[..n]);
                    *consumed += n;
                    if n < remaining {
                        self.state = State::PassThrough {
                            remaining: remaining - n,
                        };
                        return Ok(());
                    }
                    self.state = State::FrameStart;
                }
                State::FrameStart => {
                    let Some(header) = FrameHeader::parse(available) else {
                        return Ok(());
                    };
                    let is_header_frame =
                        header.kind == TYPE_HEADERS || header.kind == TYPE_CONTINUATION;
                    if !is_header_frame {
                        if let Some(pending) = &self.pending {
                            return Err(FrameFilterError::InterruptedHeaderBlock {
                                what: "a non-CONTINUATION frame",
                                stream_id: header.stream_id,
                                expected: pending.stream_id,
                            });
                        }
                        out.extend_from_slice(&available[..FRAME_HEADER_LEN]);
                        *consumed += FRAME_HEADER_LEN;
                        self.state = State::PassThrough {
                            remaining: header.len,
                        };
                        continue;
                    }
                    if header.len > MAX_HEADER_BLOCK {
                        return Err(FrameFilterError::FrameTooLarge { len: header.len });
                    }
                    let frame_len = FRAME_HEADER_LEN + header.len;
                    if available.len() < frame_len {
                        return Ok(());
                    }
                    let payload = available[FRAME_HEADER_LEN..frame_len].to_vec();
                    *consumed += frame_len;
                    self.header_frame(&header, &payload, out)?;
                }
            }
        }
    }

    fn header_frame(
        &mut self,
        header: &FrameHeader,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), FrameFilterError> {
        let stream_id = header.stream_id;
        if header.kind == TYPE_HEADERS {
            if let Some(pending) = &self.pending {
                return Err(FrameFilterError::InterruptedHeaderBlock {
                    what: "a HEADERS frame",
                    stream_id,
                    expected: pending.stream_id,
                });
            }
            let (priority, fragment) = split_headers_payload(header, payload)?;
            self.pending = Some(PendingBlock {
                stream_id,
                flags: header.flags & (FLAG_END_STREAM | FLAG_PRIORITY),
                priority,
                fragments: fragment.to_vec(),
            });
        } else {
            let Some(pending) = self.pending.as_mut() else {
                return Err(FrameFilterError::UnexpectedContinuation { stream_id });
            };
            if pending.stream_id != stream_id {
                return Err(FrameFilterError::InterruptedHeaderBlock {
                    what: "a CONTINUATION frame",
                    stream_id,
                    expected: pending.stream_id,
                });
            }
            pending.fragments.extend_from_slice(payload);
        }
        if self
            .pending
            .as_ref()
            .is_some_and(|p| p.fragments.len() > MAX_HEADER_BLOCK)
        {
            return Err(FrameFilterError::BlockTooLarge { stream_id });
        }
        if header.flags & FLAG_END_HEADERS != 0
            && let Some(block) = self.pending.take()
        {
            let rewritten = self.rewriter.rewrite(&block.fragments).map_err(|source| {
                FrameFilterError::HeaderBlock {
                    stream_id: block.stream_id,
                    source,
                }
            })?;
            write_header_frames(&block, &rewritten, out);
        }
        Ok(())
    }
}

/// A parsed 9-byte frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    pub len: usize,
    pub kind: u8,
    pub flags: u8,
    pub stream_id: u32,
}

impl FrameHeader {
    /// The frame header at the start of `bytes`, if all 9 bytes are there.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let h: &[u8; FRAME_HEADER_LEN] = bytes.get(..FRAME_HEADER_LEN)?.try_into().ok()?;
        Some(Self {
            len: usize::from(h[0]) << 16 | usize::from(h[1]) << 8 | usize::from(h[2]),
            kind: h[3],
            flags: h[4],
            stream_id: u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff,
        })
    }

    /// Appends the encoded header.
    pub fn write(&self, out: &mut Vec<u8>) {
        let len = u32::try_from(self.len).unwrap_or(u32::MAX).to_be_bytes();
        out.extend_from_slice(&len[1..]);
        out.push(self.kind);
        out.push(self.flags);
        out.extend_from_slice(&(self.stream_id & 0x7fff_ffff).to_be_bytes());
    }
}

/// Splits a HEADERS payload into its priority fields and header block fragment, dropping
/// padding.
fn split_headers_payload<'a>(
    header: &FrameHeader,
    payload: &'a [u8],
) -> Result<(Option<[u8; 5]>, &'a [u8]), FrameFilterError> {
    let stream_id = header.stream_id;
    let mut body = payload;
    if header.flags & FLAG_PADDED != 0 {
        let Some((&pad_len, rest)) = body.split_first() else {
            return Err(FrameFilterError::BadPadding {
                stream_id,
                pad_len: 0,
            });
        };
        let pad_len = usize::from(pad_len);
        if pad_len > rest.len() {
            return Err(FrameFilterError::BadPadding { stream_id, pad_len });
        }
        body = &rest[..rest.len() - pad_len];
    }
    let mut priority = None;
    if header.flags & FLAG_PRIORITY != 0 {
        let Some((fields, rest)) = body.split_first_chunk::<5>() else {
            return Err(FrameFilterError::ShortPriority { stream_id });
        };
        priority = Some(*fields);
        body = rest;
    }
    Ok((priority, body))
}

/// Writes `block` as one HEADERS frame and as many CONTINUATION frames as needed.
fn write_header_frames(pending: &PendingBlock, block: &[u8], out: &mut Vec<u8>) {
    let priority: &[u8] = pending.priority.as_ref().map_or(&[], |p| &p[..]);
    let first_room = MAX_OUTPUT_FRAME_PAYLOAD - priority.len();
    let (first, mut rest) = block.split_at(block.len().min(first_room));
    let mut flags = pending.flags;
    if rest.is_empty() {
        flags |= FLAG_END_HEADERS;
    }
    FrameHeader {
        len: priority.len() + first.len(),
        kind: TYPE_HEADERS,
        flags,
        stream_id: pending.stream_id,
    }
    .write(out);
    out.extend_from_slice(priority);
    out.extend_from_slice(first);
    while !rest.is_empty() {
        let (chunk, remaining) = rest.split_at(rest.len().min(MAX_OUTPUT_FRAME_PAYLOAD));
        rest = remaining;
        FrameHeader {
            len: chunk.len(),
            kind: TYPE_CONTINUATION,
            flags: if rest.is_empty() { FLAG_END_HEADERS } else { 0 },
            stream_id: pending.stream_id,
        }
        .write(out);
        out.extend_from_slice(chunk);
    }
}

#[cfg(test)]
#[path = "frame_tests.rs"]
mod tests;
