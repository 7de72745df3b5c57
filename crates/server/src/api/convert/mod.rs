//! Wire types become domain types here, once, at the edge of the services; and stored
//! records become wire types on the way out. Each conversion validates what it reads and
//! says what is wrong in SPIRE's words.

pub mod agent;
pub mod bundle;
pub mod dns;
pub mod entry;
pub mod ids;
pub mod selectors;
