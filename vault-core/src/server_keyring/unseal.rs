//! Unsealing with Shamir shares, one operator at a time: a sans-IO state
//! machine the server keeps in memory while it is sealed.

use super::error::{KeyringError, Result};
use super::root_key::RootKey;
use crate::shamir::Share;
use core::fmt;
use core::str::FromStr;
use subtle::ConstantTimeEq;

/// Names one unseal attempt. The server (or the first operator) picks it and
/// every operator sends it with their share, so two operators who start
/// unsealing at once cannot mix their shares into one attempt. Not secret;
/// displays as 32 hex digits.
///
/// ```
/// use vault_core::server_keyring::AttemptNonce;
/// let n = AttemptNonce::generate(&mut vault_core::rng::os_rng());
/// assert_eq!(n.to_string().parse::<AttemptNonce>()?, n);
/// # Ok::<(), vault_core::server_keyring::KeyringError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AttemptNonce([u8; 16]);

impl AttemptNonce {
    /// A fresh random nonce.
    pub fn generate(rng: &mut impl rand_core::CryptoRng) -> Self {
        let mut b = [0u8; 16];
        rng.fill_bytes(&mut b);
        AttemptNonce(b)
    }

    /// A nonce from its 16 bytes.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        AttemptNonce(bytes)
    }

    /// The 16 bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for AttemptNonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&super::to_hex(&self.0))
    }
}

impl fmt::Debug for AttemptNonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AttemptNonce({self})")
    }
}

impl FromStr for AttemptNonce {
    type Err = KeyringError;
    /// Parses 32 hex digits (either case).
    fn from_str(s: &str) -> Result<Self> {
        super::from_hex::<16>(s, "unseal attempt nonce").map(AttemptNonce)
    }
}

/// Collects unseal shares until the threshold recovers the [`RootKey`].
///
/// - The first accepted share fixes the attempt nonce; a share sent with
///   another nonce is refused ([`KeyringError::AttemptMismatch`]) and changes
///   nothing.
/// - A share of another threshold ([`KeyringError::ThresholdMismatch`]) or an
///   index already given ([`KeyringError::DuplicateShare`]) is refused and
///   changes nothing.
/// - When the threshold is reached the shares are combined and the state
///   resets either way: the root key, or [`KeyringError::BadShareSet`] when a
///   share was wrong, tampered or from another split (the integrity check
///   cannot tell which one, so every share must be given again).
///
/// Shares are zeroized when dropped (on [`UnsealProgress::reset`], after
/// combining, or with the state); `Debug` shows only their indices.
///
/// ```
/// use vault_core::server_keyring::*;
/// let mut rng = vault_core::rng::os_rng();
/// let root = RootKey::generate(&mut rng);
/// let shares = root.split(2, 3, &mut rng)?;
///
/// let mut unseal = UnsealProgress::new(2)?;
/// let alice = AttemptNonce::generate(&mut rng);
/// let bob = AttemptNonce::generate(&mut rng);
/// assert!(unseal.submit(&alice, shares[0].clone())?.is_none());
/// // Bob started his own attempt at the same time: refused, nothing lost.
/// assert_eq!(unseal.submit(&bob, shares[1].clone()).unwrap_err(), KeyringError::AttemptMismatch);
/// assert_eq!(unseal.progress(), (1, 2));
/// let unsealed = unseal.submit(&alice, shares[1].clone())?.ok_or("still sealed")?;
/// assert!(unsealed == root);
/// assert_eq!(unseal.progress(), (0, 2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct UnsealProgress {
    threshold: u8,
    attempt: Option<AttemptNonce>,
    /// At most `threshold` shares, all with distinct indices.
    shares: Vec<Share>,
}

impl fmt::Debug for UnsealProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let indices: Vec<u8> = self.shares.iter().map(Share::index).collect();
        f.debug_struct("UnsealProgress")
            .field("threshold", &self.threshold)
            .field("attempt", &self.attempt)
            .field("share_indices", &indices)
            .finish()
    }
}

impl UnsealProgress {
    /// A sealed server's unseal state for a `threshold`-of-n split
    /// (2..=255, as [`RootKey::split`] allows).
    pub fn new(threshold: u8) -> Result<Self> {
        if threshold < 2 {
            return Err(KeyringError::InvalidArgument(
                "an unseal threshold is at least 2",
            ));
        }
        Ok(UnsealProgress {
            threshold,
            attempt: None,
            // Never reallocated, so no copy of a share's header is left behind.
            shares: Vec::with_capacity(usize::from(threshold)),
        })
    }

