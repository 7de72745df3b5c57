use std::net::Ipv4Addr;

use spire_ca::clock::FakeClock;

use super::*;

const T0: u64 = 1_700_000_000;

fn at(secs_after: f64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(T0) + Duration::from_secs_f64(secs_after)
}

fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
}

#[test]
fn attestation_bucket_admits_one_then_makes_the_next_wait_a_second() {
    let mut bucket = TokenBucket::new(ATTEST_LIMIT_PER_IP, at(0.0));
    assert_eq!(bucket.reserve(1, at(0.0), MAX_WAIT), Ok(Duration::ZERO));
    assert_eq!(
        bucket.reserve(1, at(0.0), MAX_WAIT),
        Ok(Duration::from_secs(1))
    );
    assert_eq!(
        bucket.reserve(1, at(0.0), MAX_WAIT),
        Ok(Duration::from_secs(2))
    );
    // After the two reserved seconds pass, the next call waits one more second.
    assert_eq!(
        bucket.reserve(1, at(2.0), MAX_WAIT),
        Ok(Duration::from_secs(1))
    );
    // A quiet spell refills to the burst (1), never beyond.
    assert_eq!(bucket.reserve(1, at(100.0), MAX_WAIT), Ok(Duration::ZERO));
    assert_eq!(
        bucket.reserve(1, at(100.0), MAX_WAIT),
        Ok(Duration::from_secs(1))
    );
}

#[test]
fn a_call_that_would_wait_past_the_bound_is_refused_and_reserves_nothing() {
    let mut bucket = TokenBucket::new(1, at(0.0));
    for expected in 0..=10 {
        assert_eq!(
            bucket.reserve(1, at(0.0), MAX_WAIT),
            Ok(Duration::from_secs(expected))
        );
    }
    assert_eq!(
        bucket.reserve(1, at(0.0), MAX_WAIT),
        Err(RateLimitError::WaitTooLong {
            wait: Duration::from_secs(11)
        })
    );
    // The refusal did not deepen the debt: one second later the wait is 10 s again.
    assert_eq!(
        bucket.reserve(1, at(1.0), MAX_WAIT),
        Ok(Duration::from_secs(10))
    );
}

#[test]
fn signing_bucket_takes_a_batch_and_refuses_more_than_the_burst_at_once() {
    let mut bucket = TokenBucket::new(SIGN_LIMIT_PER_IP, at(0.0));
    assert_eq!(bucket.reserve(500, at(0.0), MAX_WAIT), Ok(Duration::ZERO));
    assert_eq!(
        bucket.reserve(250, at(0.0), MAX_WAIT),
        Ok(Duration::from_millis(500))
    );
    assert_eq!(
        bucket.reserve(501, at(10.0), MAX_WAIT),
        Err(RateLimitError::ExceedsBurst {
            count: 501,
            burst: 500
        })
    );
    assert_eq!(
        RateLimitError::ExceedsBurst {
            count: 501,
            burst: 500
        }
        .to_string(),
        "rate (501) exceeds burst size (500)"
    );
}

#[test]
fn a_clock_going_backwards_neither_refills_nor_panics() {
    let mut bucket = TokenBucket::new(1, at(10.0));
    assert_eq!(bucket.reserve(1, at(10.0), MAX_WAIT), Ok(Duration::ZERO));
    assert_eq!(
        bucket.reserve(1, at(5.0), MAX_WAIT),
        Ok(Duration::from_secs(1))
    );
}

#[test]
fn addresses_have_separate_buckets() {
    let limiter = PerIpLimiter::new(1, at(0.0));
    assert_eq!(limiter.reserve(ip(1), 1, at(0.0)), Ok(Duration::ZERO));
    assert_eq!(limiter.reserve(ip(2), 1, at(0.0)), Ok(Duration::ZERO));
    assert_eq!(
        limiter.reserve(ip(1), 1, at(0.0)),
        Ok(Duration::from_secs(1))
    );
}

#[test]
fn idle_addresses_are_forgotten_after_two_gc_intervals_and_busy_ones_kept() {
    let limiter = PerIpLimiter::new(1, at(0.0));
    for last in 1..=100 {
        limiter.reserve(ip(last), 1, at(0.0)).expect("admitted");
    }
    assert_eq!(limiter.tracked(), 100);
    // First GC moves everything to the previous generation; ip(1) comes back in use.
    limiter.reserve(ip(200), 1, at(61.0)).expect("admitted");
    limiter.reserve(ip(1), 1, at(61.5)).expect("admitted");
    assert_eq!(limiter.tracked(), 101);
    // Second GC drops the ones untouched since the first.
    limiter.reserve(ip(201), 1, at(122.0)).expect("admitted");
    assert_eq!(limiter.tracked(), 3, "ip(1), ip(200) and ip(201) remain");
}

#[tokio::test(start_paused = true)]
async fn admit_waits_for_its_turn_then_refuses_with_resource_exhausted() {
    let clock = Arc::new(FakeClock::new(at(0.0)));
    let limits = RateLimits::new(true, true, clock);
    let start = tokio::time::Instant::now();
    for _ in 0..=10 {
        limits
            .admit_ip(ip(1), Budget::Attestation, 1, "attest agent")
            .await
            .expect("within the wait bound");
    }
    // The fake clock did not move, so the 11 calls reserved 0 + 1 + ... + 10 s of waits.
    assert_eq!(start.elapsed(), Duration::from_secs(55));
    let err = limits
        .admit_ip(ip(1), Budget::Attestation, 1, "attest agent")
        .await
        .expect_err("over the bound");
    assert_eq!(err.code(), tonic::Code::ResourceExhausted);
    assert!(
        err.message()
            .starts_with("rejecting request due to attest agent rate limiting"),
        "{}",
        err.message()
    );
    // Another address, and the other budgets, are untouched.
    limits
        .admit_ip(ip(2), Budget::Attestation, 1, "attest agent")
        .await
        .expect("other address");
    limits
        .admit_ip(ip(1), Budget::X509Signing, 500, "certificate signing")
        .await
        .expect("signing budget");
}

#[tokio::test]
async fn disabled_budgets_and_unix_socket_calls_are_not_limited() {
    let clock = Arc::new(FakeClock::new(at(0.0)));
    let limits = RateLimits::new(false, false, clock.clone());
    for _ in 0..100 {
        limits
            .admit_ip(ip(1), Budget::Attestation, 1, "attest agent")
            .await
            .expect("attestation limit off");
        limits
            .admit_ip(ip(1), Budget::X509Signing, 10_000, "certificate signing")
            .await
            .expect("signing limit off");
    }
    let limits = RateLimits::new(true, true, clock);
    let request = Request::new(());
    for _ in 0..100 {
        limits
            .admit(&request, Budget::Attestation, 1, "attest agent")
            .await
            .expect("no TCP peer address: not limited");
    }
}
