//! Property tests: every encoder/decoder round-trips, and tampering is
//! detected (any bit of any envelope byte, any bit of the associated data,
//! any field of a `Context`, any typed character of a Secret Key or share).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use proptest::array::{uniform16, uniform32};
use proptest::collection::vec;
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use vault_core::envelope::{open_raw, seal_raw_context};
use vault_core::shamir;
use vault_core::{
    AccountId, Algorithm, Context, CustomField, EncryptedAccount, EncryptedItem, EncryptedVault,
    EnvEntry, Envelope, Error, FieldKind, Item, ItemData, ItemId, KdfConfig, KdfParams, KdfPolicy,
    KdfSalt, Overview, PublicIdentity, Role, SecretKey, SecretString, Share, SymmetricKey,
    UnlockedAccount, VaultGrant, VaultId, VaultKey, VaultMeta, WrappedVaultKey,
};

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Shrunk failures go to tests/properties.proptest-regressions.
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..ProptestConfig::default()
    }
}

// ------------------------------------------------------------ strategies

fn arb_alg() -> impl Strategy<Value = Algorithm> {
    prop_oneof![
        Just(Algorithm::XChaCha20Poly1305),
        Just(Algorithm::Aes256Gcm)
    ]
}

fn arb_context() -> impl Strategy<Value = Context> {
    let a = || uniform16(any::<u8>());
    prop_oneof![
        a().prop_map(|x| Context::AccountKey {
            account: AccountId(x)
        }),
        a().prop_map(|x| Context::IdentityKeys {
            account: AccountId(x)
        }),
        (a(), a(), any::<u32>()).prop_map(|(x, y, n)| Context::VaultKey {
            account: AccountId(x),
            vault: VaultId(y),
            key_version: n
        }),
        (a(), any::<u32>()).prop_map(|(x, n)| Context::VaultMeta {
            vault: VaultId(x),
            key_version: n
        }),
        (a(), a(), any::<u32>()).prop_map(|(x, y, n)| Context::ItemKey {
            vault: VaultId(x),
            item: ItemId(y),
            key_version: n
        }),
        (a(), a(), any::<u64>()).prop_map(|(x, y, n)| Context::ItemOverview {
            vault: VaultId(x),
            item: ItemId(y),
            revision: n
        }),
        (a(), a(), any::<u64>()).prop_map(|(x, y, n)| Context::ItemDetails {
            vault: VaultId(x),
            item: ItemId(y),
            revision: n
        }),
    ]
}

/// Any text, newlines and non-ASCII included.
fn arb_text() -> impl Strategy<Value = String> {
    "(?s).{0,16}"
}

fn arb_secret() -> impl Strategy<Value = SecretString> {
    arb_text().prop_map(SecretString::from)
}

fn arb_item_data() -> impl Strategy<Value = ItemData> {
    prop_oneof![
        (
            arb_text(),
            arb_secret(),
            vec(arb_text(), 0..3),
            arb_secret()
        )
            .prop_map(|(username, password, uris, totp)| ItemData::Login {
                username,
                password,
                uris,
                totp
            }),
        Just(ItemData::SecureNote),
        vec(("[A-Z_][A-Z0-9_]{0,8}", arb_secret()), 0..4).prop_map(|kv| ItemData::ApiKey {
            entries: kv
                .into_iter()
                .map(|(key, value)| EnvEntry { key, value })
                .collect()
        }),
        (
            arb_text(),
            arb_text(),
            "[0-9 ]{0,19}",
            arb_text(),
            arb_text(),
            arb_secret()
        )
            .prop_map(|(cardholder, brand, number, exp_month, exp_year, code)| {
                ItemData::Card {
                    cardholder,
                    brand,
                    number: number.into(),
                    exp_month,
                    exp_year,
                    code,
                }
            }),
        (arb_text(), arb_text(), arb_text(), arb_text(), arb_secret()).prop_map(
            |(full_name, email, phone, address, document_number)| ItemData::Identity {
                full_name,
                email,
                phone,
                address,
                document_number
            }
        ),
        (arb_secret(), arb_text(), arb_text()).prop_map(
            |(private_key, public_key, fingerprint)| {
                ItemData::SshKey {
                    private_key,
                    public_key,
                    fingerprint,
                }
            }
        ),
    ]
}

