//! The provider's recent logins (a user chosen on the login page, or logged in by
//! `prompt=none`), the newest [`KEPT`] of them, for the sandbox's dashboard.

use std::collections::VecDeque;

/// How many logins are kept.
pub(crate) const KEPT: usize = 50;

/// One login: who, into which client, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecentLogin {
    pub(crate) email: String,
    pub(crate) client_id: String,
    /// RFC 3339, UTC.
    pub(crate) at: String,
}

/// The newest logins, newest last, at most [`KEPT`].
#[derive(Debug, Default)]
pub(crate) struct RecentLogins {
    entries: VecDeque<RecentLogin>,
}

impl RecentLogins {
    pub(crate) fn push(&mut self, login: RecentLogin) {
        if self.entries.len() >= KEPT {
            self.entries.pop_front();
        }
        self.entries.push_back(login);
    }

    /// Newest first.
    pub(crate) fn newest_first(&self) -> Vec<RecentLogin> {
        self.entries.iter().rev().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest() {
        let mut logins = RecentLogins::default();
        for i in 0..KEPT + 5 {
            logins.push(RecentLogin {
                email: format!("u{i}@example.com"),
                client_id: "c".into(),
                at: String::new(),
            });
        }
        let kept = logins.newest_first();
        assert_eq!(kept.len(), KEPT);
        assert_eq!(kept[0].email, format!("u{}@example.com", KEPT + 4));
        assert_eq!(kept[KEPT - 1].email, "u5@example.com");
    }
}
