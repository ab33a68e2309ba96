//! The seeded plan: each order's type and path, and each delivery's fault, as functions of the
//! seed and the merchant's order number (never of timing), so a seed replays the same plan.

use kukuruku_sandbox::OrderStatus;

/// SplitMix64: a tiny, well-mixed generator (no dependency needed for a test's dice).
#[derive(Debug, Clone)]
pub(super) struct Dice(u64);

impl Dice {
    pub(super) fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// Dice for one purpose: the seed mixed with `parts` (FNV-1a over their bytes).
    pub(super) fn for_key(seed: u64, parts: &[&[u8]]) -> Self {
        let mut hash = 0xcbf2_9ce4_8422_2325_u64;
        for part in parts {
            for byte in part.iter().chain(b"\x1f") {
                hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        Self(seed ^ hash)
    }

    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// How an order is driven after it is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Path {
    /// created → processing → paid
    ProcessingPaid,
    /// created → processing → failed
    ProcessingFailed,
    /// created → processing → cancelled
    ProcessingCancelled,
    /// created → paid
    Paid,
    /// created → cancelled
    Cancelled,
    /// created → expired
    Expired,
    /// created → failed: a payin declined on the pay page, a payout failed
    Declined,
    /// left created (no callback at all: the reconciler reads its status)
    Untouched,
}

impl Path {
    /// The statuses set through the sandbox's control hooks, in order (a decline of a payin
    /// goes through the pay page instead).
    pub(super) fn moves(self) -> &'static [OrderStatus] {
        use OrderStatus::{Cancelled, Expired, Failed, Paid, Processing};
        match self {
            Self::ProcessingPaid => &[Processing, Paid],
            Self::ProcessingFailed => &[Processing, Failed],
            Self::ProcessingCancelled => &[Processing, Cancelled],
            Self::Paid => &[Paid],
            Self::Cancelled => &[Cancelled],
            Self::Expired => &[Expired],
            Self::Declined => &[Failed],
            Self::Untouched => &[],
        }
    }
}

/// One order of the run.
#[derive(Debug, Clone)]
pub(super) struct OrderPlan {
    pub(super) number: String,
    pub(super) payin: bool,
    pub(super) amount: u64,
    pub(super) path: Path,
    /// Milliseconds to wait before each move (callbacks of one order then cross each other).
    pub(super) pauses: [u64; 2],
}

/// The orders of a run of `count`.
pub(super) fn orders(seed: u64, count: usize) -> Vec<OrderPlan> {
    let mut dice = Dice::new(seed);
    (0..count)
        .map(|i| {
            let path = match dice.below(100) {
                0..=29 => Path::ProcessingPaid,
                30..=39 => Path::ProcessingFailed,
                40..=44 => Path::ProcessingCancelled,
                45..=64 => Path::Paid,
                65..=74 => Path::Cancelled,
                75..=82 => Path::Expired,
                83..=94 => Path::Declined,
                _ => Path::Untouched,
            };
            OrderPlan {
                number: format!("chaos-{seed:x}-{i}"),
                payin: dice.below(10) < 6,
                amount: 100 + dice.below(100_000),
                path,
                pauses: [dice.below(15), dice.below(15)],
            }
        })
        .collect()
}

/// What the proxy does with one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fault {
    /// Forwarded, the receiver's answer passed back.
    None,
    /// 500 before the receiver sees it.
    FailBefore,
    /// Forwarded (the receiver commits), then 500: a lost acknowledgement.
    FailAfter,
    /// Held past the sandbox's timeout, then forwarded.
    Hang,
    /// The connection closed without an answer (before forwarding, or after).
    Reset { after: bool },
    /// Forwarded twice at once; the first answer passed back.
    Duplicate,
    /// Dropped for good: every try of this callback is answered 500 unseen.
    Drop,
}

/// The fault for try `attempt` (from 1) of the callback announcing `status` for order `number`.
/// A callback dropped for good is dropped on every try.
pub(super) fn fault(seed: u64, number: &str, status: &str, attempt: u32) -> Fault {
    let mut per_callback = Dice::for_key(seed, &[number.as_bytes(), status.as_bytes()]);
    if per_callback.below(1000) < 25 {
        return Fault::Drop;
    }
    let attempt = attempt.to_le_bytes();
    let mut dice = Dice::for_key(seed, &[number.as_bytes(), status.as_bytes(), &attempt]);
    match dice.below(100) {
        0..=7 => Fault::FailBefore,
        8..=15 => Fault::FailAfter,
        16..=18 => Fault::Hang,
        19..=21 => Fault::Reset { after: false },
        22..=24 => Fault::Reset { after: true },
        25..=32 => Fault::Duplicate,
        _ => Fault::None,
    }
}

/// Whether to replay an old callback after this delivery (stale statuses arriving late).
pub(super) fn replay(seed: u64, number: &str, status: &str, attempt: u32) -> Option<u64> {
    let attempt = attempt.to_le_bytes();
    let mut dice = Dice::for_key(
        seed,
        &[b"replay", number.as_bytes(), status.as_bytes(), &attempt],
    );
    (dice.below(100) < 8).then(|| dice.next())
}
