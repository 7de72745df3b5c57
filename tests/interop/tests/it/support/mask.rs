//! Masks what differs between any two SPIRE servers for the same commands: entry IDs and join
//! tokens (UUIDs), serial numbers, key IDs, keys and certificates (long base64 runs), Unix
//! times (long digit runs) and printed dates.

/// `text` with every volatile value replaced by a placeholder.
pub fn volatile(text: &str) -> String {
    let dated = dates(text);
    let mut out = String::with_capacity(dated.len());
    let mut run = String::new();
    for c in dated.chars() {
        if is_run_char(c) {
            run.push(c);
        } else {
            flush(&mut out, &mut run);
            out.push(c);
        }
    }
    flush(&mut out, &mut run);
    out
}

/// Base64 (both alphabets), hex, digits and UUID characters.
fn is_run_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_' | '-')
}

fn flush(out: &mut String, run: &mut String) {
    let all_digits = run.chars().all(|c| c.is_ascii_digit());
    // Field names such as `x509svid_serial_number` are long but lower-case words.
    let word = run
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if run.len() >= 20 && !word {
        out.push_str("<VALUE>");
    } else if all_digits && run.len() >= 9 {
        out.push_str("<NUMBER>");
    } else {
        out.push_str(run);
    }
    run.clear();
}

/// `2026-11-25 14:52:10 +0000 UTC` (Go's time.Time format) becomes `<TIME>`.
fn dates(text: &str) -> String {
    const SHAPE: &str = "dddd-dd-dd dd:dd:dd";
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let fits = bytes.len() - i >= SHAPE.len()
            && SHAPE.bytes().zip(&bytes[i..]).all(|(s, b)| match s {
                b'd' => b.is_ascii_digit(),
                other => other == *b,
            });
        if fits {
            out.push_str("<TIME>");
            i += SHAPE.len();
        } else {
            let ch = text[i..].chars().next().expect("i is on a char boundary");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::volatile;

    #[test]
    fn masks_ids_times_and_keys_but_keeps_words_and_small_numbers() {
        let text = "Entry ID         : dfffcb76-3c56-49b7-afc7-92630ddea6c3\n\
                    {\"created_at\":\"1795614763\",\"x509_svid_ttl\":600,\"x509svid_serial_number\":\"291605137876306251515167057969627117274\"}\n\
                    Expiration time   : 2026-11-25 14:52:10 +0000 UTC\n\
                    \"x\": \"SNfi-R8IJ8cBSoqUHmMg4FdebiTJjHUMfzlIxwia9K4\"";
        assert_eq!(
            volatile(text),
            "Entry ID         : <VALUE>\n\
             {\"created_at\":\"<NUMBER>\",\"x509_svid_ttl\":600,\"x509svid_serial_number\":\"<NUMBER>\"}\n\
             Expiration time   : <TIME> +0000 UTC\n\
             \"x\": \"<VALUE>\""
        );
    }
}
