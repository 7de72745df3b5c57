//! `SvidResolver`: the server SVID it serves is replaced whole, and its key never prints.

use rcgen::KeyPair;
use spire_tls::{SvidResolver, SvidResolverError};

use crate::pki::{Ca, Leaf, SERVER_ID};

#[test]
fn debug_of_the_resolver_never_shows_the_private_key() {
    let ca = Ca::root("example.org");
    let key = KeyPair::generate().expect("P-256 key");
    let pkcs8 = key.serialize_der();
    let leaf = ca.sign(Leaf::svid(SERVER_ID));
    let resolver = SvidResolver::new();
    resolver
        .set(vec![leaf.to_vec()], pkcs8.clone().into())
        .expect("a P-256 PKCS#8 key installs");
    assert!(resolver.current().is_some());
    let listed = format!("{pkcs8:?}");
    let shown = format!("{resolver:?}");
    assert!(!shown.contains(&listed[1..listed.len() - 1]), "{shown}");
}

#[test]
fn refuses_an_empty_chain_and_a_key_it_cannot_use() {
    let resolver = SvidResolver::new();
    assert!(matches!(
        resolver.set(Vec::new(), vec![1].into()),
        Err(SvidResolverError::EmptyChain)
    ));
    assert!(matches!(
        resolver.set(vec![vec![0x30]], vec![0x30, 0x00].into()),
        Err(SvidResolverError::Key(_))
    ));
    assert!(resolver.current().is_none());
}
