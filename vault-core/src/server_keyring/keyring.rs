//! The keyring: the server's KEKs (one active), sealed at rest under the
//! root key.

use super::error::{KeyringError, Result};
use super::kek::{Kek, KekId, KekProvider};
use super::root_key::RootKey;
use super::{KIND_SEALED_KEYRING, SERVER_KEYRING_FORMAT_VERSION};
use crate::envelope::Envelope;
use crate::secret::SymmetricKey;
use core::fmt;
use zeroize::Zeroizing;

/// Most KEKs a keyring holds. A rotation a day for almost three years; retire
/// old KEKs (after rewrapping their DEKs) long before. Bounds what opening a
/// sealed keyring allocates.
pub const MAX_KEKS: usize = 1024;

/// One KEK record in the plaintext: kek_id (16) ‖ key (32) ‖ created_ms BE64
/// ‖ state (1) ‖ rotated_ms BE64.
const RECORD_LEN: usize = 16 + 32 + 8 + 1 + 8;
const STATE_INACTIVE: u8 = 0;
const STATE_ACTIVE: u8 = 1;

/// One KEK of a [`Keyring`] with its history. The key is zeroized on drop and
/// never shown; `Debug` shows the id and times.
pub struct KekRecord {
    id: KekId,
    kek: Kek,
    created_ms: u64,
    /// When it stopped being the active KEK; `None` exactly for the active
    /// one, so "active" has one source of truth.
    rotated_ms: Option<u64>,
}

impl fmt::Debug for KekRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KekRecord")
            .field("id", &self.id)
            .field("created_ms", &self.created_ms)
            .field("rotated_ms", &self.rotated_ms)
            .field("active", &self.is_active())
            .finish_non_exhaustive()
    }
}

impl KekRecord {
    /// The KEK's id.
    pub fn id(&self) -> KekId {
        self.id
    }
    /// When it was created (milliseconds since the Unix epoch, the caller's clock).
    pub fn created_ms(&self) -> u64 {
        self.created_ms
    }
    /// When a rotation replaced it as the active KEK; `None` while active.
    pub fn rotated_ms(&self) -> Option<u64> {
        self.rotated_ms
    }
    /// Whether new DEKs are wrapped under it (exactly one per keyring).
    pub fn is_active(&self) -> bool {
        self.rotated_ms.is_none()
    }
}

/// The server's KEKs: exactly one active (new wraps), and the older ones kept
/// for unwrapping until they are retired. Exactly one active holds by
/// construction: the active record is a field of its own. Implements
/// [`KekProvider`] (wrap, unwrap, rewrap).
///
/// ```
/// use vault_core::server_keyring::{Dek, Keyring, KekProvider, RootKey, SealedKeyring};
/// let mut rng = vault_core::rng::os_rng();
/// let root = RootKey::generate(&mut rng);
/// let mut keyring = Keyring::new(1_000, &mut rng);
/// let first = keyring.active_id();
/// let dek = Dek::generate(&mut rng);
/// let old = keyring.wrap_dek(&dek, b"row-1", &mut rng)?;
///
/// let second = keyring.rotate(2_000, &mut rng)?;
/// assert_eq!(keyring.get(&first).and_then(|r| r.rotated_ms()), Some(2_000));
/// // Sealed and reopened, the old KEK still unwraps, and rewrap moves the DEK.
/// let sealed = keyring.seal(&root, &mut rng)?.to_bytes();
/// let keyring = SealedKeyring::from_bytes(&sealed)?.open(&root)?;
/// assert!(keyring.unwrap_dek(&old, b"row-1")? == dek);
/// let moved = keyring.rewrap(&old, b"row-1", &mut rng)?.ok_or("already on the active KEK")?;
/// assert_eq!(moved.kek_id(), second);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Keyring {
    active: KekRecord,
    /// Replaced KEKs, in the order they were rotated out.
    inactive: Vec<KekRecord>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("active", &self.active.id)
            .field("keks", &self.kek_count())
            .finish()
    }
}