fn arb_field_kind() -> impl Strategy<Value = FieldKind> {
    prop_oneof![
        Just(FieldKind::Text),
        Just(FieldKind::Hidden),
        Just(FieldKind::Url),
        Just(FieldKind::Boolean)
    ]
}

fn arb_item() -> impl Strategy<Value = Item> {
    (
        arb_text(),
        arb_item_data(),
        arb_secret(),
        vec(arb_text(), 0..3),
        any::<bool>(),
        vec((arb_text(), arb_secret(), arb_field_kind()), 0..3),
    )
        .prop_map(|(title, data, notes, tags, favorite, fields)| Item {
            title,
            data,
            notes,
            tags,
            favorite,
            custom_fields: fields
                .into_iter()
                .map(|(name, value, kind)| CustomField { name, value, kind })
                .collect(),
        })
}

fn arb_role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Owner), Just(Role::Editor), Just(Role::Viewer)]
}

fn json_roundtrip<T>(v: &T) -> T
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    serde_json::from_str(&serde_json::to_string(v).unwrap()).unwrap()
}

// ------------------------------------------------------------ round trips

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn envelope_binary_and_text_roundtrip(
        key in uniform32(any::<u8>()),
        alg in arb_alg(),
        ctx in arb_context(),
        pt in vec(any::<u8>(), 0..200),
        seed in any::<u64>(),
    ) {
        let key = SymmetricKey::from_bytes(key);
        let env = Envelope::seal_with(&key, alg, &ctx, &pt, &mut rng(seed)).unwrap();
        prop_assert_eq!(env.algorithm(), alg);
        prop_assert_eq!(env.plaintext_len(), pt.len());
        prop_assert_eq!(env.as_bytes().len(), 2 + alg.nonce_len() + pt.len() + 16);
        prop_assert_eq!(env.as_bytes()[0], 1);
        prop_assert_eq!(env.as_bytes()[1], alg.id());

        let from_bin = Envelope::from_bytes(env.as_bytes().to_vec()).unwrap();
        prop_assert_eq!(&from_bin, &env);
        let text = env.to_text();
        let from_text = Envelope::from_text(&text).unwrap();
        prop_assert_eq!(&from_text, &env);
        prop_assert_eq!(from_text.to_text(), text.clone());
        // JSON: a string holding the text form.
        let json = serde_json::to_string(&env).unwrap();
        prop_assert_eq!(&json, &format!("\"{text}\""));
        prop_assert_eq!(&serde_json::from_str::<Envelope>(&json).unwrap(), &env);

        prop_assert_eq!(&from_bin.open(&key, &ctx).unwrap()[..], &pt[..]);
        prop_assert_eq!(&from_text.open(&key, &ctx).unwrap()[..], &pt[..]);
        // The associated data is exactly "VLT1" || version || alg || context.
        let aad = ctx.aad_bytes(1, alg).unwrap();
        prop_assert_eq!(&aad[..4], b"VLT1");
        prop_assert_eq!(&aad[4..6], &[1, alg.id()]);
        prop_assert_eq!(&open_raw(&env, &key, &aad[6..]).unwrap()[..], &pt[..]);
    }

    #[test]
    fn ids_display_fromstr_serde_roundtrip(a in uniform16(any::<u8>()), b in uniform16(any::<u8>()), c in uniform16(any::<u8>())) {
        let (a, v, i) = (AccountId(a), VaultId(b), ItemId(c));
        for (text, bytes) in [(a.to_string(), a.0), (v.to_string(), v.0), (i.to_string(), i.0)] {
            prop_assert_eq!(text.len(), 36);
            prop_assert!(text.chars().all(|ch| ch == '-' || ch.is_ascii_digit() || ('a'..='f').contains(&ch)));
            prop_assert_eq!(text.parse::<AccountId>().unwrap().0, bytes);
            prop_assert_eq!(text.to_uppercase().parse::<ItemId>().unwrap().0, bytes);
        }
        prop_assert_eq!(a.to_string().parse::<AccountId>().unwrap(), a);
        prop_assert_eq!(v.to_string().parse::<VaultId>().unwrap(), v);
        prop_assert_eq!(i.to_string().parse::<ItemId>().unwrap(), i);
        prop_assert_eq!(json_roundtrip(&a), a);
        prop_assert_eq!(json_roundtrip(&v), v);
        prop_assert_eq!(json_roundtrip(&i), i);
        prop_assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{a}\""));
    }

    #[test]
    fn secret_key_display_parse_roundtrip(
        bytes in uniform16(any::<u8>()),
        choices in vec(0u8..6, 38),
        sep in prop_oneof![Just("-"), Just(" "), Just(""), Just("\n")],
    ) {
        let sk = SecretKey::from_bytes(bytes);
        let text = sk.to_display_string();
        prop_assert_eq!(text.len(), 38);
        prop_assert!(text.starts_with("VK1-"));
        prop_assert_eq!(SecretKey::parse(&text).unwrap(), sk.clone());
        prop_assert_eq!(SecretKey::parse(&text.to_lowercase()).unwrap(), sk.clone());
        prop_assert_eq!(SecretKey::parse(&text.replace('-', sep)).unwrap(), sk.clone());
        // Crockford look-alikes a person might type: O/o for 0, I/i/L/l for 1
        // (the prefix's "1" included), and lowercase anywhere.
        let typed: String = text
            .chars()
            .zip(&choices)
            .map(|(c, &k)| match (c, k) {
                ('0', 1) => 'O',
                ('0', 2) => 'o',
                ('1', 1) => 'I',
                ('1', 2) => 'i',
                ('1', 3) => 'L',
                ('1', 4) => 'l',
                (c, 5) => c.to_ascii_lowercase(),
                (c, _) => c,
            })
            .collect();
        prop_assert_eq!(SecretKey::parse(&typed).unwrap(), sk);
    }

    #[test]
    fn shamir_split_combine_bytes_text_roundtrip(
        secret in vec(any::<u8>(), 1..64),
        (threshold, n, picks) in (2u8..=6).prop_flat_map(|k| (Just(k), k..=10u8)).prop_flat_map(|(k, n)| {
            (Just(k), Just(n), proptest::sample::subsequence((0..usize::from(n)).collect::<Vec<_>>(), usize::from(k)..=usize::from(n)).prop_shuffle())
        }),
        seed in any::<u64>(),
    ) {
        let shares = shamir::split(&secret, threshold, n, &mut rng(seed)).unwrap();
        prop_assert_eq!(shares.len(), usize::from(n));
        for (i, s) in shares.iter().enumerate() {
            prop_assert_eq!(usize::from(s.index()), i + 1);
            prop_assert_eq!(s.threshold(), threshold);
            prop_assert_eq!(&Share::from_bytes(&s.to_bytes()).unwrap(), s);
            let text = s.to_text();
            prop_assert!(text.starts_with("VS1-"));
            prop_assert_eq!(&Share::from_text(&text).unwrap(), s);
            prop_assert_eq!(&Share::from_text(&text.to_lowercase().replace('-', " ")).unwrap(), s);
        }
        let chosen: Vec<Share> = picks.iter().map(|&i| shares[i].clone()).collect();
        let back = shamir::combine(&chosen).unwrap();
        prop_assert_eq!(back.expose_secret(), &secret[..]);
        // One share fewer than the threshold recovers nothing.
        let too_few = &chosen[..usize::from(threshold) - 1];
        prop_assert!(matches!(shamir::combine(too_few), Err(Error::Shamir(_))));
    }

    #[test]
    fn kdf_params_and_config_json_roundtrip(
        m in any::<u32>(), t in any::<u32>(), p in any::<u32>(), salt in uniform16(any::<u8>()),
    ) {
        let params = KdfParams { memory_kib: m, iterations: t, parallelism: p };
        prop_assert_eq!(json_roundtrip(&params), params);
        let cfg = KdfConfig { params, salt: KdfSalt(salt) };
        prop_assert_eq!(json_roundtrip(&cfg), cfg);
        let v: serde_json::Value = serde_json::to_value(cfg).unwrap();
        prop_assert_eq!(v["params"]["memory_kib"].as_u64(), Some(u64::from(m)));
        prop_assert_eq!(v["salt"].as_str().unwrap().len(), 22); // 16 bytes, unpadded base64url
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn items_json_and_decrypt_roundtrip(
        item in arb_item(),
        vault in uniform16(any::<u8>()),
        item_id in uniform16(any::<u8>()),
        key in uniform32(any::<u8>()),
        key_version in any::<u32>(),
        revision in any::<u64>(),
        alg in arb_alg(),
        seed in any::<u64>(),
    ) {
        // The plaintext model itself, and the details payload that gets sealed.
        prop_assert_eq!(&json_roundtrip(&item), &item);
        let payload = item.to_payload().unwrap();
        prop_assert_eq!(&Item::from_payload(&payload).unwrap(), &item);
        let ov = item.overview();
        prop_assert_eq!(&Overview::from_payload(&serde_json::to_vec(&ov).unwrap()).unwrap(), &ov);

        let vk = VaultKey::from_parts(VaultId(vault), key_version, SymmetricKey::from_bytes(key));
        let enc = vk.encrypt_item_with(ItemId(item_id), revision, &item, alg, &mut rng(seed)).unwrap();
        prop_assert_eq!(enc.overview.algorithm(), alg);
        prop_assert_eq!(enc.details.algorithm(), alg);
        let json = serde_json::to_string(&enc).unwrap();
        let back: EncryptedItem = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &enc);
        prop_assert_eq!(&EncryptedItem::from_json(&json).unwrap(), &enc);
        prop_assert_eq!(&vk.decrypt_item(&back).unwrap(), &item);
        let row = vk.decrypt_overview(&back).unwrap();
        prop_assert_eq!(row.item, ItemId(item_id));
        prop_assert_eq!(row.revision, revision);
        prop_assert_eq!(&row.overview, &item.overview());
        prop_assert_eq!(&json_roundtrip(&row.overview), &row.overview);

        // Vault metadata and wrapped-key records too.
        let meta = VaultMeta { name: item.title.clone(), description: String::new() };
        let ev = vk.seal_meta(&meta, &mut rng(seed ^ 1)).unwrap();
        let ev2: EncryptedVault = json_roundtrip(&ev);
        prop_assert_eq!(&ev2, &ev);
        prop_assert_eq!(vk.open_meta(&ev2).unwrap(), meta);
    }
}

