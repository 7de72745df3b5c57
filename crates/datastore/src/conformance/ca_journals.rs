use crate::error::DataStoreError;
use crate::records::CaJournal;
use crate::store::DataStore;

/// A journal blob holding one X.509 CA (`Entries.x509CAs[0].not_after = 7`) and one JWT
/// key (`Entries.jwtKeys[0].not_after = 3`), hand-encoded so the check does not depend on
/// the CA's message types.
fn journal_blob(x509_not_after: u8, jwt_not_after: u8) -> Vec<u8> {
    vec![0x0a, 2, 0x38, x509_not_after, 0x12, 2, 0x18, jwt_not_after]
}

pub async fn set_fetch_list_prune(ds: &dyn DataStore) {
    assert_eq!(
        ds.fetch_latest_ca_journal().await.expect("fetch latest"),
        None,
        "an empty store has no journal"
    );
    let first = ds
        .set_ca_journal(&CaJournal {
            id: 0,
            data: journal_blob(10, 20),
            active_x509_authority_id: "aa01".into(),
            active_jwt_authority_id: "kid-1".into(),
        })
        .await
        .expect("create journal");
    assert!(first.id > 0, "created journal gets an id: {first:?}");

    let updated = ds
        .set_ca_journal(&CaJournal {
            data: journal_blob(100, 20),
            active_x509_authority_id: "aa02".into(),
            ..first.clone()
        })
        .await
        .expect("update journal");
    assert_eq!(updated.id, first.id, "update keeps the row");
    assert_eq!(
        ds.fetch_ca_journal("aa01").await.expect("fetch by old id"),
        None,
        "the row is found by its current active authority only"
    );
    assert_eq!(
        ds.fetch_ca_journal("aa02").await.expect("fetch by id"),
        Some(updated.clone())
    );

    let second = ds
        .set_ca_journal(&CaJournal {
            id: 0,
            data: journal_blob(10, 10),
            active_x509_authority_id: "bb01".into(),
            active_jwt_authority_id: String::new(),
        })
        .await
        .expect("create second journal");
    assert_eq!(
        ds.fetch_latest_ca_journal().await.expect("fetch latest"),
        Some(second.clone())
    );
    assert_eq!(
        ds.list_ca_journals().await.expect("list"),
        vec![updated.clone(), second.clone()]
    );

    let empty = ds.fetch_ca_journal("").await;
    assert!(
        matches!(empty, Err(DataStoreError::InvalidArgument(_))),
        "fetch by empty authority ID: {empty:?}"
    );
    let gone = ds
        .set_ca_journal(&CaJournal {
            id: second.id + 1000,
            ..second.clone()
        })
        .await;
    assert!(
        matches!(gone, Err(DataStoreError::NotFound(_))),
        "update of a missing row: {gone:?}"
    );

    // Only the second journal has everything expired before 50.
    assert_eq!(ds.prune_ca_journals(50).await.expect("prune"), 1);
    assert_eq!(
        ds.list_ca_journals().await.expect("list"),
        vec![updated],
        "a journal with one live CA is kept"
    );
}
