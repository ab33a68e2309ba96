//! Where the provider keeps its codes and tokens, bounded: expired grants are purged as new
//! ones are stored (all of them once per lifetime of the kind, or sooner when the store is
//! full) and on access, and a store never holds more than
//! [`IdpConfig::max_grants`](super::IdpConfig::max_grants): beyond, the grants closest to
//! expiring go first. A flood of logins or token requests cannot grow the sandbox for ever.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

/// A code or token grant, which ends at a point in time.
pub(super) trait Expiring {
    fn expires_at(&self) -> SystemTime;
}

/// Grants of one kind (codes, access tokens or refresh tokens), by their code or token.
pub(super) struct GrantStore<G> {
    grants: HashMap<String, G>,
    max: usize,
    purge_every: Duration,
    next_purge: Option<SystemTime>,
}

impl<G: Expiring> GrantStore<G> {
    /// At most `max` grants (at least 1), expired ones purged at least every `purge_every`.
    pub(super) fn new(max: usize, purge_every: Duration) -> Self {
        Self {
            grants: HashMap::new(),
            max: max.max(1),
            purge_every,
            next_purge: None,
        }
    }

    /// Stores `grant` under `key`, purging first when it is time or the store is full.
    pub(super) fn insert(&mut self, key: String, grant: G, now: SystemTime) {
        let due = self.next_purge.is_none_or(|at| now >= at);
        if due || self.grants.len() >= self.max {
            self.purge(now);
        }
        if self.grants.len() >= self.max {
            self.evict_soonest();
        }
        self.grants.insert(key, grant);
    }

    /// Drops every expired grant.
    fn purge(&mut self, now: SystemTime) {
        self.grants.retain(|_, grant| grant.expires_at() > now);
        self.next_purge = now.checked_add(self.purge_every);
    }

    /// Drops the tenth of the grants closest to expiring (at least one): amortised, a full
    /// store sorts once per `max / 10` inserts.
    fn evict_soonest(&mut self) {
        let mut by_expiry: Vec<(SystemTime, String)> = self
            .grants
            .iter()
            .map(|(key, grant)| (grant.expires_at(), key.clone()))
            .collect();
        by_expiry.sort_unstable();
        let drop = (self.max / 10).max(1);
        for (_, key) in by_expiry.into_iter().take(drop) {
            self.grants.remove(&key);
        }
    }

    /// Takes the grant out (single use), expired or not: the caller says which.
    pub(super) fn remove(&mut self, key: &str) -> Option<G> {
        self.grants.remove(key)
    }

    /// The grant while it lasts; an expired one is dropped.
    pub(super) fn live(&mut self, key: &str, now: SystemTime) -> Option<&G> {
        if self.grants.get(key)?.expires_at() <= now {
            self.grants.remove(key);
            return None;
        }
        self.grants.get(key)
    }

    /// Keeps only the grants for which `keep` says so.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&G) -> bool) {
        self.grants.retain(|_, grant| keep(grant));
    }

    /// How many grants are held.
    pub(super) fn len(&self) -> usize {
        self.grants.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    struct Ends(SystemTime);

    impl Expiring for Ends {
        fn expires_at(&self) -> SystemTime {
            self.0
        }
    }

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn expired_grants_are_purged_and_the_cap_holds() {
        let mut store = GrantStore::new(100, Duration::from_secs(60));
        for n in 0..90 {
            store.insert(format!("k{n}"), Ends(at(1060)), at(1000));
        }
        assert_eq!(store.len(), 90);
        // Not yet time to purge: still there; on access an expired one goes.
        store.insert("late".into(), Ends(at(1200)), at(1030));
        assert_eq!(store.len(), 91);
        assert!(store.live("k1", at(1061)).is_none());
        assert_eq!(store.len(), 90);
        // A minute after the last purge, the next insert purges.
        store.insert("new".into(), Ends(at(1200)), at(1061));
        assert_eq!(store.len(), 2);
        assert!(store.live("late", at(1061)).is_some());
        // Live grants beyond the cap: those closest to expiring go first.
        for n in 0..1000_u64 {
            store.insert(format!("live{n}"), Ends(at(5000 + n)), at(1062));
            assert!(store.len() <= 100);
        }
        assert!(store.live("live999", at(1062)).is_some());
        assert!(store.live("live0", at(1062)).is_none());
    }
}