proptest! {
    #![proptest_config(config(24))]

    /// Accounts, identities, wrapped vault keys and grants through JSON.
    #[test]
    fn account_and_grant_json_roundtrip(
        password in "(?s).{0,24}",
        with_secret_key in any::<bool>(),
        sk_bytes in uniform16(any::<u8>()),
        role in arb_role(),
        seed in any::<u64>(),
    ) {
        let mut r = rng(seed);
        let sk = with_secret_key.then(|| SecretKey::from_bytes(sk_bytes));
        let (alice, creds) = UnlockedAccount::create(&password, sk.as_ref(), KdfParams::INSECURE_TEST_ONLY, &mut r).unwrap();
        let (bob, _) = UnlockedAccount::create("bob", None, KdfParams::INSECURE_TEST_ONLY, &mut r).unwrap();

        // EncryptedAccount JSON (serde and the checked parser).
        let json = serde_json::to_string(&creds.encrypted).unwrap();
        let parsed = EncryptedAccount::from_json(&json).unwrap();
        prop_assert_eq!(&parsed, &creds.encrypted);
        let again = parsed.unlock(&password, sk.as_ref(), &KdfPolicy::PERMISSIVE_TEST_ONLY).unwrap();
        prop_assert_eq!(again.account_id(), alice.account_id());
        prop_assert_eq!(again.public_identity(), alice.public_identity());
        prop_assert_eq!(again.account_key(), alice.account_key());

        // PublicIdentity JSON.
        let pid: PublicIdentity = json_roundtrip(alice.public_identity());
        prop_assert_eq!(&pid, alice.public_identity());
        pid.verify().unwrap();

        // Vault, wrapped vault key, grant.
        let (vk, _, wrapped) = alice.create_vault(&VaultMeta::default(), &mut r).unwrap();
        let wrapped2: WrappedVaultKey = json_roundtrip(&wrapped);
        prop_assert_eq!(&wrapped2, &wrapped);
        prop_assert_eq!(&alice.unwrap_vault_key(&wrapped2).unwrap(), &vk);

        let grant = alice.grant_vault(&vk, bob.public_identity(), role, &mut r).unwrap();
        let gjson = serde_json::to_string(&grant).unwrap();
        let g2 = VaultGrant::from_json(&gjson).unwrap();
        prop_assert_eq!(&g2, &grant);
        prop_assert_eq!(g2.role, role);
        prop_assert_eq!(&bob.open_grant(&g2, alice.public_identity()).unwrap(), &vk);
    }
}

