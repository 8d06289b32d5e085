//! `identifiers.json`: account identifiers in their canonical form
//! (`vault_core::identifier::normalize_identifier`, docs/format.md §15).
//!
//! Every accepted input carries the canonical form it normalises to (and
//! normalising that again must return it unchanged); every `fail_*` input
//! carries the error code. Generation fails if a case named as accepted is
//! refused, a `fail_*` case is accepted, or a canonical form is not a fixed
//! point, so a change of the rule cannot slip into the file unnoticed.

use serde_json::{Value, json};
use vault_core::identifier::{MAX_IDENTIFIER_BYTES, normalize_identifier};
use vault_core::*;

use super::{err_code, file};

/// `(name, input)`; names starting `fail_` must be refused.
fn cases() -> Vec<(&'static str, String)> {
    let s = |t: &str| t.to_owned();
    // 254 fullwidth letters (762 bytes) + "@x": 256 bytes after width mapping.
    let fullwidth_fits = format!("{}@x", "\u{ff41}".repeat(MAX_IDENTIFIER_BYTES - 2));
    vec![
        // ---- accepted ----------------------------------------------------
        ("ascii_already_canonical", s("alice@example.com")),
        ("plain_username", s("alice")),
        ("digits_and_punctuation", s("bob_smith-2+vault@example.com")),
        ("upper_case", s("Alice@Example.COM")),
        (
            "fullwidth",
            s("\u{ff41}\u{ff4c}\u{ff49}\u{ff43}\u{ff45}@example.com"),
        ),
        (
            "fullwidth_at_sign_and_full_stop",
            s("\u{ff21}\u{ff2c}\u{ff29}\u{ff23}\u{ff25}\u{ff20}example\u{ff0e}com"),
        ),
        (
            "halfwidth_katakana",
            s("\u{ff80}\u{ff9b}\u{ff73}@example.jp"),
        ),
        ("nfd_to_nfc", s("ali\u{301}ce@example.com")),
        ("nfc_unchanged", s("al\u{ed}ce@example.com")),
        ("upper_case_accented", s("JOS\u{c9}@EXAMPLE.ES")),
        ("sharp_s_is_not_folded", s("STRA\u{df}E@example.de")),
        ("idn_label_nfd", s("alice@mu\u{308}nchen.de")),
        ("idn_label_upper", s("ALICE@M\u{dc}NCHEN.DE")),
        (
            "greek_domain",
            s("alice@\u{3c0}\u{3b1}\u{3c1}\u{3ac}\u{3b4}\u{3b5}\u{3b9}\u{3b3}\u{3bc}\u{3b1}.gr"),
        ),
        (
            "cyrillic_name_latin_domain",
            s("\u{438}\u{432}\u{430}\u{43d}@example.com"),
        ),
        (
            "cyrillic_upper_case",
            s("\u{418}\u{412}\u{410}\u{41d}@EXAMPLE.COM"),
        ),
        (
            "cyrillic_domain",
            s("ivan@\u{43f}\u{440}\u{438}\u{43c}\u{435}\u{440}.\u{440}\u{444}"),
        ),
        ("han_and_latin", s("\u{5c71}\u{7530}taro@example.jp")),
        ("hiragana", s("\u{3084}\u{307e}\u{3060}@example.jp")),
        (
            "han_and_hiragana",
            s("\u{5c71}\u{7530}\u{305f}\u{308d}\u{3046}@example.jp"),
        ),
        (
            "katakana_han_latin",
            s("\u{30bf}\u{30ed}\u{30a6}\u{5c71}\u{7530}taro@example.jp"),
        ),
        ("hangul", s("\u{ae40}\u{bbfc}\u{c218}@example.kr")),
        (
            "hangul_and_latin",
            s("\u{ae40}\u{bbfc}\u{c218}kim@example.kr"),
        ),
        ("han_and_hangul", s("\u{91d1}\u{bbfc}\u{c218}@example.kr")),
        (
            "han_and_bopomofo",
            s("\u{4e2d}\u{6587}\u{3105}\u{3106}@example.tw"),
        ),
        ("hebrew_alone", s("\u{5e9}\u{5dc}\u{5d5}\u{5dd}")),
        // Lower case code point by code point: no final sigma.
        (
            "greek_upper_case_no_final_sigma",
            s("\u{39f}\u{394}\u{3a5}\u{3a3}\u{3a3}\u{395}\u{3a5}\u{3a3}"),
        ),
        ("turkish_dotted_capital_i", s("\u{130}STANBUL@example.tr")),
        ("arabic_alone", s("\u{645}\u{62d}\u{645}\u{62f}")),
        (
            "catalan_middle_dot_between_l",
            s("col\u{b7}lega@example.cat"),
        ),
        // Whole-script look-alikes are not refused (compare fingerprints).
        (
            "cyrillic_whole_script_lookalike",
            s("\u{430}\u{441}\u{435}@example.com"),
        ),
        ("long_fullwidth_fits_after_mapping", fullwidth_fits),
        (
            "exactly_256_bytes",
            format!("{}@x", "a".repeat(MAX_IDENTIFIER_BYTES - 2)),
        ),
        // ---- refused -----------------------------------------------------
        (
            "fail_cyrillic_letter_in_latin_name",
            s("\u{430}lice@example.com"),
        ),
        (
            "fail_greek_letter_in_latin_name",
            s("\u{3b1}lice@example.com"),
        ),
        (
            "fail_cyrillic_letter_in_latin_domain",
            s("alice@ex\u{430}mple.com"),
        ),
        (
            "fail_hangul_with_hiragana",
            s("\u{ae40}\u{3084}\u{307e}@example.jp"),
        ),
        ("fail_zero_width_space", s("alice\u{200b}@example.com")),
        ("fail_zero_width_joiner", s("alice\u{200d}@example.com")),
        ("fail_zero_width_non_joiner", s("alice\u{200c}@example.com")),
        ("fail_bidi_override", s("alice\u{202e}@example.com")),
        ("fail_space", s("alice smith@example.com")),
        ("fail_no_break_space", s("alice\u{a0}smith@example.com")),
        ("fail_control_newline", s("alice\n@example.com")),
        ("fail_control_nul", s("alice\u{0}@example.com")),
        ("fail_empty", s("")),
        (
            "fail_over_256_bytes",
            format!("{}@x", "a".repeat(MAX_IDENTIFIER_BYTES - 1)),
        ),
        (
            "fail_over_256_bytes_after_mapping",
            format!("{}@x", "\u{ff41}".repeat(MAX_IDENTIFIER_BYTES - 1)),
        ),
        ("fail_unassigned_code_point", s("alice\u{378}@example.com")),
        (
            "fail_hebrew_name_at_latin_domain",
            s("\u{5e9}\u{5dc}\u{5d5}\u{5dd}@example.com"),
        ),
        ("fail_kelvin_sign", s("\u{212a}elvin@example.com")),
        ("fail_angstrom_sign", s("\u{212b}sa@example.com")),
        ("fail_ligature", s("\u{fb01}nance@example.com")),
        ("fail_emoji", s("alice\u{1f600}@example.com")),
        (
            "fail_assigned_after_unicode_6_3",
            s("\u{ab30}lice@example.com"),
        ),
        ("fail_private_use", s("alice\u{e000}@example.com")),
        (
            "fail_middle_dot_not_between_l",
            s("co\u{b7}lega@example.cat"),
        ),
        ("fail_ideographic_full_stop", s("alice\u{3002}example")),
        // Conjoining jamo (Hangul_Syllable_Type L, V, T) are disallowed, so
        // decomposed Hangul is refused rather than composed.
        (
            "fail_conjoining_hangul_jamo",
            s("\u{1100}\u{1161}\u{11a8}@example.kr"),
        ),
    ]
}

