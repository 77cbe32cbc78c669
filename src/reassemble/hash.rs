//! The hasher of the event maps: keyed, fast, for small fixed-size keys.
//!
//! The keys (time, serial, node) come from the input, so the hash is keyed
//! with a per-process random seed: collisions cannot be computed ahead to
//! make lookups slow (as they can for FxHash). One folded 64x64->128
//! multiply per word, as foldhash and ahash do, instead of SipHash's rounds.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

pub(crate) type KeyMap<K, V> = HashMap<K, V, KeyHash>;
pub(crate) type KeySet<K> = HashSet<K, KeyHash>;

#[inline]
fn fold_mul(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

/// Builds [`KeyHasher`]s with this process's seeds.
#[derive(Clone, Copy)]
pub(crate) struct KeyHash {
    seed: [u64; 2],
}

impl Default for KeyHash {
    fn default() -> Self {
        static SEED: OnceLock<[u64; 2]> = OnceLock::new();
        let seed = *SEED.get_or_init(|| {
            let s = RandomState::new();
            [s.hash_one(0x5eed_u64), s.hash_one(0xfeed_u64) | 1]
        });
        KeyHash { seed }
    }
}

impl BuildHasher for KeyHash {
    type Hasher = KeyHasher;
    #[inline]
    fn build_hasher(&self) -> KeyHasher {
        KeyHasher {
            acc: self.seed[0],
            mul: self.seed[1],
        }
    }
}

pub(crate) struct KeyHasher {
    acc: u64,
    mul: u64,
}

impl Hasher for KeyHasher {
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.acc = fold_mul(self.acc ^ n, self.mul ^ 0x9e37_79b9_7f4a_7c15);
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(w));
        }
    }

    #[inline]
    fn finish(&self) -> u64 {
        fold_mul(self.acc, self.mul)
    }
}