// ------------------------------------------------------------ tampering

/// Every single-bit flip of every byte of `env` must make it unparseable or
/// unopenable; also every truncation and an appended byte.
fn assert_bitflips_fail(env: &Envelope, key: &SymmetricKey, ctx: &Context) {
    let bytes = env.as_bytes();
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut b = bytes.to_vec();
            b[i] ^= 1 << bit;
            if let Ok(e) = Envelope::from_bytes(b) {
                assert_eq!(
                    e.open(key, ctx).map(|_| ()),
                    Err(Error::Decrypt),
                    "flip of byte {i} bit {bit} opened"
                );
            }
        }
    }
    for len in 0..bytes.len() {
        if let Ok(e) = Envelope::from_bytes(bytes[..len].to_vec()) {
            assert!(e.open(key, ctx).is_err(), "truncation to {len} opened");
        }
    }
    let mut longer = bytes.to_vec();
    longer.push(0);
    if let Ok(e) = Envelope::from_bytes(longer) {
        assert!(e.open(key, ctx).is_err(), "appended byte opened");
    }
}

/// Contexts differing from `ctx` in exactly one field (every single-bit flip
/// of every id and counter), plus every other kind built from the same values.
fn context_mutations(ctx: &Context) -> Vec<Context> {
    fn flips16(b: [u8; 16]) -> impl Iterator<Item = [u8; 16]> {
        (0..128).map(move |i| {
            let mut c = b;
            c[i / 8] ^= 1 << (i % 8);
            c
        })
    }
    fn flips32(v: u32) -> impl Iterator<Item = u32> {
        (0..32).map(move |i| v ^ (1 << i))
    }
    fn flips64(v: u64) -> impl Iterator<Item = u64> {
        (0..64).map(move |i| v ^ (1 << i))
    }
    let mut out = Vec::new();
    // The values of the context, reused to build every other kind.
    let (x, y, n): ([u8; 16], [u8; 16], u64) = match *ctx {
        Context::AccountKey { account } | Context::IdentityKeys { account } => {
            (account.0, [0; 16], 0)
        }
        Context::VaultKey {
            account,
            vault,
            key_version,
        } => (account.0, vault.0, u64::from(key_version)),
        Context::VaultMeta { vault, key_version } => (vault.0, [0; 16], u64::from(key_version)),
        Context::ItemKey {
            vault,
            item,
            key_version,
        } => (vault.0, item.0, u64::from(key_version)),
        Context::ItemOverview {
            vault,
            item,
            revision,
        }
        | Context::ItemDetails {
            vault,
            item,
            revision,
        } => (vault.0, item.0, revision),
        _ => panic!("a Context kind this test does not know: extend context_mutations"),
    };
    let n32 = n as u32;
    out.extend([
        Context::AccountKey {
            account: AccountId(x),
        },
        Context::IdentityKeys {
            account: AccountId(x),
        },
        Context::VaultKey {
            account: AccountId(x),
            vault: VaultId(y),
            key_version: n32,
        },
        Context::VaultMeta {
            vault: VaultId(x),
            key_version: n32,
        },
        Context::ItemKey {
            vault: VaultId(x),
            item: ItemId(y),
            key_version: n32,
        },
        Context::ItemOverview {
            vault: VaultId(x),
            item: ItemId(y),
            revision: n,
        },
        Context::ItemDetails {
            vault: VaultId(x),
            item: ItemId(y),
            revision: n,
        },
    ]);
    match *ctx {
        Context::AccountKey { .. } => {
            out.extend(flips16(x).map(|a| Context::AccountKey {
                account: AccountId(a),
            }));
        }
        Context::IdentityKeys { .. } => {
            out.extend(flips16(x).map(|a| Context::IdentityKeys {
                account: AccountId(a),
            }));
        }
        Context::VaultKey { .. } => {
            let mk = |a, v, k| Context::VaultKey {
                account: AccountId(a),
                vault: VaultId(v),
                key_version: k,
            };
            out.extend(flips16(x).map(|a| mk(a, y, n32)));
            out.extend(flips16(y).map(|v| mk(x, v, n32)));
            out.extend(flips32(n32).map(|k| mk(x, y, k)));
        }
        Context::VaultMeta { .. } => {
            let mk = |v, k| Context::VaultMeta {
                vault: VaultId(v),
                key_version: k,
            };
            out.extend(flips16(x).map(|v| mk(v, n32)));
            out.extend(flips32(n32).map(|k| mk(x, k)));
        }
        Context::ItemKey { .. } => {
            let mk = |v, i, k| Context::ItemKey {
                vault: VaultId(v),
                item: ItemId(i),
                key_version: k,
            };
            out.extend(flips16(x).map(|v| mk(v, y, n32)));
            out.extend(flips16(y).map(|i| mk(x, i, n32)));
            out.extend(flips32(n32).map(|k| mk(x, y, k)));
        }
        Context::ItemOverview { .. } | Context::ItemDetails { .. } => {
            let details = matches!(ctx, Context::ItemDetails { .. });
            let mk = move |v, i, r| {
                if details {
                    Context::ItemDetails {
                        vault: VaultId(v),
                        item: ItemId(i),
                        revision: r,
                    }
                } else {
                    Context::ItemOverview {
                        vault: VaultId(v),
                        item: ItemId(i),
                        revision: r,
                    }
                }
            };
            out.extend(flips16(x).map(|v| mk(v, y, n)));
            out.extend(flips16(y).map(|i| mk(x, i, n)));
            out.extend(flips64(n).map(|r| mk(x, y, r)));
        }
        _ => unreachable!(),
    }
    out.retain(|c| c != ctx);
    out
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn envelope_any_bit_flip_fails(
        key in uniform32(any::<u8>()),
        alg in arb_alg(),
        ctx in arb_context(),
        pt in vec(any::<u8>(), 0..48),
        seed in any::<u64>(),
    ) {
        let key = SymmetricKey::from_bytes(key);
        let env = Envelope::seal_with(&key, alg, &ctx, &pt, &mut rng(seed)).unwrap();
        prop_assert_eq!(&env.open(&key, &ctx).unwrap()[..], &pt[..]);
        assert_bitflips_fail(&env, &key, &ctx);
        // The text form: any single character replaced by another base64url
        // character either fails to parse or fails to open (the decoder is
        // canonical, so a changed character is a changed byte).
        let text = env.to_text();
        for (i, c) in text.char_indices() {
            let replacement = if c == 'A' { 'B' } else { 'A' };
            let mut t = text.clone();
            t.replace_range(i..i + 1, &replacement.to_string());
            if let Ok(e) = Envelope::from_text(&t) {
                prop_assert_ne!(&e, &env);
                prop_assert!(e.open(&key, &ctx).is_err(), "text tamper at {} opened", i);
            }
        }
        // The wrong key fails.
        let mut other = *key.expose_secret();
        other[0] ^= 1;
        prop_assert_eq!(env.open(&SymmetricKey::from_bytes(other), &ctx).map(|_| ()), Err(Error::Decrypt));
    }

    #[test]
    fn associated_data_any_bit_flip_fails(
        key in uniform32(any::<u8>()),
        alg in arb_alg(),
        context in vec(any::<u8>(), 0..48),
        pt in vec(any::<u8>(), 0..32),
        seed in any::<u64>(),
    ) {
        let key = SymmetricKey::from_bytes(key);
        let env = seal_raw_context(&key, alg, &context, &pt, &mut rng(seed)).unwrap();
        prop_assert_eq!(&open_raw(&env, &key, &context).unwrap()[..], &pt[..]);
        for i in 0..context.len() {
            for bit in 0..8 {
                let mut c = context.clone();
                c[i] ^= 1 << bit;
                prop_assert_eq!(open_raw(&env, &key, &c).map(|_| ()), Err(Error::Decrypt));
            }
        }
        // Shorter and longer associated data fail too.
        for len in 0..context.len() {
            prop_assert!(open_raw(&env, &key, &context[..len]).is_err());
        }
        let mut longer = context.clone();
        longer.push(0);
        prop_assert!(open_raw(&env, &key, &longer).is_err());
    }

    #[test]
    fn context_any_field_change_fails(
        key in uniform32(any::<u8>()),
        alg in arb_alg(),
        ctx in arb_context(),
        pt in vec(any::<u8>(), 0..32),
        seed in any::<u64>(),
    ) {
        let key = SymmetricKey::from_bytes(key);
        let env = Envelope::seal_with(&key, alg, &ctx, &pt, &mut rng(seed)).unwrap();
        prop_assert_eq!(&env.open(&key, &ctx).unwrap()[..], &pt[..]);
        let muts = context_mutations(&ctx);
        prop_assert!(muts.len() >= 128 + 6);
        for m in &muts {
            prop_assert_eq!(env.open(&key, m).map(|_| ()), Err(Error::Decrypt), "opened under {:?}", m);
        }
    }
}

