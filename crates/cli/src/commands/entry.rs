//! `entry create|update|delete|show|count`.

use spire_proto::spire::api::server::entry::v1 as api;
use spire_proto::spire::api::types::{Entry, Status};

pub use super::entry_flags::{COUNT_FLAGS, CREATE_FLAGS, DELETE_FLAGS, SHOW_FLAGS, UPDATE_FLAGS};
use super::entry_input::{
    create_entry, entries_from_json, federates_with_filter, selector_filter, update_entry,
};
use super::{Console, emit, output_format};
use crate::client::AdminClient;
use crate::convert::spiffe_id;
use crate::error::{CliError, status_code_name};
use crate::flags::ParsedFlags;
use crate::pretty::entry::{entry_block, entry_count, entry_list, sort_entries};

const PAGE_SIZE: i32 = 500;

pub async fn create(
    f: &ParsedFlags,
    client: &AdminClient,
    c: &mut Console,
) -> Result<(), CliError> {
    let format = output_format(f)?;
    let entries = match f.string("data").as_str() {
        "" => vec![create_entry(f)?],
        path => entries_from_json(&read_input(path)?)?,
    };
    let mut resp = client
        .entry()
        .batch_create_entry(api::BatchCreateEntryRequest {
            entries: entries.clone(),
            output_mask: None,
        })
        .await?
        .into_inner();
    // The API leaves failed entries out of the results; SPIRE shows the request's.
    for (r, e) in resp.results.iter_mut().zip(entries) {
        fill_failed(r.status.as_ref(), &mut r.entry, e);
    }
    let results: Vec<_> = resp
        .results
        .iter()
        .map(|r| batch_outcome(r.status.as_ref(), r.entry.as_ref()))
        .collect();
    emit(c, format, &resp, |c| print_batch(c, &results, "create"))
}

pub async fn update(
    f: &ParsedFlags,
    client: &AdminClient,
    c: &mut Console,
) -> Result<(), CliError> {
    let format = output_format(f)?;
    let entries = match f.string("data").as_str() {
        "" => vec![update_entry(f)?],
        path => entries_from_json(&read_input(path)?)?,
    };
    let mut resp = client
        .entry()
        .batch_update_entry(api::BatchUpdateEntryRequest {
            entries: entries.clone(),
            input_mask: None,
            output_mask: None,
        })
        .await?
        .into_inner();
    for (r, e) in resp.results.iter_mut().zip(entries) {
        fill_failed(r.status.as_ref(), &mut r.entry, e);
    }
    let results: Vec<_> = resp
        .results
        .iter()
        .map(|r| batch_outcome(r.status.as_ref(), r.entry.as_ref()))
        .collect();
    emit(c, format, &resp, |c| print_batch(c, &results, "update"))
}

/// A failed batch item carries no entry; show the one that was sent instead.
fn fill_failed(status: Option<&Status>, slot: &mut Option<Entry>, sent: Entry) {
    if status.is_some_and(|s| s.code != 0) {
        *slot = Some(sent);
    }
}

/// (status code, status message, entry) of one batch result, as the printer wants them.
fn batch_outcome(status: Option<&Status>, entry: Option<&Entry>) -> (i32, String, Entry) {
    (
        status.map_or(0, |s| s.code),
        status.map(|s| s.message.clone()).unwrap_or_default(),
        entry.cloned().unwrap_or_default(),
    )
}

pub async fn delete(
    f: &ParsedFlags,
    client: &AdminClient,
    c: &mut Console,
) -> Result<(), CliError> {
    let format = output_format(f)?;
    let ids = match f.string("file").as_str() {
        "" => match f.string("entryID").as_str() {
            "" => return Err(CliError::invalid("an entry ID is required")),
            id => vec![id.to_owned()],
        },
        path => delete_ids_from_json(&read_input(path)?)?,
    };
    let resp = client
        .entry()
        .batch_delete_entry(api::BatchDeleteEntryRequest { ids })
        .await?
        .into_inner();
    emit(c, format, &resp, |c| {
        let (ok, failed): (Vec<_>, Vec<_>) = resp
            .results
            .iter()
            .partition(|r| r.status.as_ref().is_none_or(|s| s.code == 0));
        for r in &ok {
            c.out
                .push_str(&format!("Deleted entry with ID: {}\n", r.id));
        }
        if !ok.is_empty() {
            c.out.push_str("\n\n");
        }
        for r in &failed {
            let (code, msg) = r
                .status
                .as_ref()
                .map_or((0, String::new()), |s| (s.code, s.message.clone()));
            c.err.push_str(&format!(
                "Failed to delete entry with ID {} (code: {}, msg: {msg:?})\n",
                r.id,
                status_code_name(code)
            ));
        }
        if !failed.is_empty() {
            c.out.push_str("\n\n");
            if ok.is_empty() {
                c.out
                    .push_str(&format!("Failed to delete {} entries", failed.len()));
            } else {
                c.out.push_str(&format!(
                    "Deleted {} entries successfully, but failed to delete {} entries",
                    ok.len(),
                    failed.len()
                ));
            }
            return Err(CliError::invalid("failed to delete one or more entries"));
        }
        c.out
            .push_str(&format!("Deleted {} entries successfully", ok.len()));
        Ok(())
    })
}

