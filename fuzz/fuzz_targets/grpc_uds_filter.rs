//! The HTTP/2 request-header filter of `spire-grpc-uds` against an independent reference.
//!
//! Input: byte 0 holds flags (bit 0: prepend the connection preface, so mutations spend their
//! time on frames), bytes 1..5 are chunk sizes cycled over the rest, which is the client's byte
//! stream, pushed into `RequestHeaderFilter::push` at those split points. Properties:
//!
//! - never panics; the output and the error (if any) do not depend on where reads split;
//! - the output always starts with the preface and is well-formed HTTP/2 framing: header
//!   blocks are HEADERS + CONTINUATION frames of at most 16,384 bytes on one stream, unpadded,
//!   never interrupted and never left unfinished; a stream that is not the preface is refused;
//! - the output, read as a sequence of non-header frames and decoded header blocks, is a prefix
//!   of the input read the same way by a reference reader here (all of it when the filter
//!   accepted the input): non-header frames byte-identical, header blocks with the same stream,
//!   END_STREAM, priority fields and header list, except an invalid `:authority` replaced by
//!   `localhost`; and no `:authority` in the output is invalid;
//! - the non-header bytes of the output (including a frame still streaming) are a prefix of
//!   those of the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loona_hpack::Decoder;
use spire_grpc_uds::frame::{
    FLAG_END_HEADERS, FLAG_END_STREAM, FLAG_PADDED, FLAG_PRIORITY, FRAME_HEADER_LEN, FrameHeader,
    MAX_OUTPUT_FRAME_PAYLOAD, PREFACE, TYPE_CONTINUATION, TYPE_HEADERS,
};
use spire_grpc_uds::header_block::{
    MAX_DYNAMIC_TABLE_SIZE, REPLACEMENT_AUTHORITY, is_valid_authority,
};
use spire_grpc_uds::RequestHeaderFilter;

type HeaderList = Vec<(Vec<u8>, Vec<u8>)>;

/// One unit of the client→server stream after the preface.
#[derive(Debug, PartialEq, Eq)]
enum Item {
    /// A non-header frame, header and payload.
    Frame(Vec<u8>),
    /// A complete header block.
    Block {
        stream_id: u32,
        end_stream: bool,
        priority: Option<[u8; 5]>,
        headers: HeaderList,
    },
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 5 {
        return;
    }
    let (control, rest) = data.split_at(5);
    let mut stream = Vec::with_capacity(PREFACE.len() + rest.len());
    if control[0] & 1 != 0 {
        stream.extend_from_slice(PREFACE);
    }
    stream.extend_from_slice(rest);
    let chunk_sizes: Vec<usize> = control[1..].iter().map(|b| usize::from(*b)).collect();

    let (whole_out, whole_err) = run(&stream, &[usize::MAX]);
    let (split_out, split_err) = run(&stream, &chunk_sizes);
    assert_eq!(whole_out, split_out, "output depends on read boundaries");
    assert_eq!(whole_err, split_err, "error depends on read boundaries");

    let accepted = whole_err.is_none();
    let n = stream.len().min(PREFACE.len());
    if accepted {
        assert_eq!(&stream[..n], &PREFACE[..n], "a stream without the preface was accepted");
    }
    if whole_out.is_empty() {
        return;
    }
    assert!(whole_out.starts_with(PREFACE), "output does not start with the preface");
    assert!(stream.starts_with(PREFACE));

    let out_view = read_output(&whole_out[PREFACE.len()..]);
    let in_view = read_reference(&stream[PREFACE.len()..]);
    assert!(
        out_view.items.len() <= in_view.items.len(),
        "the filter produced more than the reference could read:\n out {:?}\n in {:?}",
        out_view.items,
        in_view.items
    );
    assert_eq!(
        out_view.items[..],
        in_view.items[..out_view.items.len()],
        "filtered stream differs from the input"
    );
    assert!(
        in_view.passthrough_bytes.starts_with(&out_view.passthrough_bytes),
        "non-header bytes changed"
    );
    if accepted && in_view.complete {
        assert_eq!(out_view.items.len(), in_view.items.len(), "an accepted item is missing");
        assert_eq!(out_view.passthrough_bytes, in_view.passthrough_bytes);
    }
});

/// Pushes `stream` in chunks of the given sizes, cycled (0 is an empty read; all zeros means
/// one byte at a time), stopping at the first error.
fn run(stream: &[u8], chunk_sizes: &[usize]) -> (Vec<u8>, Option<String>) {
    let mut filter = RequestHeaderFilter::new();
    let mut out = Vec::new();
    let all_zero = chunk_sizes.iter().all(|s| *s == 0);
    let mut rest = stream;
    for size in chunk_sizes.iter().cycle() {
        let size = if all_zero { 1 } else { *size };
        let (chunk, remaining) = rest.split_at(size.min(rest.len()));
        rest = remaining;
        if let Err(e) = filter.push(chunk, &mut out) {
            return (out, Some(e.to_string()));
        }
        if rest.is_empty() {
            break;
        }
    }
    (out, None)
}

/// A byte stream read as items.
struct View {
    items: Vec<Item>,
    /// Every non-header frame's bytes, concatenated, including a trailing partial one.
    passthrough_bytes: Vec<u8>,
    /// Whether the reader understood everything up to the end (no unreadable frame).
    complete: bool,
}