// ------------------------------------------------------------ typo detection

/// Crockford value of a character the decoders accept, `None` otherwise.
fn crockford_value(c: u8) -> Option<u8> {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    match c.to_ascii_uppercase() {
        b'O' => Some(0),
        b'I' | b'L' => Some(1),
        u => ALPHABET.iter().position(|&a| a == u).map(|p| p as u8),
    }
}

#[derive(Default, Debug)]
struct Substitutions {
    /// Substitutions that change the meaning (should be caught).
    changed: usize,
    /// ... that were caught (checksum or malformed).
    detected: usize,
    /// ... that parsed to a different value (a 16-bit checksum collision).
    undetected: usize,
    /// Look-alike substitutions (O for 0, I/L for 1) that are forgiven.
    forgiven: usize,
}

impl Substitutions {
    /// Sound bound for a 16-bit checksum: a changed value slips through with
    /// probability 2^-16 (≈ 0.0015%) per substitution that alters the covered
    /// bytes, and never when only checksum or padding bits change. We assert a
    /// detection rate of at least 99.9%, i.e. more than 65× the expected miss
    /// count; with ≥ 10^5 substitutions the chance of exceeding it under a
    /// working checksum is below 10^-40 (Poisson tail), so the test cannot
    /// flake, while a broken or missing checksum (≈ 100% misses) fails it.
    fn assert_sound(&self, what: &str) {
        println!("{what}: {self:?}");
        assert_eq!(self.detected + self.undetected, self.changed);
        assert!(
            self.changed >= 100_000,
            "{what}: too few substitutions for the bound"
        );
        assert!(
            self.undetected * 1000 <= self.changed,
            "{what}: {} of {} typos went undetected",
            self.undetected,
            self.changed
        );
    }
}

