use super::*;

/// Skips (with the reason printed) only when the keyring syscalls are unavailable and CI is
/// unset; in CI an unavailable keyring fails the test.
fn usable(kind: KeyringType) -> bool {
    match probe(kind) {
        Ok(()) => true,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("skipping: the {kind} kernel keyring is unavailable here: {e}");
            false
        }
        Err(e) => panic!("the {kind} kernel keyring must work in CI: {e}"),
    }
}

#[test]
fn keyring_keymanager_passes_conformance_suite_for_each_type() {
    for kind in [
        KeyringType::Process,
        KeyringType::Session,
        KeyringType::User,
    ] {
        if !usable(kind) {
            continue;
        }
        let km = KeyringKeyManager::open(kind).expect("open");
        spire_plugin::conformance::run_keymanager_suite(&km);
        for key in km.keys().expect("keys") {
            if let Some((_, k)) = km
                .entries()
                .expect("list")
                .into_iter()
                .find(|(id, _)| id == key.id())
            {
                let _ = k.invalidate();
            }
        }
    }
}

#[test]
fn keys_are_found_again_by_a_second_manager_on_the_same_keyring() {
    if !usable(KeyringType::Process) {
        return;
    }
    let first = KeyringKeyManager::open(KeyringType::Process).expect("open");
    let key = first
        .generate_key("agent-svid-A", KeyType::EcP256)
        .expect("generate");
    let second = KeyringKeyManager::open(KeyringType::Process).expect("open");
    let found = second
        .key("agent-svid-A")
        .expect("lookup")
        .expect("present");
    assert_eq!(found.public_key_der(), key.public_key_der());
    assert_eq!(found.key_type(), KeyType::EcP256);
}

#[test]
fn debug_output_names_the_keyring_but_no_key_bytes() {
    if !usable(KeyringType::Process) {
        return;
    }
    let km = KeyringKeyManager::open(KeyringType::Process).expect("open");
    let key = km.generate_key("dbg", KeyType::EcP256).expect("generate");
    let shown = format!("{key:?} {km:?}");
    assert!(
        shown.contains("dbg") && shown.contains("Process"),
        "{shown}"
    );
    assert!(!shown.contains("pkcs8"), "{shown}");
}
