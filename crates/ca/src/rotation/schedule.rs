//! The two-slot rotation schedule SPIRE uses for both the X.509 CA and the JWT signing key,
//! as pure data: given the slots and the time, what is the next step?
//!
//! A credential of lifetime L (issued_at → not_after) gets a successor prepared once
//! `now > not_after - min(L/2, 30d)` and activated once `now > not_after - min(L/6, 7d)`;
//! for a 24h CA that is +12h and +20h. Preparing early lets the new root reach every agent's
//! bundle before anything is signed with it.

use std::time::{Duration, SystemTime};

const MAX_PREPARE_LEAD: Duration = Duration::from_secs(30 * 24 * 3600);
const MAX_ACTIVATE_LEAD: Duration = Duration::from_secs(7 * 24 * 3600);

/// The two key slots SPIRE alternates between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlotLetter {
    A,
    B,
}

impl SlotLetter {
    pub fn other(self) -> SlotLetter {
        match self {
            SlotLetter::A => SlotLetter::B,
            SlotLetter::B => SlotLetter::A,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SlotLetter::A => "A",
            SlotLetter::B => "B",
        }
    }
}

/// Where a credential is in its life (SPIRE's journal status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlotStatus {
    /// Published in the bundle, not yet signing.
    Prepared,
    /// Signing.
    Active,
    /// Replaced; still in the bundle until it expires and is pruned.
    Old,
}

/// One credential in a slot.
#[derive(Debug, Clone)]
pub struct Slot<C> {
    pub letter: SlotLetter,
    pub issued_at: SystemTime,
    pub not_after: SystemTime,
    pub credential: C,
}

/// What the schedule asks for at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Nothing usable is active: make a credential in this slot and use it at once.
    PrepareAndActivate(SlotLetter),
    /// Make the successor in this slot and publish it.
    PrepareNext(SlotLetter),
    /// Start signing with the prepared successor.
    ActivateNext,
    Idle,
}

/// Current, next and old credentials of one kind.
#[derive(Debug)]
pub(crate) struct SlotPair<C> {
    current: Option<Slot<C>>,
    next: Option<Slot<C>>,
    old: Option<Slot<C>>,
}

impl<C> SlotPair<C> {
    pub(crate) fn new() -> Self {
        SlotPair {
            current: None,
            next: None,
            old: None,
        }
    }

    /// A pair resumed from the CA journal.
    pub(crate) fn seeded(
        current: Option<Slot<C>>,
        next: Option<Slot<C>>,
        old: Option<Slot<C>>,
    ) -> Self {
        SlotPair { current, next, old }
    }

    /// The one step due at `now` (one per tick, as SPIRE's rotator does).
    pub(crate) fn step(&self, now: SystemTime) -> Step {
        let Some(current) = &self.current else {
            // Like SPIRE, an unusable (old) resumed slot is overwritten first.
            let letter = self.old.as_ref().map_or(SlotLetter::A, |old| old.letter);
            return Step::PrepareAndActivate(letter);
        };
        match &self.next {
            Some(_) if now > activation_threshold(current) => Step::ActivateNext,
            Some(_) => Step::Idle,
            None if now >= current.not_after => Step::PrepareAndActivate(current.letter.other()),
            None if now > preparation_threshold(current) => {
                Step::PrepareNext(current.letter.other())
            }
            None => Step::Idle,
        }
    }

    /// Installs `slot` as current at once; the previous current, if any, becomes old.
    pub(crate) fn activate_now(&mut self, slot: Slot<C>) {
        self.old = self.current.take();
        self.next = None;
        self.current = Some(slot);
    }

    /// Installs `slot` as the prepared successor. Its letter's old credential is gone: the
    /// KeyManager key of that slot was just replaced.
    pub(crate) fn prepare(&mut self, slot: Slot<C>) {
        if self
            .old
            .as_ref()
            .is_some_and(|old| old.letter == slot.letter)
        {
            self.old = None;
        }
        self.next = Some(slot);
    }

