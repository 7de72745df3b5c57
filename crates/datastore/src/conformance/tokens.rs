use crate::error::DataStoreError;
use crate::records::JoinToken;
use crate::store::DataStore;

pub async fn join_tokens(ds: &dyn DataStore) {
    let token = JoinToken {
        token: "tok-1".into(),
        expires_at: 1000,
    };
    ds.create_join_token(&token)
        .await
        .expect("create join token");
    let dup = ds.create_join_token(&token).await;
    assert!(
        matches!(dup, Err(DataStoreError::AlreadyExists(_))),
        "duplicate token: {dup:?}"
    );
    assert_eq!(
        ds.fetch_join_token("tok-1").await.expect("fetch"),
        Some(token.clone())
    );
    assert_eq!(
        ds.fetch_join_token("nope").await.expect("fetch missing"),
        None
    );

    let empty = ds
        .create_join_token(&JoinToken {
            token: String::new(),
            expires_at: 1,
        })
        .await;
    assert!(
        matches!(empty, Err(DataStoreError::InvalidArgument(_))),
        "empty token: {empty:?}"
    );

    ds.delete_join_token("tok-1").await.expect("delete");
    let again = ds.delete_join_token("tok-1").await;
    assert!(
        matches!(again, Err(DataStoreError::NotFound(_))),
        "second delete: {again:?}"
    );

    for (t, exp) in [("old", 10), ("new", 5000)] {
        ds.create_join_token(&JoinToken {
            token: t.into(),
            expires_at: exp,
        })
        .await
        .expect("create");
    }
    assert_eq!(ds.prune_join_tokens(100).await.expect("prune"), 1);
    assert_eq!(ds.fetch_join_token("old").await.expect("fetch"), None);
    assert!(
        ds.fetch_join_token("new").await.expect("fetch").is_some(),
        "unexpired token kept"
    );
}