impl Keyring {
    /// A new keyring with one fresh active KEK (first start of a server).
    pub fn new(now_ms: u64, rng: &mut impl rand_core::CryptoRng) -> Self {
        Keyring {
            active: KekRecord {
                id: KekId::generate(rng),
                kek: Kek::generate(rng),
                created_ms: now_ms,
                rotated_ms: None,
            },
            inactive: Vec::new(),
        }
    }

    /// The id of the active KEK.
    pub fn active_id(&self) -> KekId {
        self.active.id
    }

    /// The active KEK's record.
    pub fn active(&self) -> &KekRecord {
        &self.active
    }

    /// Every record: the inactive ones in the order they were rotated out,
    /// then the active one.
    pub fn records(&self) -> impl Iterator<Item = &KekRecord> {
        self.inactive.iter().chain(core::iter::once(&self.active))
    }

    /// The record with this id.
    pub fn get(&self, id: &KekId) -> Option<&KekRecord> {
        self.records().find(|r| r.id == *id)
    }

    /// How many KEKs the keyring holds (at least 1).
    pub fn kek_count(&self) -> usize {
        self.inactive.len() + 1
    }

    /// Adds a fresh KEK as the active one; the previous active KEK becomes
    /// inactive (`rotated_ms = now_ms`) and stays for unwrapping. Returns the
    /// new id. [`KeyringError::TooManyKeks`] at [`MAX_KEKS`].
    ///
    /// Existing wraps are untouched: move them with [`KekProvider::rewrap`].
    pub fn rotate(&mut self, now_ms: u64, rng: &mut impl rand_core::CryptoRng) -> Result<KekId> {
        if self.kek_count() >= MAX_KEKS {
            return Err(KeyringError::TooManyKeks { max: MAX_KEKS });
        }
        let id = KekId::generate(rng);
        // Two equal random 128-bit ids mean a broken RNG; refuse rather than
        // make a keyring that would not open again.
        if self.get(&id).is_some() {
            return Err(KeyringError::InvalidArgument(
                "the RNG repeated a KEK id: is it seeded?",
            ));
        }
        let new = KekRecord {
            id,
            kek: Kek::generate(rng),
            created_ms: now_ms,
            rotated_ms: None,
        };
        let mut old = core::mem::replace(&mut self.active, new);
        old.rotated_ms = Some(now_ms);
        self.inactive.push(old);
        Ok(id)
    }

    /// Removes an inactive KEK (its key is zeroized). Call it only once no
    /// DEK is wrapped under it any more (after [`KekProvider::rewrap`] of
    /// every row): such DEKs then fail with [`KeyringError::UnknownKek`].
    /// The active KEK cannot be retired.
    pub fn retire(&mut self, id: &KekId) -> Result<()> {
        if *id == self.active.id {
            return Err(KeyringError::InvalidArgument(
                "the active KEK cannot be retired: rotate first",
            ));
        }
        let before = self.inactive.len();
        self.inactive.retain(|r| r.id != *id);
        if self.inactive.len() == before {
            return Err(KeyringError::UnknownKek(*id));
        }
        Ok(())
    }