/// Every position, every replacement from [0-9A-Z].
fn substitutions(text: &str) -> impl Iterator<Item = (usize, u8, String)> + '_ {
    let bytes = text.as_bytes();
    (0..bytes.len()).flat_map(move |pos| {
        (b'0'..=b'9')
            .chain(b'A'..=b'Z')
            .filter(move |&r| r != bytes[pos])
            .map(move |r| {
                let mut t = bytes.to_vec();
                t[pos] = r;
                (pos, r, String::from_utf8(t).unwrap())
            })
    })
}

/// Whether replacing `text[pos]` by `replacement` is a forgiven look-alike:
/// `O` for `0`, `I`/`L` for `1`, in the body and in the digit of the
/// `VK1`/`VS1` prefix (format.md §9). Separators are not symbols.
fn is_lookalike(text: &str, pos: usize, replacement: u8) -> bool {
    let orig = text.as_bytes()[pos];
    orig != b'-'
        && crockford_value(orig).is_some()
        && crockford_value(orig) == crockford_value(replacement)
}

#[test]
fn secret_key_any_single_substitution_is_detected() {
    let mut r = rng(0x5ec7e7);
    let mut s = Substitutions::default();
    for _ in 0..160 {
        let sk = SecretKey::generate(&mut r);
        let text = sk.to_display_string();
        for (pos, rep, typo) in substitutions(&text) {
            let res = SecretKey::parse(&typo);
            if is_lookalike(&text, pos, rep) {
                assert_eq!(res.as_ref(), Ok(&sk), "look-alike at {pos} not forgiven");
                s.forgiven += 1;
                continue;
            }
            s.changed += 1;
            match res {
                Err(Error::Checksum(_) | Error::Malformed { .. }) => s.detected += 1,
                Err(e) => panic!("unexpected error kind for a typo: {e:?}"),
                Ok(other) => {
                    assert_ne!(
                        other, sk,
                        "a real change parsed to the same key: {text} -> {typo} (pos {pos})"
                    );
                    s.undetected += 1;
                }
            }
        }
    }
    s.assert_sound("Secret Key single-character substitutions");
}

