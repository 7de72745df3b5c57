//! Flag tables of the `entry` commands (names, defaults and usage as SPIRE's).

use super::OUTPUT_FLAG;
use crate::flags::FlagSpec;

const SELECTOR: FlagSpec = FlagSpec::repeated(
    "selector",
    "A colon-delimited type:value selector. Can be used more than once",
);
const MATCH_SELECTORS: FlagSpec = FlagSpec::string(
    "matchSelectorsOn",
    "superset",
    "The match mode used when filtering by selectors. Options: exact, any, superset and subset",
);
const MATCH_FEDERATES: FlagSpec = FlagSpec::string(
    "matchFederatesWithOn",
    "superset",
    "The match mode used when filtering by federates with. Options: exact, any, superset and subset",
);
const DOWNSTREAM: FlagSpec = FlagSpec::bool(
    "downstream",
    "A boolean value that, when set, indicates that the entry describes a downstream SPIRE server",
);

pub const CREATE_FLAGS: &[FlagSpec] = &[
    FlagSpec::string(
        "entryID",
        "",
        "A custom ID for this registration entry (optional). If not set, a new entry ID will be generated",
    ),
    FlagSpec::string("parentID", "", "The SPIFFE ID of this record's parent"),
    FlagSpec::string("spiffeID", "", "The SPIFFE ID that this record represents"),
    FlagSpec::int(
        "x509SVIDTTL",
        0,
        "The lifetime, in seconds, for x509-SVIDs issued based on this registration entry.",
    ),
    FlagSpec::int(
        "jwtSVIDTTL",
        0,
        "The lifetime, in seconds, for JWT-SVIDs issued based on this registration entry.",
    ),
    FlagSpec::string(
        "data",
        "",
        "Path to a file containing registration JSON (optional). If set to '-', read the JSON from stdin.",
    ),
    SELECTOR,
    FlagSpec::repeated(
        "federatesWith",
        "SPIFFE ID of a trust domain to federate with. Can be used more than once",
    ),
    FlagSpec::bool(
        "node",
        "If set, this entry will be applied to matching nodes rather than workloads",
    ),
    FlagSpec::bool(
        "admin",
        "If set, the SPIFFE ID in this entry will be granted access to the SPIRE Server's management APIs",
    ),
    FlagSpec::bool(
        "storeSVID",
        "A boolean value that, when set, indicates that the resulting issued SVID from this entry must be stored through an SVIDStore plugin",
    ),
    DOWNSTREAM,
    FlagSpec::int(
        "entryExpiry",
        0,
        "An expiry, from epoch in seconds, for the resulting registration entry to be pruned",
    ),
    FlagSpec::repeated(
        "dns",
        "A DNS name that will be included in SVIDs issued based on this entry, where appropriate. Can be used more than once",
    ),
    FlagSpec::string(
        "hint",
        "",
        "The entry hint, used to disambiguate entries with the same SPIFFE ID",
    ),
    FlagSpec::bool(
        "disableX509SVIDPrefetch",
        "A boolean value that, when set, disables prefetching X509 SVID for this entry",
    ),
    FlagSpec::bool(
        "jwtSVIDIncludeJTI",
        "A boolean value that, when set, includes a unique 'jti' claim in JWT-SVIDs issued for this entry and bypasses the agent JWT-SVID cache",
    ),
    OUTPUT_FLAG,
];

pub const UPDATE_FLAGS: &[FlagSpec] = &[
    FlagSpec::string(
        "entryID",
        "",
        "The Registration Entry ID of the record to update",
    ),
    FlagSpec::string("parentID", "", "The SPIFFE ID of this record's parent"),
    FlagSpec::string("spiffeID", "", "The SPIFFE ID that this record represents"),
    FlagSpec::int(
        "x509SVIDTTL",
        0,
        "The lifetime, in seconds, for x509-SVIDs issued based on this registration entry.",
    ),
    FlagSpec::int(
        "jwtSVIDTTL",
        0,
        "The lifetime, in seconds, for JWT-SVIDs issued based on this registration entry.",
    ),
    FlagSpec::string(
        "data",
        "",
        "Path to a file containing registration JSON (optional). If set to '-', read the JSON from stdin.",
    ),
    SELECTOR,
    FlagSpec::repeated(
        "federatesWith",
        "SPIFFE ID of a trust domain to federate with. Can be used more than once",
    ),
    FlagSpec::bool(
        "admin",
        "If set, the SPIFFE ID in this entry will be granted access to the SPIRE Server's management APIs",
    ),
    FlagSpec::bool(
        "storeSVID",
        "A boolean value that, when set, indicates that the resulting issued SVID from this entry must be stored through an SVIDStore plugin",
    ),
    DOWNSTREAM,
    FlagSpec::int(
        "entryExpiry",
        0,
        "An expiry, from epoch in seconds, for the resulting registration entry to be pruned",
    ),
    FlagSpec::repeated(
        "dns",
        "A DNS name that will be included in SVIDs issued based on this entry, where appropriate. Can be used more than once",
    ),
    FlagSpec::string(
        "hint",
        "",
        "The entry hint, used to disambiguate entries with the same SPIFFE ID",
    ),
    FlagSpec::bool(
        "disableX509SVIDPrefetch",
        "A boolean value that, when set, disables prefetching X509 SVID for this entry",
    ),
    FlagSpec::bool(
        "jwtSVIDIncludeJTI",
        "A boolean value that, when set, includes a unique 'jti' claim in JWT-SVIDs issued for this entry and bypasses the agent JWT-SVID cache",
    ),
    OUTPUT_FLAG,
];

pub const SHOW_FLAGS: &[FlagSpec] = &[
    FlagSpec::string("entryID", "", "The Entry ID of the records to show"),
    FlagSpec::string("parentID", "", "The Parent ID of the records to show"),
    FlagSpec::string("spiffeID", "", "The SPIFFE ID of the records to show"),
    DOWNSTREAM,
    SELECTOR,
    FlagSpec::repeated(
        "federatesWith",
        "SPIFFE ID of a trust domain an entry is federate with. Can be used more than once",
    ),
    MATCH_FEDERATES,
    MATCH_SELECTORS,
    FlagSpec::string("hint", "", "The Hint of the records to show (optional)"),
    OUTPUT_FLAG,
];

pub const COUNT_FLAGS: &[FlagSpec] = &[
    FlagSpec::string("parentID", "", "The Parent ID of the records to count"),
    FlagSpec::string("spiffeID", "", "The SPIFFE ID of the records to count"),
    DOWNSTREAM,
    SELECTOR,
    FlagSpec::repeated(
        "federatesWith",
        "SPIFFE ID of a trust domain an entry is federate with. Can be used more than once",
    ),
    MATCH_FEDERATES,
    MATCH_SELECTORS,
    FlagSpec::string("hint", "", "The Hint of the records to count (optional)"),
    OUTPUT_FLAG,
];

pub const DELETE_FLAGS: &[FlagSpec] = &[
    FlagSpec::string(
        "entryID",
        "",
        "The Registration Entry ID of the record to delete.",
    ),
    FlagSpec::string(
        "file",
        "",
        "Path to a file containing a JSON structure for batch deletion (optional). If set to '-', read from stdin.",
    ),
    OUTPUT_FLAG,
];
