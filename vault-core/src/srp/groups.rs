//! The SRP groups of RFC 5054 Appendix A, and their precomputed Montgomery
//! parameters.
//!
//! The 3072- and 4096-bit moduli are the RFC 3526 MODP primes (groups 15 and
//! 16) with generator 5. They were checked against their definition
//! (`2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) * pi) + c)`) when
//! transcribed; the RFC 5054 Appendix B vectors and the interop tests against
//! the RustCrypto `srp` crate would also fail on any transcription error.

use crate::error::{Error, Result};
use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, Odd};
use std::sync::OnceLock;

/// An SRP group (safe prime `N` and generator `g`) from RFC 5054 Appendix A.
///
/// The wire name is what JSON carries in `group` fields.
///
/// ```
/// use vault_core::srp::SrpGroup;
/// assert_eq!(SrpGroup::default(), SrpGroup::Rfc5054_3072);
/// assert_eq!(SrpGroup::Rfc5054_4096.modulus_len(), 512);
/// assert_eq!(SrpGroup::Rfc5054_3072.name(), "rfc5054-3072");
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[non_exhaustive]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SrpGroup {
    /// RFC 5054 3072-bit group, `g = 5`. The default for new accounts.
    #[default]
    #[serde(rename = "rfc5054-3072")]
    Rfc5054_3072,
    /// RFC 5054 4096-bit group, `g = 5`.
    #[serde(rename = "rfc5054-4096")]
    Rfc5054_4096,
    /// RFC 5054 1024-bit group, `g = 2`. Far too small for real use: it
    /// exists only so the RFC 5054 Appendix B vectors run through the real
    /// code paths, and only with the `hazmat` feature.
    #[cfg_attr(feature = "ts", ts(skip))]
    #[cfg(feature = "hazmat")]
    #[serde(rename = "rfc5054-1024-insecure-test-only")]
    Rfc5054_1024InsecureTestOnly,
}

const N_1024: &str = concat!(
    "EEAF0AB9ADB38DD69C33F80AFA8FC5E86072618775FF3C0B9EA2314C9C256576",
    "D674DF7496EA81D3383B4813D692C6E0E0D5D8E250B98BE48E495C1D6089DAD1",
    "5DC7D7B46154D6B6CE8EF4AD69B15D4982559B297BCF1885C529F566660E57EC",
    "68EDBC3C05726CC02FD4CBF4976EAA9AFD5138FE8376435B9FC61D2FC0EB06E3",
);

const N_3072: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33",
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864",
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2",
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);

const N_4096: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33",
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864",
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2",
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7",
    "88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8",
    "DBBBC2DB04DE8EF92E8EFC141FBECAA6287C59474E6BC05D99B2964FA090C3A2",
    "233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9",
    "93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C934063199FFFFFFFFFFFFFFFF",
);

/// A group's constants in the forms the arithmetic needs, built once.
pub(crate) struct GroupParams {
    /// Montgomery parameters for arithmetic modulo `N`.
    pub(crate) monty: BoxedMontyParams,
    /// `N` big-endian, `len(N)` bytes.
    pub(crate) n_bytes: Vec<u8>,
    /// `g` in Montgomery form.
    pub(crate) g: BoxedMontyForm,
    /// `PAD(g)`: `g` big-endian, left-padded to `len(N)` bytes.
    pub(crate) g_padded: Vec<u8>,
    /// Bit length (and precision) of `N`; a multiple of 64 for every group here.
    pub(crate) bits: u32,
    /// Fixed-base table for `g^e` (see [`super::math::g_pow_fixed`]): for each
    /// 4-bit window `i` of an exponent of up to [`super::EPHEMERAL_LEN`] bytes,
    /// `g^(j * 16^i)` for `j = 1..=15`, in Montgomery form.
    pub(crate) g_table: Vec<BoxedUint>,
}