#[test]
fn share_any_single_substitution_is_detected() {
    let mut r = rng(0x54a2e);
    let mut s = Substitutions::default();
    let mut caught_at_combine = 0usize;
    for round in 0..32u8 {
        let secret: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(round)).collect();
        let shares = shamir::split(&secret, 2, 3, &mut r).unwrap();
        for (idx, share) in shares.iter().enumerate() {
            let text = share.to_text();
            let partner = &shares[(idx + 1) % shares.len()];
            for (pos, rep, typo) in substitutions(&text) {
                let res = Share::from_text(&typo);
                if is_lookalike(&text, pos, rep) {
                    assert_eq!(res.as_ref(), Ok(share), "look-alike at {pos} not forgiven");
                    s.forgiven += 1;
                    continue;
                }
                s.changed += 1;
                match res {
                    Err(Error::Checksum(_) | Error::Malformed { .. }) => s.detected += 1,
                    Err(e) => panic!("unexpected error kind for a typo: {e:?}"),
                    Ok(other) => {
                        assert_ne!(
                            &other, share,
                            "a real change parsed to the same share: {text} -> {typo}"
                        );
                        s.undetected += 1;
                        // The split's integrity tag catches what the checksum missed.
                        assert!(
                            shamir::combine(&[other, partner.clone()]).is_err(),
                            "a typo'd share combined without error"
                        );
                        caught_at_combine += 1;
                    }
                }
            }
        }
    }
    s.assert_sound("Share single-character substitutions");
    println!("  of the undetected, caught by combine's integrity tag: {caught_at_combine}");
}