/// Reads the filter's output, asserting it is well-formed.
fn read_output(mut bytes: &[u8]) -> View {
    // The output uses only literals without indexing, so any decoder state works.
    let mut decoder = Decoder::new();
    let mut view = View {
        items: Vec::new(),
        passthrough_bytes: Vec::new(),
        complete: true,
    };
    let mut pending: Option<(FrameHeader, Option<[u8; 5]>, Vec<u8>)> = None;
    while let Some(header) = FrameHeader::parse(bytes) {
        let is_header_frame = header.kind == TYPE_HEADERS || header.kind == TYPE_CONTINUATION;
        let end = FRAME_HEADER_LEN + header.len;
        if bytes.len() < end {
            assert!(!is_header_frame, "output ends inside a header frame");
            assert!(pending.is_none(), "output ends inside a header block");
            view.passthrough_bytes.extend_from_slice(bytes);
            return view;
        }
        let payload = &bytes[FRAME_HEADER_LEN..end];
        if !is_header_frame {
            assert!(pending.is_none(), "a non-header frame interrupts an output header block");
            view.passthrough_bytes.extend_from_slice(&bytes[..end]);
            view.items.push(Item::Frame(bytes[..end].to_vec()));
            bytes = &bytes[end..];
            continue;
        }
        assert!(header.len <= MAX_OUTPUT_FRAME_PAYLOAD, "output header frame too large");
        if header.kind == TYPE_HEADERS {
            assert!(pending.is_none(), "HEADERS inside an output header block");
            assert_eq!(
                header.flags & !(FLAG_END_STREAM | FLAG_END_HEADERS | FLAG_PRIORITY),
                0,
                "unexpected flags (padding?) on an output HEADERS frame"
            );
            let (priority, fragment) = if header.flags & FLAG_PRIORITY != 0 {
                let (p, f) = payload.split_first_chunk::<5>().expect("output priority fields");
                (Some(*p), f)
            } else {
                (None, payload)
            };
            pending = Some((header, priority, fragment.to_vec()));
        } else {
            let block = pending.as_mut().expect("CONTINUATION outside an output header block");
            assert_eq!(block.0.stream_id, header.stream_id, "CONTINUATION on another stream");
            assert_eq!(header.flags & !FLAG_END_HEADERS, 0, "flags on an output CONTINUATION");
            block.2.extend_from_slice(payload);
        }
        if header.flags & FLAG_END_HEADERS != 0 {
            let (first, priority, block) = pending.take().expect("a block in progress");
            let headers = decoder.decode(&block).expect("the filter's output decodes");
            for (name, value) in &headers {
                if name == b":authority" {
                    assert!(is_valid_authority(value), "invalid :authority passed the filter");
                }
            }
            view.items.push(Item::Block {
                stream_id: first.stream_id,
                end_stream: first.flags & FLAG_END_STREAM != 0,
                priority,
                headers,
            });
        }
        bytes = &bytes[end..];
    }
    assert!(pending.is_none(), "output ends inside a header block");
    assert!(bytes.is_empty(), "output ends inside a frame header");
    view
}

/// Reads the client's stream as a lenient HTTP/2 server would, stopping at the first frame it
/// cannot make sense of; header lists come out as the filter should rewrite them.
fn read_reference(mut bytes: &[u8]) -> View {
    let mut decoder = Decoder::new();
    decoder.set_max_allowed_table_size(MAX_DYNAMIC_TABLE_SIZE);
    let mut view = View {
        items: Vec::new(),
        passthrough_bytes: Vec::new(),
        complete: false,
    };
    // (stream id, END_STREAM, priority, fragments)
    let mut pending: Option<(u32, bool, Option<[u8; 5]>, Vec<u8>)> = None;
    loop {
        let Some(header) = FrameHeader::parse(bytes) else {
            view.complete = bytes.is_empty() && pending.is_none();
            return view;
        };
        let is_header_frame = header.kind == TYPE_HEADERS || header.kind == TYPE_CONTINUATION;
        let end = FRAME_HEADER_LEN + header.len;
        if bytes.len() < end {
            if !is_header_frame && pending.is_none() {
                view.passthrough_bytes.extend_from_slice(bytes);
            }
            return view;
        }
        let payload = &bytes[FRAME_HEADER_LEN..end];
        if !is_header_frame {
            if pending.is_some() {
                return view;
            }
            view.passthrough_bytes.extend_from_slice(&bytes[..end]);
            view.items.push(Item::Frame(bytes[..end].to_vec()));
            bytes = &bytes[end..];
            continue;
        }
        if header.kind == TYPE_HEADERS {
            if pending.is_some() {
                return view;
            }
            let mut body = payload;
            if header.flags & FLAG_PADDED != 0 {
                let Some((&pad, rest)) = body.split_first() else {
                    return view;
                };
                let Some(keep) = rest.len().checked_sub(usize::from(pad)) else {
                    return view;
                };
                body = &rest[..keep];
            }
            let mut priority = None;
            if header.flags & FLAG_PRIORITY != 0 {
                let Some((p, rest)) = body.split_first_chunk::<5>() else {
                    return view;
                };
                priority = Some(*p);
                body = rest;
            }
            pending = Some((
                header.stream_id,
                header.flags & FLAG_END_STREAM != 0,
                priority,
                body.to_vec(),
            ));
        } else {
            match pending.as_mut() {
                Some(block) if block.0 == header.stream_id => block.3.extend_from_slice(payload),
                _ => return view,
            }
        }
        if header.flags & FLAG_END_HEADERS != 0 {
            let (stream_id, end_stream, priority, block) = pending.take().expect("a block");
            let Ok(decoded) = decoder.decode(&block) else {
                return view;
            };
            let headers = decoded
                .into_iter()
                .map(|(name, value)| {
                    if name == b":authority" && !is_valid_authority(&value) {
                        (name, REPLACEMENT_AUTHORITY.to_vec())
                    } else {
                        (name, value)
                    }
                })
                .collect();
            view.items.push(Item::Block {
                stream_id,
                end_stream,
                priority,
                headers,
            });
        }
        bytes = &bytes[end..];
    }
}
