//! kill -9 while keys are being written: every reopen must find a whole, usable key file.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;
use std::thread;
use std::time::Duration;

use spire_keymanager::DiskKeyManager;
use spire_plugin::conformance::signature_verifies;
use spire_plugin::{KeyManager, KeyType};

use crate::child_command;

const ROUNDS: u64 = 20;
const IDS: u64 = 5;
const TYPES: [KeyType; 4] = [
    KeyType::EcP256,
    KeyType::EcP384,
    KeyType::EcP256,
    KeyType::Rsa2048,
];

#[test]
fn sigkill_during_writes_never_leaves_a_torn_key_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    for round in 0..ROUNDS {
        let mut child = child_command("generate-forever", dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("child starts");
        let stdout = child.stdout.take().expect("stdout was piped");
        let writes_before_kill = 1 + round % 4;
        let mut reported = Vec::new();
        // The reader stays open until after the kill: closing the pipe early would make the
        // child die of EPIPE right after a complete write instead of being killed mid-write.
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let line = line.expect("child output is text");
            if let Some(id) = line.strip_prefix("generated ") {
                reported.push(id.to_owned());
                if reported.len() as u64 >= writes_before_kill {
                    break;
                }
            }
        }
        // Vary where in the next write the kill lands.
        thread::sleep(Duration::from_millis(round * 7 % 23));
        child.kill().expect("SIGKILL delivered");
        let status = child.wait().expect("child reaped");
        drop(lines);
        assert_eq!(
            status.signal(),
            Some(9),
            "round {round}: child must die of SIGKILL, not exit on its own ({status})"
        );

        let km = DiskKeyManager::open_directory(dir.path())
            .unwrap_or_else(|e| panic!("round {round}: reopen after SIGKILL failed: {e}"));
        for id in &reported {
            assert!(
                km.key(id).expect("lookup").is_some(),
                "round {round}: key {id:?} the child reported as written is missing"
            );
        }
        for key in km.keys().expect("list") {
            let signature = key.sign(b"survived").expect("signs");
            assert!(
                signature_verifies(key.as_ref(), b"survived", &signature),
                "round {round}: key {:?} does not verify",
                key.id()
            );
        }
    }
}

/// Child side: generate keys into `dir` until killed, reporting each durable write.
pub fn child_generate_forever(dir: &Path) {
    let km = DiskKeyManager::open_directory(dir).expect("child opens store");
    let mut out = std::io::stdout();
    for n in 0u64.. {
        let id = format!("key-{}", n % IDS);
        let key_type = TYPES[(n % TYPES.len() as u64) as usize];
        km.generate_key(&id, key_type).expect("child generates");
        writeln!(out, "generated {id}").expect("parent reads stdout");
        out.flush().expect("parent reads stdout");
    }
}
