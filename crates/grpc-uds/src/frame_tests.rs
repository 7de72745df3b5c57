use loona_hpack::Decoder;

use super::*;
use crate::header_block::encode_literal_without_indexing;

const SETTINGS: [u8; 15] = [0, 0, 6, 0x4, 0, 0, 0, 0, 0, 0, 0x3, 0, 0, 0, 100];

fn frame(kind: u8, flags: u8, stream_id: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    FrameHeader {
        len: payload.len(),
        kind,
        flags,
        stream_id,
    }
    .write(&mut out);
    out.extend_from_slice(payload);
    out
}

fn request_block(authority: &[u8]) -> Vec<u8> {
    let mut block = vec![0x83, 0x86]; // :method POST, :scheme http
    block.push(0x44); // :path, incremental indexing
    block.push(27);
    block.extend_from_slice(b"/SpiffeWorkloadAPI/FetchX5");
    block.push(b'!');
    block.push(0x41); // :authority, incremental indexing
    block.push(authority.len() as u8);
    block.extend_from_slice(authority);
    block
}

/// Runs `input` through a fresh filter (after the preface) and splits the output into frames.
fn filter(input: &[u8]) -> Vec<(FrameHeader, Vec<u8>)> {
    let mut f = RequestHeaderFilter::new();
    let mut out = Vec::new();
    f.push(PREFACE, &mut out).expect("preface");
    assert_eq!(out, PREFACE);
    out.clear();
    f.push(input, &mut out).expect("filters");
    split_frames(&out)
}

fn split_frames(mut bytes: &[u8]) -> Vec<(FrameHeader, Vec<u8>)> {
    let mut frames = Vec::new();
    while let Some(header) = FrameHeader::parse(bytes) {
        let end = FRAME_HEADER_LEN + header.len;
        frames.push((header, bytes[FRAME_HEADER_LEN..end].to_vec()));
        bytes = &bytes[end..];
    }
    assert!(bytes.is_empty(), "trailing partial frame");
    frames
}

fn decoded(block: &[u8]) -> Vec<(String, String)> {
    Decoder::new()
        .decode(block)
        .expect("decodes with an empty table")
        .into_iter()
        .map(|(n, v)| {
            (
                String::from_utf8(n).expect("utf8"),
                String::from_utf8(v).expect("utf8"),
            )
        })
        .collect()
}

#[test]
fn passes_preface_settings_and_data_through_byte_for_byte() {
    let mut input = SETTINGS.to_vec();
    input.extend(frame(0x0, 0x1, 1, b"grpc message bytes"));
    input.extend(frame(0x8, 0, 0, &[0, 0, 0x10, 0])); // WINDOW_UPDATE
    let mut f = RequestHeaderFilter::new();
    let mut out = Vec::new();
    f.push(PREFACE, &mut out).expect("preface");
    f.push(&input, &mut out).expect("filters");
    let mut expected = PREFACE.to_vec();
    expected.extend(&input);
    assert_eq!(out, expected);
}

#[test]
fn rewrites_socket_path_authority_and_keeps_the_rest() {
    let frames = filter(&frame(
        TYPE_HEADERS,
        FLAG_END_HEADERS,
        1,
        &request_block(b"/tmp/api.sock"),
    ));
    assert_eq!(frames.len(), 1);
    let (header, payload) = &frames[0];
    assert_eq!(
        (header.kind, header.flags, header.stream_id),
        (TYPE_HEADERS, FLAG_END_HEADERS, 1)
    );
    let headers = decoded(payload);
    assert_eq!(headers[0], (":method".into(), "POST".into()));
    assert_eq!(
        headers[2],
        (":path".into(), "/SpiffeWorkloadAPI/FetchX5!".into())
    );
    assert_eq!(headers[3], (":authority".into(), "localhost".into()));
}

