//! The fleet server's side: a subscriber on the broker's plaintext listener. That listener is
//! bound to loopback on the broker host and is read-only by ACL; robots never use it.

use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

use crate::LinkError;

/// Subscribes to `filter` on `host:port` without TLS and calls `on_message(topic, payload)`
/// for each message, forever; re-subscribes after every reconnect.
pub async fn subscribe_plain(
    host: &str,
    port: u16,
    client_id: &str,
    filter: &str,
    mut on_message: impl FnMut(&str, &[u8]),
) -> Result<(), LinkError> {
    let mut options = MqttOptions::new(client_id, host, port);
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut eventloop) = AsyncClient::new(options, 32);
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                tracing::info!(broker = %format!("{host}:{port}"), "Connected (plain)");
                client.try_subscribe(filter, QoS::AtLeastOnce)?;
            }
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                tracing::info!(filter, return_codes = ?ack.return_codes, "Subscribed");
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                on_message(&publish.topic, &publish.payload);
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "Broker connection lost; retrying in 1s");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
