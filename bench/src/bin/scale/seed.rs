//! Seeds a datastore through the DataStore API: `agents` attested nodes with node selectors,
//! `aliases` node-alias entries (parented to the server, matched by a group selector) with a
//! few children each, one "big" agent with `big` entries of its own, and the rest of the
//! `entries` spread evenly over the agents.

use std::sync::Arc;

use anyhow::{Context, Result};
use spire_datastore::{AttestedNode, DataStore, RegistrationEntry};
use spire_spiffe::Selector;

pub const TD: &str = "example.org";
pub const SERVER_ID: &str = "spiffe://example.org/spire/server";
/// Node-alias entries, one per agent group.
pub const GROUPS: usize = 10;
/// Children of each node alias.
pub const ALIAS_CHILDREN: usize = 5;
/// Writers in flight at once.
const WRITERS: usize = 8;

#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub entries: usize,
    pub agents: usize,
    pub big: usize,
}

pub fn agent_id(i: usize) -> String {
    format!("spiffe://{TD}/spire/agent/x509pop/agent-{i}")
}

pub fn node_selectors(i: usize) -> Vec<Selector> {
    vec![
        sel("x509pop", "ca:fingerprint:bench"),
        sel("x509pop", &format!("subject:cn:agent-{i}")),
        sel("x509pop", &format!("group:g{}", i % GROUPS)),
    ]
}

fn sel(kind: &str, value: &str) -> Selector {
    Selector::new(kind, value).expect("bench selectors are valid")
}

fn entry(parent: String, spiffe_id: String, uid: usize) -> RegistrationEntry {
    RegistrationEntry {
        parent_id: parent,
        spiffe_id,
        selectors: vec![sel("unix", &format!("uid:{uid}")), sel("unix", "gid:1000")],
        x509_svid_ttl: 3600,
        ..RegistrationEntry::default()
    }
}

/// Every entry the shape asks for, in creation order.
fn plan(shape: Shape) -> Vec<RegistrationEntry> {
    let mut all = Vec::with_capacity(shape.entries);
    for g in 0..GROUPS {
        let alias = format!("spiffe://{TD}/nodes/group-{g}");
        all.push(RegistrationEntry {
            parent_id: SERVER_ID.into(),
            spiffe_id: alias.clone(),
            selectors: vec![
                sel("x509pop", "ca:fingerprint:bench"),
                sel("x509pop", &format!("group:g{g}")),
            ],
            ..RegistrationEntry::default()
        });
        for c in 0..ALIAS_CHILDREN {
            all.push(entry(alias.clone(), format!("spiffe://{TD}/group-{g}/svc-{c}"), c));
        }
    }
    for k in 0..shape.big {
        all.push(entry(agent_id(0), format!("spiffe://{TD}/big/w-{k}"), k));
    }
    let rest = shape.entries.saturating_sub(all.len());
    for k in 0..rest {
        let agent = 1 + k % (shape.agents - 1).max(1);
        all.push(entry(agent_id(agent), format!("spiffe://{TD}/a{agent}/w-{k}"), k % 50));
    }
    all
}

/// Writes the shape; returns the number of entries written.
pub async fn seed(ds: Arc<dyn DataStore>, shape: Shape) -> Result<usize> {
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let ds = ds.clone();
        tasks.push(tokio::spawn(async move {
            for i in (w..shape.agents).step_by(WRITERS) {
                let node = AttestedNode {
                    spiffe_id: agent_id(i),
                    attestation_type: "x509pop".into(),
                    serial_number: format!("{i:x}"),
                    expires_at: 4_000_000_000,
                    ..AttestedNode::default()
                };
                ds.create_attested_node(&node).await.context("attested node")?;
                ds.set_node_selectors(&agent_id(i), &node_selectors(i))
                    .await
                    .context("node selectors")?;
            }
            anyhow::Ok(())
        }));
    }
    let entries = Arc::new(plan(shape));
    let n = entries.len();
    for w in 0..WRITERS {
        let ds = ds.clone();
        let entries = entries.clone();
        tasks.push(tokio::spawn(async move {
            for e in entries.iter().skip(w).step_by(WRITERS) {
                ds.create_registration_entry(e).await.context("entry")?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(n)
}
