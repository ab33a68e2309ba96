//! The users a provider knows: [`IdpUsers`], a list shared with the payments side (the
//! KukuPay users are the KukurukuID users), and [`IdpUser`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use super::state::lock;

/// The users a provider knows, by e-mail (case-insensitive). Cheap to clone; clones share the
/// list, so users added through one are seen by all: the full sandbox keeps its KukuPay users
/// here, and they are its KukurukuID users.
#[derive(Clone, Default)]
pub struct IdpUsers {
    users: Arc<Mutex<BTreeMap<String, IdpUser>>>,
}

impl IdpUsers {
    /// A list with these users (a later one with the same e-mail is ignored).
    pub fn new(users: impl IntoIterator<Item = IdpUser>) -> Self {
        let list = Self::default();
        for user in users {
            list.add(user);
        }
        list
    }

    /// Adds a user; `false` (and nothing changes) when one has this e-mail already.
    pub fn add(&self, user: IdpUser) -> bool {
        let mut users = lock(&self.users);
        let key = user.email.to_ascii_lowercase();
        if users.contains_key(&key) {
            return false;
        }
        users.insert(key, user);
        true
    }

    /// The user with this e-mail (any case).
    pub fn find(&self, email: &str) -> Option<IdpUser> {
        lock(&self.users).get(&email.to_ascii_lowercase()).cloned()
    }

    /// Every user, by e-mail.
    pub fn all(&self) -> Vec<IdpUser> {
        lock(&self.users).values().cloned().collect()
    }

    /// How many users there are.
    pub fn len(&self) -> usize {
        lock(&self.users).len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for IdpUsers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(lock(&self.users).values().map(|user| &user.email))
            .finish()
    }
}

/// A sandbox user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IdpUser {
    /// `sub`: the user's UUID.
    pub sub: String,
    /// The confirmed e-mail.
    pub email: String,
    /// The display name.
    pub name: String,
    /// The phone number, if any.
    pub phone: Option<String>,
    /// The currency of the user's Kukuruku balance (`RUB`, `USD`, `USDT`, …), if any.
    pub currency: Option<String>,
}

impl IdpUser {
    /// A user.
    pub fn new(sub: &str, email: &str, name: &str) -> Self {
        Self {
            sub: sub.to_owned(),
            email: email.to_owned(),
            name: name.to_owned(),
            phone: None,
            currency: None,
        }
    }

    /// With a phone number.
    #[must_use]
    pub fn phone(mut self, phone: &str) -> Self {
        self.phone = Some(phone.to_owned());
        self
    }

    /// With a currency.
    #[must_use]
    pub fn currency(mut self, currency: &str) -> Self {
        self.currency = Some(currency.to_owned());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_one_shared_list_by_email() {
        let users = IdpUsers::new([IdpUser::new("1", "Ann@Example.com", "Ann")]);
        let shared = users.clone();
        assert!(!shared.add(IdpUser::new("2", "ann@example.COM", "Other Ann")));
        assert!(shared.add(IdpUser::new("3", "bob@example.com", "Bob")));
        assert_eq!(users.len(), 2);
        assert_eq!(
            users.find("ANN@example.com").map(|user| user.sub),
            Some("1".into())
        );
        assert_eq!(
            format!("{users:?}"),
            r#"["Ann@Example.com", "bob@example.com"]"#
        );
    }
}
