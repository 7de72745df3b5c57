//! The robot's heartbeat loop: connect with a fresh SVID, publish heartbeats at QoS 1,
//! reconnect at the SVID's half life, retry failures with backoff, on TLS only.

use std::future::Future;
use std::time::{Duration, SystemTime};

use rumqttc::{Event, Packet, QoS};

use crate::link::{self, LinkConfig, Session};
use crate::{Backoff, LinkError};

/// What to publish and how often.
#[derive(Debug, Clone)]
pub struct Heartbeats {
    pub robot_id: String,
    /// Defaults to `robots/<robot_id>/heartbeat`.
    pub topic: String,
    pub interval: Duration,
}

impl Heartbeats {
    pub fn new(robot_id: &str, interval: Duration) -> Self {
        Self {
            robot_id: robot_id.to_owned(),
            topic: format!("robots/{robot_id}/heartbeat"),
            interval,
        }
    }
}

/// Runs until `shutdown` completes. Never returns an error: every failure is logged and
/// retried after a backoff, on the same TLS endpoint.
pub async fn run(config: LinkConfig, heartbeats: Heartbeats, shutdown: impl Future<Output = ()>) {
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
    let mut seq: u64 = 0;
    tokio::pin!(shutdown);
    loop {
        let attempt = tokio::select! {
            _ = &mut shutdown => return,
            attempt = link::connect(&config) => attempt,
        };
        let mut session = match attempt {
            Ok(session) => session,
            Err(e) => {
                let delay = backoff.next_delay();
                tracing::error!(error = %e, retry_in = ?delay, "Connecting to the broker failed");
                tokio::select! {
                    _ = &mut shutdown => return,
                    _ = tokio::time::sleep(delay) => continue,
                }
            }
        };
        backoff.reset();
        let svid = session.svid().clone();
        tracing::info!(
            spiffe_id = %svid.spiffe_id,
            serial = %svid.serial,
            username = %svid.common_name.as_deref().unwrap_or("<none>"),
            expires_in = ?svid.not_after.duration_since(SystemTime::now()).unwrap_or_default(),
            renew_in = ?session.renew_in(),
            "Connected over mTLS"
        );
        let ended = tokio::select! {
            _ = &mut shutdown => {
                session.close().await;
                return;
            }
            ended = serve(&mut session, &heartbeats, &mut seq) => ended,
        };
        match ended {
            Ok(()) => {
                tracing::info!(serial = %svid.serial, "SVID half life reached: reconnecting with a fresh SVID");
                session.close().await;
            }
            Err(e) => {
                let delay = backoff.next_delay();
                tracing::error!(error = %e, retry_in = ?delay, "Session ended");
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// Publishes heartbeats until the session's renewal time (`Ok`) or a failure (`Err`).
async fn serve(
    session: &mut Session,
    heartbeats: &Heartbeats,
    seq: &mut u64,
) -> Result<(), LinkError> {
    let renew = tokio::time::sleep(session.renew_in());
    tokio::pin!(renew);
    let mut tick = tokio::time::interval(heartbeats.interval);
    loop {
        tokio::select! {
            _ = &mut renew => return Ok(()),
            _ = tick.tick() => {
                *seq += 1;
                let payload = heartbeat_payload(heartbeats, *seq, &session.svid().serial);
                session
                    .client()
                    .try_publish(&heartbeats.topic, QoS::AtLeastOnce, false, payload)?;
            }
            event = session.poll() => {
                if let Event::Incoming(Packet::PubAck(ack)) = event? {
                    tracing::debug!(pkid = ack.pkid, "PUBACK");
                }
            }
        }
    }
}

/// `{"robot":"<id>","seq":<n>,"svid_serial":"<hex>","unix_time":<s>}`. The serial lets the
/// fleet side (and the tests) see which SVID carried each heartbeat.
pub fn heartbeat_payload(heartbeats: &Heartbeats, seq: u64, serial: &str) -> String {
    let unix_time = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!(
        r#"{{"robot":"{}","seq":{seq},"svid_serial":"{serial}","unix_time":{unix_time}}}"#,
        heartbeats.robot_id
    )
}
