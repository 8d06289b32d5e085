//! Account identifiers in one canonical form, so that look-alikes are one
//! account or none.
//!
//! An identifier (usually an email address) is what people type to log in
//! and to find each other. Unicode offers many ways to spell what looks
//! like the same name: `ALICE@` and `alice@`, a fullwidth `ａｌｉｃｅ@`,
//! `alíce` composed (NFC) or decomposed (NFD), an invisible zero-width space
//! inside, or a Cyrillic `а` in a Latin word. Without a canonical form each
//! becomes its own account, which invites impersonation ("share with
//! аlice@…"). [`normalize_identifier`] is the one rule, used by the client
//! before it derives anything from the identifier (SRP's `x`, OPAQUE's
//! credential identifier), by the server for every lookup and throttle
//! key, by the CLI and by every binding.
//!
//! # The rule
//!
//! 1. **PRECIS UsernameCaseMapped** (RFC 8265 §3.3), via the `precis-profiles`
//!    crate (the maintained Rust implementation of RFC 8264/8265): width
//!    mapping (fullwidth and halfwidth forms to their ordinary ones), case
//!    mapping to lower case, NFC, the bidi rule, and the IdentifierClass,
//!    which refuses spaces, controls, invisible format characters (zero-width
//!    space and joiners, bidi overrides) and unassigned code points.
//! 2. **One script per label** (Unicode TS #39 §5.2, "Highly Restrictive",
//!    applied to each part between `@` and `.`, as IDNA treats domain
//!    labels): a part's letters come from a single script, or Latin
//!    together with Han and Hiragana/Katakana (Japanese), Han and Hangul
//!    (Korean), or Han and Bopomofo (Chinese). Common characters (digits,
//!    `-`, `_`) fit any script. This refuses `аlice@…` (a Cyrillic `а` in a
//!    Latin name) while allowing `иван@example.ru` and `山田taro@example.jp`.
//!    PRECIS alone allows mixed scripts, so both steps are needed. Whole-
//!    script look-alikes (a name spelled entirely in Cyrillic letters that
//!    look Latin) are not refused: comparing identity fingerprints before
//!    sharing is the defence there.
//! 3. At most [`MAX_IDENTIFIER_BYTES`] bytes of UTF-8 after normalising.
//!
//! Why PRECIS and not NFKC + case folding: PRECIS is the IETF profile for
//! exactly this (usernames in authentication protocols), it is stable across
//! Unicode versions by construction (derived properties, unassigned code
//! points refused), and it preserves the characters people actually type
//! (NFKC would also rewrite `ﬁ` and superscripts, which PRECIS refuses
//! rather than silently maps).
//!
//! ```
//! use vault_core::identifier::normalize_identifier;
//! assert_eq!(normalize_identifier("Alice@Example.COM").unwrap(), "alice@example.com");
//! assert_eq!(normalize_identifier("ａｌｉｃｅ@example.com").unwrap(), "alice@example.com");
//! assert_eq!(normalize_identifier("ali\u{301}ce@x").unwrap(), "al\u{ed}ce@x"); // NFD → NFC
//! assert!(normalize_identifier("alice\u{200b}@x").is_err()); // zero-width space
//! assert!(normalize_identifier("\u{430}lice@x").is_err()); // Cyrillic а + Latin
//! assert!(normalize_identifier("").is_err());
//! ```

use crate::error::{Error, Result};
use precis_core::profile::PrecisFastInvocation;
use unicode_script::Script;
use unicode_security::mixed_script::AugmentedScriptSet;

/// Longest identifier, in UTF-8 bytes, after normalising.
pub const MAX_IDENTIFIER_BYTES: usize = 256;

/// The canonical form of an account identifier (see the module docs), or
/// [`Error::Malformed`] saying what is wrong with it. Idempotent:
/// normalising a canonical identifier returns it unchanged.
pub fn normalize_identifier(input: &str) -> Result<String> {
    if input.is_empty() {
        return Err(Error::malformed("identifier", "empty"));
    }
    // Bound the work before PRECIS runs (it allocates per step).
    if input.len() > 4 * MAX_IDENTIFIER_BYTES {
        return Err(Error::malformed("identifier", "longer than 256 bytes"));
    }
    let canonical = precis_profiles::UsernameCaseMapped::enforce(input)
        .map_err(|e| Error::malformed("identifier", precis_reason(&e)))?
        .into_owned();
    if canonical.len() > MAX_IDENTIFIER_BYTES {
        return Err(Error::malformed("identifier", "longer than 256 bytes"));
    }
    // Per label, as IDNA treats domains: `иван@example.ru` is a Cyrillic
    // name at a Latin domain, `аlice@` a Cyrillic letter inside a Latin
    // name.
    if !canonical.split(['@', '.']).all(single_script) {
        return Err(Error::malformed(
            "identifier",
            "mixes letters of different scripts (e.g. Cyrillic in a Latin name)",
        ));
    }
    Ok(canonical)
}