    /// Adds one share of the attempt `attempt`. `Ok(None)` while more shares
    /// are needed ([`UnsealProgress::progress`] says how many), `Ok(Some)`
    /// with the root key once the threshold is reached.
    pub fn submit(&mut self, attempt: &AttemptNonce, share: Share) -> Result<Option<RootKey>> {
        if self
            .attempt
            .is_some_and(|current| !bool::from(current.0.ct_eq(&attempt.0)))
        {
            return Err(KeyringError::AttemptMismatch);
        }
        if share.threshold() != self.threshold {
            return Err(KeyringError::ThresholdMismatch {
                expected: self.threshold,
                found: share.threshold(),
            });
        }
        if self.shares.iter().any(|s| s.index() == share.index()) {
            return Err(KeyringError::DuplicateShare {
                index: share.index(),
            });
        }
        self.attempt = Some(*attempt);
        self.shares.push(share);
        if self.shares.len() < usize::from(self.threshold) {
            return Ok(None);
        }
        let result = RootKey::combine(&self.shares);
        self.reset();
        result.map(Some)
    }

    /// `(shares given, shares needed)` in the current attempt.
    pub fn progress(&self) -> (u8, u8) {
        // At most `threshold` shares are ever held, so this fits a u8.
        let have = u8::try_from(self.shares.len()).unwrap_or(u8::MAX);
        (have, self.threshold)
    }

    /// The current attempt's nonce, once a share was accepted.
    pub fn attempt(&self) -> Option<AttemptNonce> {
        self.attempt
    }

    /// The threshold this state was made for.
    pub fn threshold(&self) -> u8 {
        self.threshold
    }

