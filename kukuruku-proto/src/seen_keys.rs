//! The keys of one JSON object read so far, for the duplicate-key check of
//! [`strict_json`](crate::strict_json).

use std::borrow::Cow;
use std::collections::HashSet;

/// The keys of one object so far: the first [`FEW`] in place (most objects have a handful of
/// keys: no allocation, a linear search), the rest in a hash set, so that a hostile body with
/// many keys still costs linear time.
pub(crate) struct Seen<'de> {
    few: [Cow<'de, str>; FEW],
    len: usize,
    many: Option<HashSet<Cow<'de, str>>>,
}

/// Up to this many keys, a linear search beats hashing.
const FEW: usize = 16;

impl Default for Seen<'_> {
    fn default() -> Self {
        Self {
            few: [const { Cow::Borrowed("") }; FEW],
            len: 0,
            many: None,
        }
    }
}

impl<'de> Seen<'de> {
    pub(crate) fn contains(&self, key: &str) -> bool {
        self.few[..self.len].iter().any(|seen| seen == key)
            || self.many.as_ref().is_some_and(|many| many.contains(key))
    }

    pub(crate) fn insert(&mut self, key: Cow<'de, str>) {
        if let Some(slot) = self.few.get_mut(self.len) {
            *slot = key;
            self.len += 1;
        } else {
            self.many.get_or_insert_with(HashSet::new).insert(key);
        }
    }
}