/// Whether `c` would mislead a person reading a free-text label (a service
/// name, a software version, an identifier typed by hand): a control
/// character, or an invisible direction, joiner or byte-order mark. One rule
/// for every label the server shows to people.
///
/// ```
/// use vault_core::identifier::is_deceptive_char;
/// assert!(is_deceptive_char('\u{202e}')); // right-to-left override
/// assert!(is_deceptive_char('\u{200b}')); // zero-width space
/// assert!(is_deceptive_char('\n'));
/// assert!(!is_deceptive_char('é'));
/// ```
pub fn is_deceptive_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}'
        )
}

/// Whether two spellings name the same account.
///
/// ```
/// assert!(vault_core::identifier::same_identifier("Bob@X.org", "bob@x.org"));
/// assert!(!vault_core::identifier::same_identifier("bob@x.org", "b\u{43e}b@x.org"));
/// ```
pub fn same_identifier(a: &str, b: &str) -> bool {
    matches!((normalize_identifier(a), normalize_identifier(b)), (Ok(x), Ok(y)) if x == y)
}

/// UTS #39 "Highly Restrictive": a single script, or Latin plus one of the
/// CJK combinations (Japanese, Korean, Chinese with Bopomofo).
fn single_script(s: &str) -> bool {
    let mut all = AugmentedScriptSet::default();
    let mut without_latin = AugmentedScriptSet::default();
    for c in s.chars() {
        let set = AugmentedScriptSet::for_char(c);
        let latin = set.base.contains_script(Script::Latin);
        all.intersect_with(AugmentedScriptSet::for_char(c));
        if !latin {
            without_latin.intersect_with(set);
        }
    }
    !all.is_empty() || without_latin.jpan || without_latin.kore || without_latin.hanb
}

/// What PRECIS refused, in words (never the input itself).
fn precis_reason(e: &precis_core::Error) -> &'static str {
    match e {
        precis_core::Error::Invalid => {
            "not a valid identifier (empty after mapping, or fails the bidi rule)"
        }
        precis_core::Error::BadCodepoint(_) => {
            "contains a character identifiers may not have (space, control, invisible or unassigned)"
        }
        _ => "not a valid identifier",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn look_alikes_are_one_account_or_none() {
        let alice = normalize_identifier("alice@example.com").unwrap();
        for same in [
            "ALICE@example.com",
            "Alice@Example.Com",
            "\u{ff41}\u{ff4c}\u{ff49}\u{ff43}\u{ff45}@example.com", // fullwidth
        ] {
            assert_eq!(normalize_identifier(same).unwrap(), alice, "{same:?}");
        }
        assert_eq!(
            normalize_identifier("ali\u{301}ce@x").unwrap(),
            normalize_identifier("al\u{ed}ce@x").unwrap()
        );
        for refused in [
            "\u{430}lice@example.com", // Cyrillic а
            "alice\u{200b}@example.com",
            "alice\u{200d}@example.com",
            "alice\u{202e}@example.com",
            "alice @example.com",
            "alice\n@example.com",
            "",
        ] {
            assert!(normalize_identifier(refused).is_err(), "{refused:?}");
        }
    }

    #[test]
    fn single_scripts_and_cjk_mixes_are_allowed() {
        for ok in [
            "\u{5c71}\u{7530}taro@example.jp",         // Han + Latin
            "\u{3084}\u{307e}\u{3060}@example.jp",     // Hiragana
            "\u{43f}\u{435}\u{442}\u{44f}@example.ru", // all Cyrillic letters
            "jos\u{e9}@example.com",
            "bob_smith-2@example.com",
        ] {
            let n = normalize_identifier(ok).unwrap();
            assert_eq!(normalize_identifier(&n).unwrap(), n, "idempotent: {ok:?}");
        }
    }

    #[test]
    fn length_is_bounded() {
        let long = format!("{}@x", "a".repeat(300));
        assert!(normalize_identifier(&long).is_err());
        let fits = format!("{}@x", "a".repeat(250));
        assert!(normalize_identifier(&fits).is_ok());
    }
}