impl SrpGroup {
    /// The JSON name of the group (`rfc5054-3072`, `rfc5054-4096`).
    pub fn name(self) -> &'static str {
        match self {
            SrpGroup::Rfc5054_3072 => "rfc5054-3072",
            SrpGroup::Rfc5054_4096 => "rfc5054-4096",
            #[cfg(feature = "hazmat")]
            SrpGroup::Rfc5054_1024InsecureTestOnly => "rfc5054-1024-insecure-test-only",
        }
    }

    /// `len(N)` in bytes: the fixed length of `A`, `B` and verifiers on the wire.
    pub fn modulus_len(self) -> usize {
        self.bits() as usize / 8
    }

    /// The bit length of `N`.
    pub fn bits(self) -> u32 {
        match self {
            SrpGroup::Rfc5054_3072 => 3072,
            SrpGroup::Rfc5054_4096 => 4096,
            #[cfg(feature = "hazmat")]
            SrpGroup::Rfc5054_1024InsecureTestOnly => 1024,
        }
    }

    /// The generator `g`.
    pub fn generator(self) -> u8 {
        match self {
            SrpGroup::Rfc5054_3072 | SrpGroup::Rfc5054_4096 => 5,
            #[cfg(feature = "hazmat")]
            SrpGroup::Rfc5054_1024InsecureTestOnly => 2,
        }
    }

    /// The modulus `N`, big-endian, exactly [`SrpGroup::modulus_len`] bytes.
    pub fn modulus(self) -> Result<&'static [u8]> {
        Ok(&self.params()?.n_bytes)
    }

    fn modulus_hex(self) -> &'static str {
        match self {
            SrpGroup::Rfc5054_3072 => N_3072,
            SrpGroup::Rfc5054_4096 => N_4096,
            #[cfg(feature = "hazmat")]
            SrpGroup::Rfc5054_1024InsecureTestOnly => N_1024,
        }
    }

    /// The precomputed parameters, built on first use and shared afterwards
    /// (building them costs about one modular squaring chain).
    pub(crate) fn params(self) -> Result<&'static GroupParams> {
        static P3072: OnceLock<Option<GroupParams>> = OnceLock::new();
        static P4096: OnceLock<Option<GroupParams>> = OnceLock::new();
        #[cfg(feature = "hazmat")]
        static P1024: OnceLock<Option<GroupParams>> = OnceLock::new();
        let cell = match self {
            SrpGroup::Rfc5054_3072 => &P3072,
            SrpGroup::Rfc5054_4096 => &P4096,
            #[cfg(feature = "hazmat")]
            SrpGroup::Rfc5054_1024InsecureTestOnly => &P1024,
        };
        cell.get_or_init(|| build(self))
            .as_ref()
            // Unreachable with the constants above; a unit test builds every group.
            .ok_or(Error::InvalidArgument("SRP group constants failed to load"))
    }
}

// N_1024 is referenced only with `hazmat`; keep it compiled (and checked) always.
const _: &str = N_1024;

fn build(group: SrpGroup) -> Option<GroupParams> {
    let bits = group.bits();
    let n = BoxedUint::from_be_hex(group.modulus_hex(), bits).into_option()?;
    let odd = Odd::new(n.clone()).into_option()?;
    // N is public, so the faster variable-time setup is fine.
    let monty = BoxedMontyParams::new_vartime(odd);
    let g_int = BoxedUint::from_be_slice(&[group.generator()], bits).ok()?;
    let g = BoxedMontyForm::new(g_int.clone(), &monty);
    let g_table = super::math::fixed_base_table(&g);
    Some(GroupParams {
        monty,
        n_bytes: n.to_be_bytes().into_vec(),
        g,
        g_padded: g_int.to_be_bytes().into_vec(),
        bits,
        g_table,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_group_builds() {
        let mut groups = vec![SrpGroup::Rfc5054_3072, SrpGroup::Rfc5054_4096];
        #[cfg(feature = "hazmat")]
        groups.push(SrpGroup::Rfc5054_1024InsecureTestOnly);
        for g in groups {
            let p = g.params().unwrap();
            assert_eq!(p.n_bytes.len(), g.modulus_len());
            assert_eq!(p.g_padded.len(), g.modulus_len());
            assert_eq!(p.g_padded.last(), Some(&g.generator()));
            assert_eq!(
                p.n_bytes.first(),
                Some(&if g.bits() == 1024 { 0xEE } else { 0xFF })
            );
        }
    }
}
