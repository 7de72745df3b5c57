use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

use super::*;

/// A budgeted connection and the client's end of it.
async fn open(budget: &ConnectionBudget) -> (Tracked<DuplexStream>, DuplexStream) {
    let (server, client) = tokio::io::duplex(1024);
    let slot = budget.acquire().await;
    (budget.track(server, slot), client)
}

#[tokio::test(start_paused = true)]
async fn quiet_connection_is_closed_after_the_idle_timeout() {
    let budget = ConnectionBudget::new("test", 4, Duration::from_secs(60));
    let (mut conn, _client) = open(&budget).await;
    let started = Instant::now();
    let mut buf = [0u8; 8];
    let err = conn.read(&mut buf).await.expect_err("idle timeout");
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    assert_eq!(started.elapsed(), Duration::from_secs(60));
}

#[tokio::test(start_paused = true)]
async fn traffic_pushes_the_idle_deadline_back() {
    let budget = ConnectionBudget::new("test", 4, Duration::from_secs(60));
    let (mut conn, mut client) = open(&budget).await;
    let started = Instant::now();
    let mut buf = [0u8; 8];
    tokio::time::sleep(Duration::from_secs(40)).await;
    client.write_all(b"ping").await.expect("write");
    assert_eq!(conn.read(&mut buf).await.expect("data"), 4);
    let err = conn.read(&mut buf).await.expect_err("idle timeout");
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    assert_eq!(started.elapsed(), Duration::from_secs(100));
}

#[tokio::test(start_paused = true)]
async fn full_budget_evicts_the_quietest_connection() {
    let budget = ConnectionBudget::new("test", 2, Duration::from_secs(600));
    let (mut oldest, _c1) = open(&budget).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (mut busy, mut busy_client) = open(&budget).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    // The older connection was quiet longer until now; make it the busier one instead.
    busy_client.write_all(b"x").await.expect("write");
    let mut buf = [0u8; 1];
    busy.read_exact(&mut buf).await.expect("data");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(budget.in_use(), 2);

    let reader = tokio::spawn(async move {
        let mut buf = [0u8; 1];
        oldest.read(&mut buf).await
    });
    let newcomer = tokio::spawn({
        let budget = budget.clone();
        async move { budget.acquire().await }
    });
    let err = reader.await.expect("task").expect_err("evicted");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionAborted);
    let _slot = newcomer.await.expect("a slot once the evicted one is gone");
    assert_eq!(budget.in_use(), 2);
    drop(busy);
    assert_eq!(budget.in_use(), 1);
}

#[tokio::test(start_paused = true)]
async fn full_budget_waits_when_every_connection_is_busy() {
    let budget = ConnectionBudget::new("test", 1, Duration::from_secs(600));
    let (conn, _client) = open(&budget).await;
    // Just opened: not quiet for EVICTABLE_AFTER yet, so a newcomer must wait...
    let newcomer = tokio::spawn({
        let budget = budget.clone();
        async move { budget.acquire().await }
    });
    tokio::time::sleep(EVICTABLE_AFTER / 2).await;
    assert!(!newcomer.is_finished());
    // ...until the slot is given back.
    drop(conn);
    let _slot = newcomer.await.expect("slot after the close");
}

#[tokio::test(start_paused = true)]
async fn an_eviction_that_never_closes_does_not_block_the_next() {
    let budget = ConnectionBudget::new("test", 2, Duration::from_secs(600));
    // Nobody ever reads `stuck`, so evicting it frees nothing.
    let (_stuck, _c1) = open(&budget).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (mut other, _c2) = open(&budget).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let reader = tokio::spawn(async move {
        let mut buf = [0u8; 1];
        other.read(&mut buf).await
    });
    let _slot = budget.acquire().await;
    let err = reader.await.expect("task").expect_err("evicted next");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionAborted);
}
