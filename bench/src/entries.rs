//! Registration entries created through the server's admin API (BatchCreateEntry over the
//! admin socket), the way `spire-server entry create -data` does, in batches.

use std::time::Instant;

use anyhow::{Result, bail};
use spire_proto::spire::api::server::entry::v1::BatchCreateEntryRequest;
use spire_proto::spire::api::server::entry::v1::entry_client::EntryClient;
use spire_proto::spire::api::types::{Entry, Selector, Spiffeid};
use tonic::transport::Channel;

/// `spiffe://example.org/PATH`.
pub fn id(path: &str) -> Spiffeid {
    Spiffeid { trust_domain: "example.org".into(), path: path.into() }
}

/// An entry for `spiffe_path` under `parent_path` with one `unix:uid:UID` selector.
pub fn entry(spiffe_path: &str, parent_path: &str, uid: u32) -> Entry {
    Entry {
        spiffe_id: Some(id(spiffe_path)),
        parent_id: Some(id(parent_path)),
        selectors: vec![Selector { r#type: "unix".into(), value: format!("uid:{uid}") }],
        ..Default::default()
    }
}

/// Creates `entries` in batches of `batch`; returns their IDs and the entries/s achieved.
pub async fn create(channel: &Channel, entries: Vec<Entry>, batch: usize) -> Result<(Vec<String>, f64)> {
    let mut client = EntryClient::new(channel.clone()).max_decoding_message_size(64 << 20);
    let total = entries.len();
    let start = Instant::now();
    let mut ids = Vec::with_capacity(total);
    for chunk in entries.chunks(batch) {
        let resp = client
            .batch_create_entry(BatchCreateEntryRequest { entries: chunk.to_vec(), output_mask: None })
            .await?
            .into_inner();
        for r in resp.results {
            let code = r.status.as_ref().map_or(0, |s| s.code);
            if code != 0 {
                bail!("entry create failed: {:?}", r.status);
            }
            ids.push(r.entry.map(|e| e.id).unwrap_or_default());
        }
    }
    let rate = total as f64 / start.elapsed().as_secs_f64();
    Ok((ids, rate))
}
