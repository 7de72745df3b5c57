//! When the agent SVID is due: the cache's renewal rule (half its lifetime ±10 %, drawn once
//! per SVID) applied to the agent's own leaf, so a fleet of agents attested together does not
//! renew in lockstep.

use rand::Rng;

use crate::attest::{AttestError, not_after, not_before};
use crate::cache::RenewalSchedule;

/// The renewal schedule of the SVID whose chain is `svid` (leaf first).
pub fn for_leaf(svid: &[Vec<u8>], rng: &mut impl Rng) -> Result<RenewalSchedule, AttestError> {
    let leaf = svid.first().ok_or(AttestError::EmptyChain)?;
    Ok(RenewalSchedule::jittered(
        not_before(leaf)?,
        not_after(leaf)?,
        rng,
    ))
}