#[test]
fn drops_padding_and_keeps_priority_and_end_stream() {
    let block = request_block(b"localhost");
    let mut payload = vec![4]; // pad length
    payload.extend_from_slice(&[0x80, 0, 0, 3, 200]); // exclusive dep on 3, weight 200
    payload.extend_from_slice(&block);
    payload.extend_from_slice(&[0; 4]);
    let flags = FLAG_END_HEADERS | FLAG_PADDED | FLAG_PRIORITY | FLAG_END_STREAM;
    let frames = filter(&frame(TYPE_HEADERS, flags, 5, &payload));
    assert_eq!(frames.len(), 1);
    let (header, out) = &frames[0];
    assert_eq!(
        header.flags,
        FLAG_END_HEADERS | FLAG_PRIORITY | FLAG_END_STREAM
    );
    assert_eq!(&out[..5], &[0x80, 0, 0, 3, 200]);
    assert_eq!(
        decoded(&out[5..])[3],
        (":authority".into(), "localhost".into())
    );
}

#[test]
fn joins_a_block_split_over_continuation_frames() {
    let block = request_block(b"/tmp/api.sock");
    let (a, rest) = block.split_at(3);
    let (b, c) = rest.split_at(10);
    let mut input = frame(TYPE_HEADERS, 0, 3, a);
    input.extend(frame(TYPE_CONTINUATION, 0, 3, b));
    input.extend(frame(TYPE_CONTINUATION, FLAG_END_HEADERS, 3, c));
    input.extend(frame(0x0, 0x1, 3, b"body"));
    let frames = filter(&input);
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0].0.flags, FLAG_END_HEADERS);
    assert_eq!(
        decoded(&frames[0].1)[3],
        (":authority".into(), "localhost".into())
    );
    assert_eq!(frames[1].1, b"body");
}

#[test]
fn splits_an_expanded_block_into_frames_within_the_default_frame_size() {
    let mut f = RequestHeaderFilter::new();
    let mut out = Vec::new();
    f.push(PREFACE, &mut out).expect("preface");
    // First request stores a 4000-byte header in the client's dynamic table.
    let mut first = vec![0x40, 3];
    first.extend_from_slice(b"big");
    crate::header_block::encode_integer(4000, 7, 0, &mut first);
    first.extend(std::iter::repeat_n(b'v', 4000));
    f.push(&frame(TYPE_HEADERS, FLAG_END_HEADERS, 1, &first), &mut out)
        .expect("first");
    out.clear();
    // The second refers to it 10 times in 10 bytes: 40 KB once re-encoded as literals.
    let second = vec![0xbe; 10];
    f.push(
        &frame(TYPE_HEADERS, FLAG_END_HEADERS | FLAG_END_STREAM, 3, &second),
        &mut out,
    )
    .expect("second");
    let frames = split_frames(&out);
    assert!(frames.len() >= 3, "{} frames", frames.len());
    assert!(
        frames
            .iter()
            .all(|(h, _)| h.len <= MAX_OUTPUT_FRAME_PAYLOAD)
    );
    assert_eq!(frames[0].0.kind, TYPE_HEADERS);
    assert_eq!(frames[0].0.flags, FLAG_END_STREAM);
    for (h, _) in &frames[1..frames.len() - 1] {
        assert_eq!((h.kind, h.flags, h.stream_id), (TYPE_CONTINUATION, 0, 3));
    }
    let last = &frames[frames.len() - 1].0;
    assert_eq!(
        (last.kind, last.flags),
        (TYPE_CONTINUATION, FLAG_END_HEADERS)
    );
    let block: Vec<u8> = frames.iter().flat_map(|(_, p)| p.clone()).collect();
    let headers = decoded(&block);
    assert_eq!(headers.len(), 10);
    assert!(headers.iter().all(|(n, v)| n == "big" && v.len() == 4000));
}

#[test]
fn byte_at_a_time_input_gives_the_same_output() {
    let mut input = SETTINGS.to_vec();
    let block = request_block(b"/tmp/api.sock");
    let (a, b) = block.split_at(5);
    input.extend(frame(TYPE_HEADERS, 0, 1, a));
    input.extend(frame(TYPE_CONTINUATION, FLAG_END_HEADERS, 1, b));
    input.extend(frame(0x0, 0x1, 1, b"payload"));
    let whole = filter(&input);

    let mut f = RequestHeaderFilter::new();
    let mut out = Vec::new();
    for byte in PREFACE.iter().chain(&input) {
        f.push(&[*byte], &mut out).expect("filters");
    }
    assert_eq!(&out[..PREFACE.len()], PREFACE);
    assert_eq!(split_frames(&out[PREFACE.len()..]), whole);
}

