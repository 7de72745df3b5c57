//! An open FetchX509SVID stream follows the cache: a renewed SVID is pushed before the old one
//! passes half life + 10 % jitter, and a deleted entry's SVID is taken away.

use std::time::{Duration, SystemTime};

use spire_proto::workload::X509svidRequest;
use tokio_stream::StreamExt;
use tonic::Code;

use crate::support::{Env, my_uid, runtime, serial_of, spiffe_id_of, with_header, workload_client};

const WORKLOAD_ID: &str = "spiffe://example.org/rotating-workload";

/// How late past the renewal point a new SVID may arrive: the agent checks for due SVIDs on
/// its 5 s sync tick, then mints through the server.
const CHECK_SLACK: Duration = Duration::from_secs(10);

#[test]
fn open_stream_receives_a_renewed_svid_before_half_life_plus_jitter() {
    let env = Env::joined(WORKLOAD_ID, my_uid(), &["-x509SVIDTTL", "120"]);
    env.wait_for_fetched_id(WORKLOAD_ID, Duration::from_secs(40));
    runtime().block_on(async {
        let mut client = workload_client(&env.agent_socket).await;
        let mut stream = client
            .fetch_x509svid(with_header(X509svidRequest {}))
            .await
            .expect("stream opens")
            .into_inner();
        let first = stream
            .next()
            .await
            .expect("a first response")
            .expect("an X509-SVID");
        let old = &first.svids[0].x509_svid;
        let old_serial = serial_of(old);
        let (not_before, not_after) = validity(old);
        let lifetime = not_after
            .duration_since(not_before)
            .expect("not_after is after not_before");
        assert!(
            lifetime <= Duration::from_secs(140),
            "the SVID lives {lifetime:?}, not the entry's 120 s TTL (+ backdating)"
        );
        // The latest renewal point SPIRE allows: half life + 10 % of it.
        let renew_by = not_before + lifetime.mul_f64(0.55) + CHECK_SLACK;
        loop {
            let left = renew_by
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO);
            let next = tokio::time::timeout(left, stream.next())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "no renewed SVID within half life + jitter + {CHECK_SLACK:?} \
                         (old serial {old_serial}, lifetime {lifetime:?}); agent log:\n{}",
                        env.agent_log()
                    )
                })
                .expect("the stream stays open")
                .expect("updates are X509-SVIDs");
            let svid = &next.svids[0];
            assert_eq!(svid.spiffe_id, WORKLOAD_ID);
            let serial = serial_of(&svid.x509_svid);
            if serial != old_serial {
                assert_eq!(spiffe_id_of(&svid.x509_svid), WORKLOAD_ID);
                let (new_not_before, _) = validity(&svid.x509_svid);
                assert!(new_not_before > not_before, "the new SVID is newer");
                return;
            }
        }
    });
}

#[test]
fn deleting_the_entry_ends_the_open_stream_with_permission_denied() {
    let env = Env::joined(WORKLOAD_ID, my_uid(), &[]);
    env.wait_for_fetched_id(WORKLOAD_ID, Duration::from_secs(40));
    let entry_id = env
        .server_ok(&["entry", "show", "-spiffeID", WORKLOAD_ID])
        .lines()
        .find_map(|l| l.strip_prefix("Entry ID         : "))
        .expect("entry show prints the entry ID")
        .trim()
        .to_owned();
    runtime().block_on(async {
        let mut client = workload_client(&env.agent_socket).await;
        let mut stream = client
            .fetch_x509svid(with_header(X509svidRequest {}))
            .await
            .expect("stream opens")
            .into_inner();
        let first = stream
            .next()
            .await
            .expect("a first response")
            .expect("an X509-SVID");
        assert_eq!(first.svids[0].spiffe_id, WORKLOAD_ID);

        env.server_ok(&["entry", "delete", "-entryID", &entry_id]);
        // A few 5 s sync intervals.
        let status = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                match stream.next().await {
                    Some(Ok(update)) => {
                        assert!(
                            update.svids.iter().all(|s| s.spiffe_id == WORKLOAD_ID),
                            "{update:?}"
                        );
                    }
                    Some(Err(status)) => return status,
                    None => panic!("the stream ended without a status"),
                }
            }
        })
        .await
        .unwrap_or_else(|_| {
            panic!(
                "the deleted entry's SVID stayed on the stream for 30 s; agent log:\n{}",
                env.agent_log()
            )
        });
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
        assert_eq!(status.message(), "no identity issued");
        assert!(
            stream.next().await.is_none(),
            "the stream ends after the status"
        );
    });
    let out = env.agent_cli(&["api", "fetch", "x509"]);
    assert!(!out.status.success(), "a fresh fetch still got an SVID");
}

/// `(not_before, not_after)` of the first certificate in `der`.
fn validity(der: &[u8]) -> (SystemTime, SystemTime) {
    let (_, cert) = x509_parser::parse_x509_certificate(der).expect("a DER certificate");
    let at = |t: x509_parser::time::ASN1Time| {
        SystemTime::UNIX_EPOCH
            + Duration::from_secs(u64::try_from(t.timestamp()).expect("after 1970"))
    };
    (
        at(cert.validity().not_before),
        at(cert.validity().not_after),
    )
}