pub async fn show(f: &ParsedFlags, client: &AdminClient, c: &mut Console) -> Result<(), CliError> {
    let format = output_format(f)?;
    let entry_id = f.string("entryID");
    if !entry_id.is_empty()
        && (!f.string("parentID").is_empty()
            || !f.string("spiffeID").is_empty()
            || !f.list("selector").is_empty())
    {
        return Err(CliError::invalid(
            "the -entryID flag can't be combined with others",
        ));
    }
    let mut resp = api::ListEntriesResponse::default();
    if !entry_id.is_empty() {
        let entry = client
            .entry()
            .get_entry(api::GetEntryRequest {
                id: entry_id.clone(),
                output_mask: None,
            })
            .await
            .map_err(|e| CliError::from(e).context(&format!("error fetching entry ID {entry_id}")))?
            .into_inner();
        resp.entries.push(entry);
    } else {
        let filter = list_filter(f)?;
        let mut page_token = String::new();
        loop {
            let page = client
                .entry()
                .list_entries(api::ListEntriesRequest {
                    filter: Some(filter.clone()),
                    output_mask: None,
                    page_size: PAGE_SIZE,
                    page_token,
                })
                .await
                .map_err(|e| CliError::from(e).context("error fetching entries"))?
                .into_inner();
            resp.entries.extend(page.entries);
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
    }
    sort_entries(&mut resp.entries);
    emit(c, format, &resp, |c| {
        c.out.push_str(&entry_list(&resp.entries));
        Ok(())
    })
}

pub async fn count(f: &ParsedFlags, client: &AdminClient, c: &mut Console) -> Result<(), CliError> {
    let format = output_format(f)?;
    let l = list_filter(f)?;
    let filter = api::count_entries_request::Filter {
        by_spiffe_id: l.by_spiffe_id,
        by_parent_id: l.by_parent_id,
        by_selectors: l.by_selectors,
        by_federates_with: l.by_federates_with,
        by_hint: l.by_hint,
        by_downstream: l.by_downstream,
    };
    let resp = client
        .entry()
        .count_entries(api::CountEntriesRequest {
            filter: Some(filter),
        })
        .await?
        .into_inner();
    emit(c, format, &resp, |c| {
        c.out.push_str(&entry_count(resp.count));
        Ok(())
    })
}

/// Reads a `-data`/`-file` argument: a path, or `-` for stdin.
pub fn read_input(path: &str) -> Result<String, CliError> {
    if path == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|source| {
            CliError::Io {
                context: "reading stdin".into(),
                source,
            }
        })?;
        return Ok(text);
    }
    std::fs::read_to_string(path).map_err(|source| CliError::Io {
        context: format!("open {path}"),
        source,
    })
}

fn list_filter(f: &ParsedFlags) -> Result<api::list_entries_request::Filter, CliError> {
    let id = |flag: &str, what: &str| -> Result<_, CliError> {
        match f.string(flag).as_str() {
            "" => Ok(None),
            text => spiffe_id(text)
                .map(Some)
                .map_err(|e| e.context(&format!("error parsing {what} {text:?}"))),
        }
    };
    Ok(api::list_entries_request::Filter {
        by_parent_id: id("parentID", "parent ID")?,
        by_spiffe_id: id("spiffeID", "SPIFFE ID")?,
        by_selectors: selector_filter(f)?,
        by_federates_with: federates_with_filter(f)?,
        by_hint: Some(f.string("hint")).filter(|h| !h.is_empty()),
        by_downstream: Some(f.bool("downstream")),
    })
}

fn delete_ids_from_json(text: &str) -> Result<Vec<String>, CliError> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| CliError::invalid(e.to_string()))?;
    let ids = doc
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("ids")))
        .map(|(_, v)| v);
    match ids {
        None | Some(serde_json::Value::Null) => Ok(Vec::new()),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| CliError::invalid("json: \"ids\" must hold strings"))
            })
            .collect(),
        Some(_) => Err(CliError::invalid("json: \"ids\" must be an array")),
    }
}

/// SPIRE's `prettyPrintCreate` / `prettyPrintUpdate`.
fn print_batch(
    c: &mut Console,
    results: &[(i32, String, Entry)],
    verb: &str,
) -> Result<(), CliError> {
    for (_, _, e) in results.iter().filter(|r| r.0 == 0) {
        c.out.push_str(&entry_block(e));
    }
    let mut failed = false;
    for (code, msg, e) in results.iter().filter(|r| r.0 != 0) {
        failed = true;
        c.err.push_str(&format!(
            "Failed to {verb} the following entry (code: {}, msg: {msg:?}):\n",
            status_code_name(*code)
        ));
        c.err.push_str(&entry_block(e));
    }
    if failed {
        return Err(CliError::invalid(format!(
            "failed to {verb} one or more entries"
        )));
    }
    Ok(())
}