    /// Seals the keyring under a key derived from `root` (HKDF-SHA256,
    /// `"VLT1 server keyring seal"`), for storage at rest.
    pub fn seal(
        &self,
        root: &RootKey,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<SealedKeyring> {
        let plain = self.encode();
        let envelope = super::seal_envelope(&root.keyring_seal_key(), &context(), &plain, rng)?;
        Ok(SealedKeyring { envelope })
    }

    /// The plaintext: count BE32 ‖ records (`docs/format.md` §17.2).
    fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(4 + self.kek_count() * RECORD_LEN));
        // kek_count() <= MAX_KEKS, far below u32::MAX.
        out.extend_from_slice(
            &u32::try_from(self.kek_count())
                .unwrap_or(u32::MAX)
                .to_be_bytes(),
        );
        for r in self.records() {
            out.extend_from_slice(r.id.as_bytes());
            out.extend_from_slice(r.kek.key().expose_secret());
            out.extend_from_slice(&r.created_ms.to_be_bytes());
            let (state, rotated) = match r.rotated_ms {
                None => (STATE_ACTIVE, 0),
                Some(t) => (STATE_INACTIVE, t),
            };
            out.push(state);
            out.extend_from_slice(&rotated.to_be_bytes());
        }
        out
    }

    /// Parses the plaintext, enforcing every invariant (it was authenticated,
    /// so a violation is a writer's bug, reported rather than trusted).
    fn decode(plain: &[u8]) -> Result<Self> {
        const WHAT: &str = "keyring";
        let bad = |reason| KeyringError::malformed(WHAT, reason);
        let (count, body) = plain
            .split_first_chunk::<4>()
            .ok_or_else(|| bad("truncated"))?;
        let count = usize::try_from(u32::from_be_bytes(*count)).unwrap_or(usize::MAX);
        if count == 0 || count > MAX_KEKS {
            return Err(bad("KEK count out of range"));
        }
        if Some(body.len()) != count.checked_mul(RECORD_LEN) {
            return Err(bad("length does not match the KEK count"));
        }
        let mut active = None;
        let mut inactive: Vec<KekRecord> = Vec::with_capacity(count - 1);
        for rec in body.chunks_exact(RECORD_LEN) {
            let (id, rest) = rec
                .split_first_chunk::<16>()
                .ok_or_else(|| bad("truncated"))?;
            let (key, rest) = rest
                .split_first_chunk::<32>()
                .ok_or_else(|| bad("truncated"))?;
            let (created, rest) = rest
                .split_first_chunk::<8>()
                .ok_or_else(|| bad("truncated"))?;
            let (&state, rotated) = rest.split_first().ok_or_else(|| bad("truncated"))?;
            let rotated: [u8; 8] = rotated.try_into().map_err(|_| bad("truncated"))?;
            let rotated = u64::from_be_bytes(rotated);
            if super::is_all_zero(key) {
                return Err(bad("an all-zero KEK"));
            }
            let rotated_ms = match state {
                STATE_ACTIVE if rotated == 0 => None,
                STATE_ACTIVE => return Err(bad("the active KEK has a rotation time")),
                STATE_INACTIVE => Some(rotated),
                _ => return Err(bad("unknown KEK state")),
            };
            let id = KekId::from_bytes(*id);
            let duplicate = active.as_ref().is_some_and(|a: &KekRecord| a.id == id)
                || inactive.iter().any(|r| r.id == id);
            if duplicate {
                return Err(bad("duplicate KEK id"));
            }
            let kek = SymmetricKey::from_slice(key).map_err(|_| bad("truncated"))?;
            let record = KekRecord {
                id,
                kek: Kek::from_key(kek),
                created_ms: u64::from_be_bytes(*created),
                rotated_ms,
            };
            if record.is_active() {
                if active.is_some() {
                    return Err(bad("more than one active KEK"));
                }
                active = Some(record);
            } else {
                inactive.push(record);
            }
        }
        let active = active.ok_or_else(|| bad("no active KEK"))?;
        Ok(Keyring { active, inactive })
    }
}

impl KekProvider for Keyring {
    fn active_kek(&self) -> (KekId, &Kek) {
        (self.active.id, &self.active.kek)
    }

    fn find_kek(&self, id: &KekId) -> Option<&Kek> {
        self.get(id).map(|r| &r.kek)
    }
}

/// The envelope context: kind 15 ‖ format version.
fn context() -> [u8; 2] {
    [KIND_SEALED_KEYRING, SERVER_KEYRING_FORMAT_VERSION]
}

/// A [`Keyring`] sealed under the root key: what the server stores at rest
/// (`docs/format.md` §17.2). Holds only ciphertext; `Debug` shows its size.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedKeyring {
    /// XChaCha20-Poly1305 envelope of the keyring plaintext.
    envelope: Envelope,
}

impl fmt::Debug for SealedKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedKeyring")
            .field("version", &self.version())
            .field("len", &(1 + self.envelope.as_bytes().len()))
            .finish()
    }
}

