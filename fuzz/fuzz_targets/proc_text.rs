//! The `/proc/<pid>/stat` and `/proc/<pid>/status` parsers the unix attestor and the agent's
//! caller binding use (`spire_workloadattestor_unix::proc_text`).
//!
//! Byte 0 picks the mode. Even: the rest is a command name a hostile process chose (the kernel
//! keeps 15 bytes, any but NUL; the target allows more) placed in a well-formed `stat` line with
//! numbers from the input; the parsed state and start time must be exactly those, whatever the
//! name holds (spaces, parentheses, newlines, digits). Odd: the rest is arbitrary text for
//! both parsers, which must not panic; an accepted `status` yields ids that appear in its text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spire_workloadattestor_unix::proc_text::{parse_stat, parse_status};

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    if control % 2 == 0 {
        hostile_command_name(rest);
    } else if let Ok(text) = std::str::from_utf8(rest) {
        let _ = parse_stat(text);
        if let Ok(status) = parse_status(text) {
            assert!(text.contains(&status.uid.to_string()));
            assert!(text.contains(&status.gid.to_string()));
        }
    }
});

fn hostile_command_name(rest: &[u8]) {
    if rest.len() < 8 {
        return;
    }
    let (numbers, name) = rest.split_at(8);
    let start_time = u64::from_le_bytes(numbers.try_into().expect("8 bytes"));
    let Ok(name) = std::str::from_utf8(name) else {
        return;
    };
    if name.contains('\0') {
        return;
    }
    let state = ['R', 'S', 'D', 'Z', 'T', 't', 'X', 'I'][usize::from(numbers[0] % 8)];
    // Fields 4..=21 as the kernel prints them (ppid, pgrp, ..., num_threads, itrealvalue).
    let middle = "1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0";
    let line = format!("4242 ({name}) {state} {middle} {start_time} 1234567 100 0 0\n");
    assert_eq!(
        parse_stat(&line),
        Some((state, start_time)),
        "command name {name:?} changed what was parsed"
    );
}