#[test]
fn keeps_the_dynamic_table_across_requests() {
    let mut input = frame(
        TYPE_HEADERS,
        FLAG_END_HEADERS,
        1,
        &request_block(b"/tmp/api.sock"),
    );
    // Second request: indexed :authority (62) and :path (63) from the first.
    input.extend(frame(
        TYPE_HEADERS,
        FLAG_END_HEADERS,
        3,
        &[0x83, 0x86, 0xbf, 0xbe],
    ));
    let frames = filter(&input);
    let second = decoded(&frames[1].1);
    assert_eq!(
        second[2],
        (":path".into(), "/SpiffeWorkloadAPI/FetchX5!".into())
    );
    assert_eq!(second[3], (":authority".into(), "localhost".into()));
}

#[test]
fn protocol_violations_are_errors() {
    let block = request_block(b"localhost");
    let mut bad_padding = vec![200];
    bad_padding.extend_from_slice(&block);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "padding longer than payload",
            frame(
                TYPE_HEADERS,
                FLAG_END_HEADERS | FLAG_PADDED,
                1,
                &bad_padding,
            ),
        ),
        (
            "padded with empty payload",
            frame(TYPE_HEADERS, FLAG_END_HEADERS | FLAG_PADDED, 1, &[]),
        ),
        (
            "short priority",
            frame(TYPE_HEADERS, FLAG_END_HEADERS | FLAG_PRIORITY, 1, &[0, 0]),
        ),
        (
            "stray continuation",
            frame(TYPE_CONTINUATION, FLAG_END_HEADERS, 1, &block),
        ),
        (
            "bad hpack",
            frame(TYPE_HEADERS, FLAG_END_HEADERS, 1, &[0x80]),
        ),
        ("interrupted by data", {
            let mut v = frame(TYPE_HEADERS, 0, 1, &block);
            v.extend(frame(0x0, 0, 1, b"x"));
            v
        }),
        ("continuation on another stream", {
            let mut v = frame(TYPE_HEADERS, 0, 1, &block);
            v.extend(frame(TYPE_CONTINUATION, FLAG_END_HEADERS, 3, &[]));
            v
        }),
        ("oversized header frame", {
            let mut v = Vec::new();
            FrameHeader {
                len: MAX_HEADER_BLOCK + 1,
                kind: TYPE_HEADERS,
                flags: 0,
                stream_id: 1,
            }
            .write(&mut v);
            v
        }),
    ];
    for (what, input) in cases {
        let mut f = RequestHeaderFilter::new();
        let mut out = Vec::new();
        f.push(PREFACE, &mut out).expect("preface");
        assert!(f.push(&input, &mut out).is_err(), "{what} accepted");
    }
    let mut out = Vec::new();
    assert!(matches!(
        RequestHeaderFilter::new().push(b"GET / HTTP/1.1\r\n", &mut out),
        Err(FrameFilterError::BadPreface)
    ));
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A deterministic xorshift stream of frames with random headers and payloads.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..2000 {
        let mut f = RequestHeaderFilter::new();
        let mut out = Vec::new();
        f.push(PREFACE, &mut out).expect("preface");
        let mut input = Vec::new();
        for _ in 0..(next() % 4) {
            let len = (next() % 40) as usize;
            let payload: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let kind = [TYPE_HEADERS, TYPE_CONTINUATION, 0x0, 0x4][(next() % 4) as usize];
            input.extend(frame(kind, next() as u8, (next() % 4) as u32, &payload));
        }
        let _ = f.push(&input, &mut out);
    }
}

#[test]
fn literal_encoding_of_a_long_value_uses_multibyte_lengths() {
    let mut out = Vec::new();
    encode_literal_without_indexing(b"k", &[b'v'; 300], &mut out);
    assert_eq!(&out[..3], &[0x00, 1, b'k']);
    assert_eq!(&out[3..5], &[0x7f, 0xad]); // 300 = 127 + 173
    assert_eq!(out[5], 0x01);
}