impl SealedKeyring {
    /// The format version ([`SERVER_KEYRING_FORMAT_VERSION`] for a parsed one).
    pub fn version(&self) -> u8 {
        SERVER_KEYRING_FORMAT_VERSION
    }

    /// The binary form: version (1) ‖ envelope.
    pub fn to_bytes(&self) -> Vec<u8> {
        let env = self.envelope.as_bytes();
        let mut out = Vec::with_capacity(1 + env.len());
        out.push(SERVER_KEYRING_FORMAT_VERSION);
        out.extend_from_slice(env);
        out
    }

    /// Parses the binary form (layout only; [`SealedKeyring::open`]
    /// authenticates).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "sealed keyring";
        let env = super::strip_version(bytes, WHAT)?;
        let envelope = super::parse_envelope(env, WHAT)?;
        if envelope.plaintext_len() < 4 + RECORD_LEN
            || envelope.plaintext_len() > 4 + MAX_KEKS * RECORD_LEN
        {
            return Err(KeyringError::malformed(WHAT, "length out of range"));
        }
        Ok(SealedKeyring { envelope })
    }

    /// Opens with the root key. A wrong root key or altered bytes fail with
    /// [`KeyringError::Decrypt`]`("sealed keyring")`.
    pub fn open(&self, root: &RootKey) -> Result<Keyring> {
        let plain = super::open_envelope(
            &self.envelope,
            &root.keyring_seal_key(),
            &context(),
            "sealed keyring",
        )?;
        Keyring::decode(&plain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::os_rng;
    use crate::server_keyring::{Dek, WrappedDek};

    fn root(b: u8) -> RootKey {
        RootKey::from_bytes(&[b; 32]).unwrap()
    }

    /// Seals an arbitrary plaintext exactly as [`Keyring::seal`] does, to
    /// test what `open` does with plaintexts no honest writer makes.
    fn seal_plain(root: &RootKey, plain: &[u8]) -> SealedKeyring {
        let envelope =
            super::super::seal_envelope(&root.keyring_seal_key(), &context(), plain, &mut os_rng())
                .unwrap();
        SealedKeyring { envelope }
    }

    fn record(id: u8, key: u8, created: u64, state: u8, rotated: u64) -> Vec<u8> {
        let mut r = vec![id; 16];
        r.extend_from_slice(&[key; 32]);
        r.extend_from_slice(&created.to_be_bytes());
        r.push(state);
        r.extend_from_slice(&rotated.to_be_bytes());
        r
    }

    fn plain(records: &[&[u8]]) -> Vec<u8> {
        let mut p = (records.len() as u32).to_be_bytes().to_vec();
        records.iter().for_each(|r| p.extend_from_slice(r));
        p
    }

    #[test]
    fn new_keyring_has_one_active_kek() {
        let k = Keyring::new(123, &mut os_rng());
        assert_eq!(k.kek_count(), 1);
        assert!(k.active().is_active());
        assert_eq!(k.active().created_ms(), 123);
        assert_eq!(k.active().rotated_ms(), None);
        assert_eq!(k.records().count(), 1);
        assert_eq!(
            k.get(&k.active_id()).map(KekRecord::id),
            Some(k.active_id())
        );
    }

    #[test]
    fn seal_open_round_trip_keeps_ids_times_states_and_keys() {
        let mut rng = os_rng();
        let r = root(1);
        let mut k = Keyring::new(10, &mut rng);
        let first = k.active_id();
        let w1 = k
            .wrap_dek(&Dek::generate(&mut rng), b"a", &mut rng)
            .unwrap();
        let second = k.rotate(20, &mut rng).unwrap();
        let third = k.rotate(30, &mut rng).unwrap();
        let w3 = k
            .wrap_dek(&Dek::generate(&mut rng), b"c", &mut rng)
            .unwrap();

        let bytes = k.seal(&r, &mut rng).unwrap().to_bytes();
        assert_eq!(bytes.len(), 1 + 2 + 24 + 4 + 3 * RECORD_LEN + 16);
        let opened = SealedKeyring::from_bytes(&bytes).unwrap().open(&r).unwrap();
        let summary = |k: &Keyring| -> Vec<(KekId, u64, Option<u64>, bool)> {
            k.records()
                .map(|r| (r.id(), r.created_ms(), r.rotated_ms(), r.is_active()))
                .collect()
        };
        assert_eq!(summary(&opened), summary(&k));
        assert_eq!(
            summary(&opened),
            vec![
                (first, 10, Some(20), false),
                (second, 20, Some(30), false),
                (third, 30, None, true)
            ]
        );
        // Same keys: wraps made before sealing open after.
        assert_eq!(
            opened.unwrap_dek(&w1, b"a").unwrap().expose_secret(),
            k.unwrap_dek(&w1, b"a").unwrap().expose_secret()
        );
        assert!(opened.unwrap_dek(&w3, b"c").is_ok());
    }

    #[test]
    fn wrong_root_key_fails_typed() {
        let mut rng = os_rng();
        let sealed = Keyring::new(1, &mut rng).seal(&root(1), &mut rng).unwrap();
        assert_eq!(
            sealed.open(&root(2)).unwrap_err(),
            KeyringError::Decrypt("sealed keyring")
        );
        assert!(sealed.open(&root(1)).is_ok());
    }

    #[test]
    fn every_tampered_byte_is_refused() {
        let mut rng = os_rng();
        let r = root(1);
        let mut k = Keyring::new(1, &mut rng);
        k.rotate(2, &mut rng).unwrap();
        let bytes = k.seal(&r, &mut rng).unwrap().to_bytes();
        for i in 0..bytes.len() {
            let mut t = bytes.clone();
            t[i] ^= 0x80;
            let err = SealedKeyring::from_bytes(&t)
                .and_then(|s| s.open(&r))
                .unwrap_err();
            match i {
                0 => assert_eq!(
                    err,
                    KeyringError::UnsupportedVersion {
                        what: "sealed keyring",
                        version: 0x81
                    }
                ),
                1 => assert!(matches!(err, KeyringError::UnsupportedVersion { .. })),
                2 => assert_eq!(err, KeyringError::UnsupportedAlgorithm(0x81)),
                _ => assert_eq!(err, KeyringError::Decrypt("sealed keyring"), "byte {i}"),
            }
        }
    }

    #[test]
    fn truncated_or_extended_blobs_are_refused() {
        let mut rng = os_rng();
        let r = root(1);
        let bytes = Keyring::new(1, &mut rng)
            .seal(&r, &mut rng)
            .unwrap()
            .to_bytes();
        assert!(matches!(
            SealedKeyring::from_bytes(&[]),
            Err(KeyringError::Malformed { .. })
        ));
        for len in [1, 2, 3, 20, 42, bytes.len() - 1] {
            assert!(
                matches!(
                    SealedKeyring::from_bytes(&bytes[..len]),
                    Err(KeyringError::Malformed { .. })
                ),
                "{len}"
            );
        }
        let mut longer = bytes.clone();
        longer.extend_from_slice(&[0; RECORD_LEN]);
        assert_eq!(
            SealedKeyring::from_bytes(&longer)
                .unwrap()
                .open(&r)
                .unwrap_err(),
            KeyringError::Decrypt("sealed keyring")
        );
    }

    #[test]
    fn opened_plaintext_invariants_are_enforced() {
        let r = root(4);
        let active = record(1, 0x11, 5, STATE_ACTIVE, 0);
        let old = record(2, 0x22, 1, STATE_INACTIVE, 5);
        // The honest shape opens.
        let ok = seal_plain(&r, &plain(&[&old, &active])).open(&r).unwrap();
        assert_eq!(ok.active_id(), KekId::from_bytes([1; 16]));
        assert_eq!(ok.kek_count(), 2);

        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![], "truncated"),
            (plain(&[]), "KEK count out of range"),
            (
                {
                    let mut p = plain(&[&active]);
                    p.push(0);
                    p
                },
                "length does not match the KEK count",
            ),
            (
                {
                    let mut p = plain(&[&active, &old]);
                    p[3] = 1;
                    p
                },
                "length does not match the KEK count",
            ),
            (
                {
                    let mut p = plain(&[&active]);
                    p[..4].copy_from_slice(&(MAX_KEKS as u32 + 1).to_be_bytes());
                    p
                },
                "KEK count out of range",
            ),
            (plain(&[&old]), "no active KEK"),
            (
                plain(&[&active, &record(3, 0x33, 6, STATE_ACTIVE, 0)]),
                "more than one active KEK",
            ),
            (
                plain(&[&active, &record(1, 0x33, 1, STATE_INACTIVE, 2)]),
                "duplicate KEK id",
            ),
            (
                plain(&[&record(1, 0x11, 5, STATE_ACTIVE, 7)]),
                "the active KEK has a rotation time",
            ),
            (
                plain(&[&active, &record(3, 0x33, 1, 2, 2)]),
                "unknown KEK state",
            ),
            (
                plain(&[&record(1, 0x00, 5, STATE_ACTIVE, 0)]),
                "an all-zero KEK",
            ),
        ];
        for (p, reason) in cases {
            assert_eq!(
                seal_plain(&r, &p).open(&r).unwrap_err(),
                KeyringError::Malformed {
                    what: "keyring",
                    reason
                },
                "{reason}"
            );
        }
    }

    #[test]
    fn rotation_keeps_old_keks_for_unwrapping() {
        let mut rng = os_rng();
        let mut k = Keyring::new(100, &mut rng);
        let first = k.active_id();
        let dek = Dek::generate(&mut rng);
        let old = k.wrap_dek(&dek, b"obj", &mut rng).unwrap();
        assert_eq!(old.kek_id(), first);

        let second = k.rotate(200, &mut rng).unwrap();
        assert_ne!(first, second);
        assert_eq!(k.active_id(), second);
        assert_eq!(k.kek_count(), 2);
        let was = k.get(&first).unwrap();
        assert!(!was.is_active());
        assert_eq!((was.created_ms(), was.rotated_ms()), (100, Some(200)));
        let now = k.get(&second).unwrap();
        assert!(now.is_active());
        assert_eq!((now.created_ms(), now.rotated_ms()), (200, None));

        // Old wraps still open; new ones go under the new KEK.
        assert!(k.unwrap_dek(&old, b"obj").unwrap() == dek);
        let fresh = k.wrap_dek(&dek, b"obj", &mut rng).unwrap();
        assert_eq!(fresh.kek_id(), second);

        // Rewrap moves the old wrap to the new KEK; the DEK is unchanged.
        let moved = k.rewrap(&old, b"obj", &mut rng).unwrap().unwrap();
        assert_eq!(moved.kek_id(), second);
        assert!(k.unwrap_dek(&moved, b"obj").unwrap() == dek);
        // Already on the active KEK: nothing to do.
        assert_eq!(k.rewrap(&moved, b"obj", &mut rng).unwrap(), None);
        // Rewrap authenticates before it moves: wrong object id is refused.
        assert_eq!(
            k.rewrap(&old, b"other", &mut rng).unwrap_err(),
            KeyringError::Decrypt("wrapped DEK")
        );
    }

    #[test]
    fn retire_removes_only_inactive_keks() {
        let mut rng = os_rng();
        let mut k = Keyring::new(1, &mut rng);
        let first = k.active_id();
        let old = k
            .wrap_dek(&Dek::generate(&mut rng), b"o", &mut rng)
            .unwrap();
        assert!(matches!(
            k.retire(&first),
            Err(KeyringError::InvalidArgument(_))
        ));
        k.rotate(2, &mut rng).unwrap();
        let stranger = KekId::generate(&mut rng);
        assert_eq!(k.retire(&stranger), Err(KeyringError::UnknownKek(stranger)));
        k.retire(&first).unwrap();
        assert_eq!(k.kek_count(), 1);
        assert!(k.get(&first).is_none());
        assert_eq!(
            k.unwrap_dek(&old, b"o").unwrap_err(),
            KeyringError::UnknownKek(first)
        );
        assert_eq!(k.retire(&first), Err(KeyringError::UnknownKek(first)));
    }

    #[test]
    fn kek_count_is_capped_and_a_full_keyring_round_trips() {
        let mut rng = os_rng();
        let r = root(9);
        let mut k = Keyring::new(0, &mut rng);
        for t in 1..MAX_KEKS as u64 {
            k.rotate(t, &mut rng).unwrap();
        }
        assert_eq!(k.kek_count(), MAX_KEKS);
        assert_eq!(
            k.rotate(0, &mut rng).unwrap_err(),
            KeyringError::TooManyKeks { max: MAX_KEKS }
        );
        let opened = SealedKeyring::from_bytes(&k.seal(&r, &mut rng).unwrap().to_bytes())
            .unwrap()
            .open(&r)
            .unwrap();
        assert_eq!(opened.kek_count(), MAX_KEKS);
        assert_eq!(opened.active_id(), k.active_id());
    }

    #[test]
    fn a_repeating_rng_is_refused_not_trusted() {
        /// Always the same bytes: every "random" id repeats.
        struct Stuck;
        impl rand_core::TryRng for Stuck {
            type Error = core::convert::Infallible;
            fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
                Ok(7)
            }
            fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
                Ok(7)
            }
            fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
                dst.fill(7);
                Ok(())
            }
        }
        impl rand_core::TryCryptoRng for Stuck {}
        let mut k = Keyring::new(0, &mut Stuck);
        assert!(matches!(
            k.rotate(1, &mut Stuck),
            Err(KeyringError::InvalidArgument(_))
        ));
        assert_eq!(k.kek_count(), 1);
    }

    /// The layout and associated data of `docs/format.md` §17.2, rebuilt by
    /// hand and opened with the raw AEAD.
    #[test]
    fn layout_matches_the_format_document() {
        let mut rng = os_rng();
        let r = root(0x31);
        let k = Keyring::new(0x0102_0304_0506_0708, &mut rng);
        let b = k.seal(&r, &mut rng).unwrap().to_bytes();
        assert_eq!(&b[..3], &[1, 1, 1]);
        let (nonce, rest) = b[3..].split_at(24);
        let (ct, tag) = rest.split_at(rest.len() - 16);
        let seal_key = crate::kdf::hkdf_sha256(None, &[0x31; 32], b"VLT1 server keyring seal");
        let mut pt = vec![0u8; ct.len()];
        crate::primitives::xchacha20poly1305_open(
            seal_key.expose_secret(),
            nonce,
            b"VLT1\x01\x01\x0f\x01",
            ct,
            tag,
            &mut pt,
        )
        .unwrap();
        assert_eq!(pt.len(), 4 + RECORD_LEN);
        assert_eq!(&pt[..4], &[0, 0, 0, 1]);
        assert_eq!(&pt[4..20], k.active_id().as_bytes());
        assert_eq!(&pt[20..52], k.active.kek.key().expose_secret());
        assert_eq!(&pt[52..60], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(pt[60], STATE_ACTIVE);
        assert_eq!(&pt[61..69], &[0; 8]);
    }

    #[test]
    fn debug_shows_no_key_bytes() {
        let mut rng = os_rng();
        let mut k = Keyring::new(1, &mut rng);
        k.rotate(2, &mut rng).unwrap();
        let sealed = k.seal(&root(1), &mut rng).unwrap();
        let dbg = format!(
            "{k:?} {k:#?} {:?} {sealed:?} {:?}",
            k.records().collect::<Vec<_>>(),
            WrappedDek::from_bytes(
                &k.wrap_dek(&Dek::generate(&mut rng), b"o", &mut rng)
                    .unwrap()
                    .to_bytes()
            )
            .unwrap()
        );
        for r in k.records() {
            let key = hex::encode(r.kek.key().expose_secret());
            assert!(!dbg.contains(&key));
            assert!(!dbg.contains(&key[..16]));
        }
        assert!(dbg.contains(&k.active_id().to_hex()));
    }
}