    /// Drops every share given (zeroizing them) and the attempt nonce.
    pub fn reset(&mut self) {
        self.shares.clear();
        self.attempt = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::os_rng;

    fn setup(t: u8, n: u8) -> (RootKey, Vec<Share>) {
        let mut rng = os_rng();
        let root = RootKey::generate(&mut rng);
        let shares = root.split(t, n, &mut rng).unwrap();
        (root, shares)
    }

    fn nonce(b: u8) -> AttemptNonce {
        AttemptNonce::from_bytes([b; 16])
    }

    #[test]
    fn threshold_shares_in_any_order_unseal() {
        let (root, shares) = setup(3, 5);
        let mut u = UnsealProgress::new(3).unwrap();
        assert_eq!(u.progress(), (0, 3));
        assert_eq!(u.attempt(), None);
        assert!(u.submit(&nonce(1), shares[4].clone()).unwrap().is_none());
        assert_eq!(u.progress(), (1, 3));
        assert_eq!(u.attempt(), Some(nonce(1)));
        assert!(u.submit(&nonce(1), shares[0].clone()).unwrap().is_none());
        assert_eq!(u.progress(), (2, 3));
        let got = u.submit(&nonce(1), shares[2].clone()).unwrap().unwrap();
        assert!(got == root);
        // Reset after success: a new attempt may start with a new nonce.
        assert_eq!(u.progress(), (0, 3));
        assert_eq!(u.attempt(), None);
        assert!(u.submit(&nonce(2), shares[1].clone()).unwrap().is_none());
    }

    #[test]
    fn another_attempt_nonce_is_refused_and_changes_nothing() {
        let (root, shares) = setup(2, 3);
        let mut u = UnsealProgress::new(2).unwrap();
        u.submit(&nonce(1), shares[0].clone()).unwrap();
        assert_eq!(
            u.submit(&nonce(2), shares[1].clone()).unwrap_err(),
            KeyringError::AttemptMismatch
        );
        let mut almost = [1u8; 16];
        almost[15] = 0;
        assert_eq!(
            u.submit(&AttemptNonce::from_bytes(almost), shares[1].clone())
                .unwrap_err(),
            KeyringError::AttemptMismatch
        );
        assert_eq!(u.progress(), (1, 2));
        assert_eq!(u.attempt(), Some(nonce(1)));
        let got = u.submit(&nonce(1), shares[1].clone()).unwrap().unwrap();
        assert!(got == root);
    }

    #[test]
    fn duplicate_index_is_refused_and_changes_nothing() {
        let (root, shares) = setup(3, 3);
        let mut u = UnsealProgress::new(3).unwrap();
        u.submit(&nonce(1), shares[1].clone()).unwrap();
        assert_eq!(
            u.submit(&nonce(1), shares[1].clone()).unwrap_err(),
            KeyringError::DuplicateShare {
                index: shares[1].index()
            }
        );
        assert_eq!(u.progress(), (1, 3));
        u.submit(&nonce(1), shares[0].clone()).unwrap();
        assert!(u.submit(&nonce(1), shares[2].clone()).unwrap().unwrap() == root);
    }

    #[test]
    fn a_share_of_another_threshold_is_refused_and_fixes_no_nonce() {
        let (_, two_of_three) = setup(2, 3);
        let mut u = UnsealProgress::new(3).unwrap();
        assert_eq!(
            u.submit(&nonce(1), two_of_three[0].clone()).unwrap_err(),
            KeyringError::ThresholdMismatch {
                expected: 3,
                found: 2
            }
        );
        assert_eq!(u.progress(), (0, 3));
        assert_eq!(u.attempt(), None);
    }

    #[test]
    fn a_tampered_share_is_a_bad_share_set_and_resets() {
        let (_, shares) = setup(2, 3);
        let mut bytes = shares[1].to_bytes();
        bytes[10] ^= 0x20;
        let tampered = Share::from_bytes(&bytes).unwrap();
        let mut u = UnsealProgress::new(2).unwrap();
        u.submit(&nonce(1), shares[0].clone()).unwrap();
        let err = u.submit(&nonce(1), tampered).unwrap_err();
        assert_eq!(
            err,
            KeyringError::BadShareSet("integrity check failed: a share is wrong or tampered")
        );
        assert!(err.to_string().starts_with("bad share set: "));
        assert_eq!(u.progress(), (0, 2));
        assert_eq!(u.attempt(), None);
    }

    #[test]
    fn shares_of_two_splits_are_a_bad_share_set() {
        let (_, a) = setup(2, 3);
        let (_, b) = setup(2, 3);
        let mut u = UnsealProgress::new(2).unwrap();
        u.submit(&nonce(1), a[0].clone()).unwrap();
        assert!(matches!(
            u.submit(&nonce(1), b[1].clone()),
            Err(KeyringError::BadShareSet(_))
        ));
        assert_eq!(u.progress(), (0, 2));
    }

    #[test]
    fn reset_forgets_shares_and_nonce() {
        let (root, shares) = setup(2, 3);
        let mut u = UnsealProgress::new(2).unwrap();
        u.submit(&nonce(1), shares[0].clone()).unwrap();
        u.reset();
        assert_eq!(u.progress(), (0, 2));
        assert_eq!(u.attempt(), None);
        // The old share is gone: one new share is not enough.
        assert!(u.submit(&nonce(2), shares[1].clone()).unwrap().is_none());
        assert!(u.submit(&nonce(2), shares[2].clone()).unwrap().unwrap() == root);
    }

    #[test]
    fn threshold_must_be_at_least_two() {
        for t in [0, 1] {
            assert!(matches!(
                UnsealProgress::new(t),
                Err(KeyringError::InvalidArgument(_))
            ));
        }
        assert_eq!(UnsealProgress::new(2).unwrap().threshold(), 2);
        assert_eq!(UnsealProgress::new(255).unwrap().progress(), (0, 255));
    }

    #[test]
    fn debug_shows_indices_not_shares() {
        let (_, shares) = setup(3, 3);
        let mut u = UnsealProgress::new(3).unwrap();
        u.submit(&nonce(0xab), shares[0].clone()).unwrap();
        u.submit(&nonce(0xab), shares[2].clone()).unwrap();
        let dbg = format!("{u:?}");
        assert!(dbg.contains("share_indices: [1, 3]"), "{dbg}");
        assert!(dbg.contains(&"ab".repeat(16)));
        for s in &shares {
            let bytes = s.to_bytes();
            let y = &bytes[7..];
            assert!(!dbg.contains(&hex::encode(y)));
            assert!(!dbg.contains(&format!("{:?}", &y[..4])));
        }
    }

    #[test]
    fn attempt_nonce_text() {
        let n = AttemptNonce::from_bytes([0x0f; 16]);
        assert_eq!(n.to_string(), "0f".repeat(16));
        assert_eq!(
            format!("{n:?}"),
            format!("AttemptNonce({})", "0f".repeat(16))
        );
        assert_eq!("0F".repeat(16).parse::<AttemptNonce>(), Ok(n));
        assert!("0f".repeat(15).parse::<AttemptNonce>().is_err());
        assert_eq!(n.as_bytes(), &[0x0f; 16]);
    }
}
