//! `agent list|show|ban|evict|count`.

use spire_proto::spire::api::server::agent::v1 as api;
use spire_proto::spire::api::types::SelectorMatch;

use super::entry_input::match_behavior;
use super::{Console, OUTPUT_FLAG, emit, output_format};
use crate::client::AdminClient;
use crate::convert::{selector, spiffe_id};
use crate::error::CliError;
use crate::flags::{FlagSpec, ParsedFlags};
use crate::pretty::agent::{agent_count, agent_list, agent_show};

const PAGE_SIZE: i32 = 1000;
const EXPIRES_FORMAT: &str = "2006-01-02 15:04:05 -0700 -07";

pub const ID_FLAGS: &[FlagSpec] = &[
    FlagSpec::string(
        "spiffeID",
        "",
        "The SPIFFE ID of the agent (agent identity)",
    ),
    OUTPUT_FLAG,
];

pub const LIST_FLAGS: &[FlagSpec] = &[
    FlagSpec::repeated(
        "selector",
        "A colon-delimited type:value selector. Can be used more than once",
    ),
    FlagSpec::string(
        "attestationType",
        "",
        "Filter by attestation type, like join_token or x509pop.",
    ),
    FlagSpec::string(
        "canReattest",
        "",
        "Filter based on string received, 'true': agents that can reattest, 'false': agents that can't reattest, other value will return all.",
    ),
    FlagSpec::string(
        "banned",
        "",
        "Filter based on string received, 'true': banned agents, 'false': not banned agents, other value will return all.",
    ),
    FlagSpec::string(
        "expiresBefore",
        "",
        "Filter by expiration time (format: \"2006-01-02 15:04:05 -0700 -07\")",
    ),
    FlagSpec::string(
        "matchSelectorsOn",
        "superset",
        "The match mode used when filtering by selectors. Options: exact, any, superset and subset",
    ),
    OUTPUT_FLAG,
];

pub async fn list(f: &ParsedFlags, client: &AdminClient, c: &mut Console) -> Result<(), CliError> {
    let format = output_format(f)?;
    let filter = list_filter(f)?;
    let mut resp = api::ListAgentsResponse::default();
    let mut page_token = String::new();
    loop {
        let page = client
            .agent()
            .list_agents(api::ListAgentsRequest {
                filter: Some(filter.clone()),
                output_mask: None,
                page_size: PAGE_SIZE,
                page_token,
            })
            .await?
            .into_inner();
        resp.agents.extend(page.agents);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    emit(c, format, &resp, |c| {
        c.out.push_str(&agent_list(&resp.agents));
        Ok(())
    })
}

pub async fn count(f: &ParsedFlags, client: &AdminClient, c: &mut Console) -> Result<(), CliError> {
    let format = output_format(f)?;
    let l = list_filter(f)?;
    let filter = api::count_agents_request::Filter {
        by_attestation_type: l.by_attestation_type,
        by_selector_match: l.by_selector_match,
        by_banned: l.by_banned,
        by_can_reattest: l.by_can_reattest,
        by_expires_before: l.by_expires_before,
    };
    let resp = client
        .agent()
        .count_agents(api::CountAgentsRequest {
            filter: Some(filter),
        })
        .await?
        .into_inner();
    emit(c, format, &resp, |c| {
        c.out.push_str(&agent_count(resp.count));
        Ok(())
    })
}

pub async fn show(f: &ParsedFlags, client: &AdminClient, c: &mut Console) -> Result<(), CliError> {
    let format = output_format(f)?;
    let id = required_id(f)?;
    let agent = client
        .agent()
        .get_agent(api::GetAgentRequest {
            id: Some(id),
            output_mask: None,
        })
        .await?
        .into_inner();
    emit(c, format, &agent, |c| {
        c.out.push_str(&agent_show(&agent));
        Ok(())
    })
}

pub async fn ban(f: &ParsedFlags, client: &AdminClient, c: &mut Console) -> Result<(), CliError> {
    let format = output_format(f)?;
    let id = required_id(f)?;
    client
        .agent()
        .ban_agent(api::BanAgentRequest { id: Some(id) })
        .await?;
    emit(c, format, &EmptyJson, |c| {
        c.out.push_str("Agent banned successfully\n");
        Ok(())
    })
}

pub async fn evict(f: &ParsedFlags, client: &AdminClient, c: &mut Console) -> Result<(), CliError> {
    let format = output_format(f)?;
    let id = required_id(f)?;
    client
        .agent()
        .delete_agent(api::DeleteAgentRequest { id: Some(id) })
        .await?;
    emit(c, format, &EmptyJson, |c| {
        c.out.push_str("Agent evicted successfully\n");
        Ok(())
    })
}

/// `google.protobuf.Empty` prints as `{}`.
struct EmptyJson;

impl serde::Serialize for EmptyJson {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&serde_json::Map::new(), s)
    }
}

fn required_id(f: &ParsedFlags) -> Result<spire_proto::spire::api::types::Spiffeid, CliError> {
    match f.string("spiffeID").as_str() {
        "" => Err(CliError::invalid("a SPIFFE ID is required")),
        text => spiffe_id(text),
    }
}

/// SPIRE's `BoolFlag`: "true"/"false" filter, anything else means all.
fn tri_state(value: &str) -> Option<bool> {
    match value {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

fn list_filter(f: &ParsedFlags) -> Result<api::list_agents_request::Filter, CliError> {
    let selectors = f.list("selector");
    let by_selector_match = if selectors.is_empty() {
        None
    } else {
        let behavior = match_behavior(&f.string("matchSelectorsOn"))
            .map_err(|_| CliError::invalid("unsupported match behavior"))?;
        let parsed = selectors
            .iter()
            .map(|s| selector(s).map_err(|e| e.context(&format!("error parsing selector {s:?}"))))
            .collect::<Result<_, _>>()?;
        Some(SelectorMatch {
            selectors: parsed,
            r#match: behavior,
        })
    };
    let expires_before = f.string("expiresBefore");
    if !expires_before.is_empty() {
        check_expires_before(&expires_before)?;
    }
    Ok(api::list_agents_request::Filter {
        by_attestation_type: f.string("attestationType"),
        by_selector_match,
        by_banned: tri_state(&f.string("banned")),
        by_can_reattest: tri_state(&f.string("canReattest")),
        by_expires_before: expires_before,
    })
}

/// Checks the Go layout `2006-01-02 15:04:05 -0700 -07`.
fn check_expires_before(value: &str) -> Result<(), CliError> {
    let format = ::time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute] [offset_hour sign:mandatory]"
    );
    ::time::OffsetDateTime::parse(value, &format)
        .map(|_| ())
        .map_err(|_| {
            CliError::invalid(format!(
                "date is not valid: parsing time {value:?} as {EXPIRES_FORMAT:?}: cannot parse"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_before_accepts_spire_layout_only() {
        assert!(check_expires_before("2024-01-02 15:04:05 +0000 +00").is_ok());
        assert!(check_expires_before("2024-01-02").is_err());
    }

    #[test]
    fn bool_filters_are_tri_state() {
        assert_eq!(tri_state("true"), Some(true));
        assert_eq!(tri_state("false"), Some(false));
        assert_eq!(tri_state("all"), None);
    }
}
