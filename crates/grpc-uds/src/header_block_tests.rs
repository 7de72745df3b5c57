use loona_hpack::Decoder;

use super::*;

fn decode_fresh(block: &[u8]) -> Vec<(String, String)> {
    // The re-encoded block must decode with an empty table: it references nothing.
    Decoder::new()
        .decode(block)
        .expect("re-encoded block decodes")
        .into_iter()
        .map(|(n, v)| {
            (
                String::from_utf8(n).expect("utf8"),
                String::from_utf8(v).expect("utf8"),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn keeps_valid_authority_across_dynamic_table_and_huffman() {
    // RFC 7541 C.4.1 and C.4.2: Huffman strings, the second request indexes the authority the
    // first one added to the dynamic table.
    let mut rewriter = HeaderBlockRewriter::new();
    let first = rewriter
        .rewrite(&hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"))
        .expect("rewrites");
    let expected = [
        (":method", "GET"),
        (":scheme", "http"),
        (":path", "/"),
        (":authority", "www.example.com"),
    ];
    assert_eq!(decode_fresh(&first), pairs(&expected));

    let second = rewriter
        .rewrite(&hex("8286 84be 5886 a8eb 1064 9cbf"))
        .expect("rewrites");
    let mut expected = expected.to_vec();
    expected.push(("cache-control", "no-cache"));
    assert_eq!(decode_fresh(&second), pairs(&expected));
}

#[test]
fn output_is_only_literals_without_indexing() {
    let mut rewriter = HeaderBlockRewriter::new();
    let out = rewriter.rewrite(&hex("82 86")).expect("rewrites");
    // :method GET, :scheme http as 0x00 <len> name <len> value.
    let mut expected = Vec::new();
    encode_literal_without_indexing(b":method", b"GET", &mut expected);
    encode_literal_without_indexing(b":scheme", b"http", &mut expected);
    assert_eq!(out, expected);
    assert_eq!(&out[..3], &[0x00, 7, b':']);
}

#[test]
fn replaces_a_socket_path_authority_even_when_indexed_later() {
    let mut block = Vec::new();
    // :authority with incremental indexing (static name index 1), literal value.
    block.push(0x41);
    let path = b"%2Ftmp%2Fspire-agent%2Fpublic%2Fapi.sock";
    block.push(path.len() as u8);
    block.extend_from_slice(path);
    block.extend_from_slice(&[0x82, 0x86]);
    let mut rewriter = HeaderBlockRewriter::new();
    let out = rewriter.rewrite(&block).expect("rewrites");
    let headers = decode_fresh(&out);
    assert_eq!(headers[0], (":authority".into(), "localhost".into()));
    assert_eq!(headers.len(), 3);

    // The next request refers to the indexed (invalid) authority: still replaced.
    let out = rewriter.rewrite(&[0xbe, 0x82]).expect("rewrites");
    assert_eq!(
        decode_fresh(&out),
        pairs(&[(":authority", "localhost"), (":method", "GET")])
    );
}

#[test]
fn authority_validity_follows_the_http_uri_rules() {
    assert!(is_valid_authority(b"localhost"));
    assert!(is_valid_authority(b"localhost:8081"));
    assert!(is_valid_authority(b"127.0.0.1:80"));
    assert!(!is_valid_authority(b"/tmp/spire-agent/public/api.sock"));
    assert!(!is_valid_authority(b""));
    assert!(!is_valid_authority(b"a b"));
}

#[test]
fn other_headers_keep_name_value_and_order() {
    let mut block = Vec::new();
    encode_literal_without_indexing(b"workload.spiffe.io", b"true", &mut block);
    encode_literal_without_indexing(b"content-type", b"application/grpc", &mut block);
    block.push(0x10); // never indexed, literal name
    block.push(2);
    block.extend_from_slice(b"te");
    block.push(8);
    block.extend_from_slice(b"trailers");
    let out = HeaderBlockRewriter::new()
        .rewrite(&block)
        .expect("rewrites");
    assert_eq!(
        decode_fresh(&out),
        pairs(&[
            ("workload.spiffe.io", "true"),
            ("content-type", "application/grpc"),
            ("te", "trailers"),
        ])
    );
}

#[test]
fn refuses_malformed_blocks() {
    for bad in [
        vec![0x80],                                     // indexed field 0
        vec![0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], // index overflow
        vec![0x00, 0x05, b'a'],                         // string shorter than its length
        vec![0xbe],                                     // dynamic index that does not exist
        vec![0x3f, 0xe1, 0x1f],                         // table size update above 4096
    ] {
        assert!(
            HeaderBlockRewriter::new().rewrite(&bad).is_err(),
            "accepted {bad:02x?}"
        );
    }
}

#[test]
fn refuses_a_block_that_expands_past_the_decoded_limit() {
    let mut rewriter = HeaderBlockRewriter::new();
    let mut first = vec![0x40];
    encode_integer(4, 7, 0, &mut first);
    first.extend_from_slice(b"big1");
    encode_integer(3000, 7, 0, &mut first);
    first.extend(std::iter::repeat_n(b'x', 3000));
    rewriter.rewrite(&first).expect("one big header is fine");
    // 100 one-byte references to the 3 KB entry: 300 KB decoded.
    let bomb = vec![0xbe; 100];
    assert!(matches!(
        rewriter.rewrite(&bomb),
        Err(HeaderBlockError::TooLarge)
    ));
}

#[test]
fn integers_encode_per_rfc7541_examples() {
    let mut out = Vec::new();
    encode_integer(10, 5, 0, &mut out);
    assert_eq!(out, [10]);
    out.clear();
    encode_integer(1337, 5, 0, &mut out);
    assert_eq!(out, [31, 154, 10]);
    out.clear();
    encode_integer(42, 8, 0, &mut out);
    assert_eq!(out, [42]);
}