/// Every vector of `identifiers.json`.
pub(crate) fn identifier_vectors() -> Result<super::VectorFile> {
    let mut v: Vec<Value> = Vec::new();
    for (name, input) in cases() {
        let got = normalize_identifier(&input);
        if name.starts_with("fail_") {
            if got.is_ok() {
                return Err(Error::InvalidArgument("a fail_ identifier was accepted"));
            }
            v.push(json!({"name": name, "input": input, "error": err_code(got)}));
        } else {
            let canonical = got?;
            if normalize_identifier(&canonical)? != canonical {
                return Err(Error::InvalidArgument(
                    "canonical identifier not a fixed point",
                ));
            }
            v.push(json!({"name": name, "input": input, "canonical": canonical}));
        }
    }
    Ok(file(
        "identifiers",
        "Account identifiers (docs/format.md §15): vault_core::identifier::normalize_identifier(input) returns `canonical` (and normalize_identifier(canonical) returns it unchanged), or for fail_* vectors fails with `error`. The rule: PRECIS UsernameCaseMapped (RFC 8265 §3.3, derived properties of Unicode 6.3.0: width mapping, IdentifierClass check, per-code-point lower case, NFC, bidi rule), at most 256 UTF-8 bytes after mapping, and one script per label between '@' and '.' (UTS #39 Highly Restrictive: one script, or Latin with the Japanese, Korean or Chinese Han combinations).",
        v,
    ))
}