    /// Makes the prepared successor current; the previous current becomes old. Returns
    /// false when nothing was prepared.
    pub(crate) fn activate_next(&mut self) -> bool {
        let Some(next) = self.next.take() else {
            return false;
        };
        self.old = self.current.replace(next);
        true
    }

    pub(crate) fn current(&self) -> Option<&Slot<C>> {
        self.current.as_ref()
    }

    pub(crate) fn next(&self) -> Option<&Slot<C>> {
        self.next.as_ref()
    }

    pub(crate) fn old(&self) -> Option<&Slot<C>> {
        self.old.as_ref()
    }
}

/// `not_after - min(lifetime/2, 30d)`.
pub fn preparation_threshold<C>(slot: &Slot<C>) -> SystemTime {
    threshold(slot, 2, MAX_PREPARE_LEAD)
}

/// `not_after - min(lifetime/6, 7d)`.
pub fn activation_threshold<C>(slot: &Slot<C>) -> SystemTime {
    threshold(slot, 6, MAX_ACTIVATE_LEAD)
}

fn threshold<C>(slot: &Slot<C>, divisor: u32, cap: Duration) -> SystemTime {
    let lifetime = slot
        .not_after
        .duration_since(slot.issued_at)
        .unwrap_or(Duration::ZERO);
    let lead = (lifetime / divisor).min(cap);
    slot.not_after.checked_sub(lead).unwrap_or(slot.issued_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    fn slot(letter: SlotLetter, issued_at: SystemTime, lifetime: Duration) -> Slot<()> {
        Slot {
            letter,
            issued_at,
            not_after: issued_at + lifetime,
            credential: (),
        }
    }

    fn t(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
    }

    #[test]
    fn empty_pair_prepares_and_activates_slot_a() {
        let pair = SlotPair::<()>::new();
        assert_eq!(pair.step(t(0)), Step::PrepareAndActivate(SlotLetter::A));
    }

    #[test]
    fn day_long_credential_prepares_after_half_life_and_activates_after_five_sixths() {
        let mut pair = SlotPair::new();
        pair.activate_now(slot(SlotLetter::A, t(0), 24 * HOUR));
        assert_eq!(pair.step(t(12 * 3600)), Step::Idle);
        assert_eq!(
            pair.step(t(12 * 3600 + 1)),
            Step::PrepareNext(SlotLetter::B)
        );
        pair.prepare(slot(SlotLetter::B, t(12 * 3600 + 1), 24 * HOUR));
        assert_eq!(pair.step(t(20 * 3600)), Step::Idle);
        assert_eq!(pair.step(t(20 * 3600 + 1)), Step::ActivateNext);
        assert!(pair.activate_next());
        assert_eq!(pair.current().map(|s| s.letter), Some(SlotLetter::B));
        assert_eq!(pair.old().map(|s| s.letter), Some(SlotLetter::A));
    }

    #[test]
    fn long_lifetimes_cap_leads_at_thirty_and_seven_days() {
        let year = 365 * 24 * HOUR;
        let s = slot(SlotLetter::A, t(0), year);
        assert_eq!(preparation_threshold(&s), s.not_after - 30 * 24 * HOUR);
        assert_eq!(activation_threshold(&s), s.not_after - 7 * 24 * HOUR);
    }

    #[test]
    fn expired_current_without_successor_is_replaced_in_the_other_slot() {
        let mut pair = SlotPair::new();
        pair.activate_now(slot(SlotLetter::A, t(0), HOUR));
        assert_eq!(pair.step(t(3600)), Step::PrepareAndActivate(SlotLetter::B));
    }

    #[test]
    fn preparing_a_slot_forgets_the_old_credential_of_that_slot() {
        let mut pair = SlotPair::new();
        pair.activate_now(slot(SlotLetter::A, t(0), HOUR));
        pair.prepare(slot(SlotLetter::B, t(1), HOUR));
        pair.activate_next();
        pair.prepare(slot(SlotLetter::A, t(2), HOUR));
        assert!(pair.old().is_none());
        assert_eq!(pair.next().map(|s| s.letter), Some(SlotLetter::A));
    }
}
