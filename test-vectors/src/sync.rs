//! `sync.json`: the sync wire messages of docs/protocol.md §9.4
//! (`vault_core::sync::wire`): each valid message's JSON text parsed and
//! re-serialised in its canonical form, and `fail_*` texts that parsing
//! refuses with their error code.
//!
//! The nested records (vault metadata, a wrapped vault key, a grant, items)
//! are real ones, made with seeded RNGs, so every envelope in the file is
//! well formed. Generation fails if a case does not parse as its name says
//! (or fails with another code than the one written next to it), or if a
//! canonical form does not re-parse to itself.

use serde_json::{Value, json};
use vault_core::hazmat::seeded_rng;
use vault_core::sync::wire::{
    MAX_CURSOR_LEN, MAX_WRITES_PER_PUSH, PullPage, PullRequest, PushRequest, PushResponse,
};
use vault_core::*;

use super::{err_code, file, sample_items, seed};

/// Parses `text` as the wire message `kind` and writes its canonical form.
fn canonical(kind: &str, text: &str) -> Result<String> {
    match kind {
        "pull_request" => PullRequest::from_json(text).map(|m| m.to_json()),
        "pull_page" => PullPage::from_json(text).map(|m| m.to_json()),
        "push_request" => PushRequest::from_json(text).map(|m| m.to_json()),
        "push_response" => PushResponse::from_json(text).map(|m| m.to_json()),
        _ => Err(Error::InvalidArgument("unknown wire message type")),
    }
}

/// What a case must do: parse, or fail with this code.
enum Expect {
    Ok,
    Fail(&'static str),
}

fn text(v: &Value) -> String {
    v.to_string()
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// `v` with `key` set (or replaced) in the object at JSON pointer `at`.
fn with(v: &Value, at: &str, key: &str, value: Value) -> Value {
    let mut out = v.clone();
    if let Some(o) = out.pointer_mut(at).and_then(Value::as_object_mut) {
        o.insert(key.to_owned(), value);
    }
    out
}

/// `v` without `key` in the object at JSON pointer `at`.
fn without(v: &Value, at: &str, key: &str) -> Value {
    let mut out = v.clone();
    if let Some(o) = out.pointer_mut(at).and_then(Value::as_object_mut) {
        o.remove(key);
    }
    out
}

/// Every vector of `sync.json`.
pub(crate) fn sync_vectors() -> Result<super::VectorFile> {
    let p = KdfParams::INSECURE_TEST_ONLY;
    let (alice, _) =
        UnlockedAccount::create("alice", None, p, &mut seeded_rng(seed("sync/alice")))?;
    let (bob, _) = UnlockedAccount::create("bob", None, p, &mut seeded_rng(seed("sync/bob")))?;
    let meta = VaultMeta {
        name: "Team".into(),
        description: String::new(),
    };
    let (vk, enc_vault, wrapped) =
        alice.create_vault(&meta, &mut seeded_rng(seed("sync/vault")))?;
    let grant = alice.grant_vault(
        &vk,
        bob.public_identity(),
        Role::Editor,
        &mut seeded_rng(seed("sync/grant")),
    )?;
    let items = sample_items();
    let first = items
        .first()
        .ok_or(Error::InvalidArgument("no sample items"))?;
    let item_id = ItemId([0x51; 16]);
    let item4 = vk.encrypt_item(item_id, 4, first, &mut seeded_rng(seed("sync/item/4")))?;
    let item5 = vk.encrypt_item(item_id, 5, first, &mut seeded_rng(seed("sync/item/5")))?;
    let vault = json!(vk.vault_id());
    let other_vault = json!(VaultId([0x52; 16]));
    let gone_vault = json!(VaultId([0x53; 16]));
    let deleted_item = json!(ItemId([0x54; 16]));
    let item4 = json!(item4);
    let item5 = json!(item5);

    // ---- the four messages, with every variant --------------------------
    let pull = json!({"v": 1, "since": "c:41"});
    let page = json!({
        "v": 1, "since": "c:41", "next": "c:45", "has_more": true,
        "changes": [
            {"type": "vault", "vault": vault, "role": "owner", "meta": enc_vault,
             "keys": [{"wrapped": wrapped}, {"grant": grant}]},
            {"type": "vault", "vault": other_vault, "role": "viewer", "meta": null, "keys": []},
            {"type": "item", "item": item4},
            {"type": "tombstone", "vault": vault, "item": deleted_item, "revision": 7},
            {"type": "vault_removed", "vault": gone_vault},
        ],
    });
    let push = json!({
        "v": 1,
        "writes": [
            {"action": "upsert", "op": 7, "base": 4, "item": item5},
            {"action": "delete", "op": 8, "vault": vault, "item": deleted_item, "base": 7},
        ],
    });
    let response = json!({
        "v": 1,
        "results": [
            {"status": "ok", "op": 7, "revision": 5},
            {"status": "conflict", "op": 8, "current": {"state": "live", "item": item4}},
            {"status": "conflict", "op": 9, "current":
                {"state": "deleted", "vault": vault, "item": deleted_item, "revision": 8}},
            {"status": "rejected", "op": 10, "reason": "forbidden"},
            {"status": "rejected", "op": 11, "reason": "not_found"},
            {"status": "rejected", "op": 12, "reason": "invalid"},
            {"status": "rejected", "op": 13, "reason": "too_large"},
            {"status": "rejected", "op": 14, "reason": "stale_key"},
            {"status": "rejected", "op": 15, "reason": "other"},
        ],
    });
    // One change, result or write in its message: the failure vectors alter
    // one member of one of these.
    let changes = page.get("changes").cloned().unwrap_or_default();
    let change = |i: usize| -> Value {
        json!({"v": 1, "since": "c:41", "next": "c:45", "has_more": false,
               "changes": [changes.get(i).cloned().unwrap_or_default()]})
    };
    let results = response.get("results").cloned().unwrap_or_default();
    let result = |i: usize| -> Value {
        json!({"v": 1, "results": [results.get(i).cloned().unwrap_or_default()]})
    };
    let writes = push.get("writes").cloned().unwrap_or_default();
    let write = |i: usize| -> Value {
        json!({"v": 1, "writes": [writes.get(i).cloned().unwrap_or_default()]})
    };
    let max_cursor = "c".repeat(MAX_CURSOR_LEN);
    let long_cursor = "c".repeat(MAX_CURSOR_LEN + 1);
    let deletes = |n: usize| -> Value {
        let writes: Vec<Value> = (0..n)
            .map(|i| {
                json!({"action": "delete", "op": i, "vault": vault,
                       "item": ItemId([i as u8; 16]), "base": 1})
            })
            .collect();
        json!({"v": 1, "writes": writes})
    };
    let u64_max = u64::MAX;

    use Expect::{Fail, Ok as Parses};
    let cases: Vec<(&str, &str, String, Expect)> = vec![
        // ---- pull request ----------------------------------------------
        (
            "pull_request_first_sync",
            "pull_request",
            r#"{"v":1}"#.into(),
            Parses,
        ),
        ("pull_request_since", "pull_request", text(&pull), Parses),
        (
            "pull_request_members_reordered_with_whitespace",
            "pull_request",
            "{ \"since\" : \"c:41\" ,\n  \"v\" : 1 }\n".into(),
            Parses,
        ),
        (
            "pull_request_since_null",
            "pull_request",
            r#"{"v":1,"since":null}"#.into(),
            Parses,
        ),
        (
            "pull_request_cursor_escapes",
            "pull_request",
            r#"{"v":1,"since":"\u0063:\"4\\2\/"}"#.into(),
            Parses,
        ),
        (
            "pull_request_cursor_512_bytes",
            "pull_request",
            text(&json!({"v": 1, "since": max_cursor})),
            Parses,
        ),
        (
            "pull_request_empty_cursor",
            "pull_request",
            r#"{"v":1,"since":""}"#.into(),
            Parses,
        ),
        // ---- pull page -------------------------------------------------
        ("pull_page_every_change", "pull_page", pretty(&page), Parses),
        (
            "pull_page_first",
            "pull_page",
            r#"{"v":1,"since":null,"next":"c:0","has_more":false,"changes":[]}"#.into(),
            Parses,
        ),
        (
            "pull_page_since_omitted",
            "pull_page",
            r#"{"v":1,"next":"c:0","has_more":false,"changes":[]}"#.into(),
            Parses,
        ),
        (
            "pull_page_vault_meta_omitted",
            "pull_page",
            text(&without(&change(1), "/changes/0", "meta")),
            Parses,
        ),
        (
            "pull_page_largest_revision",
            "pull_page",
            text(&with(&change(3), "/changes/0", "revision", json!(u64_max))),
            Parses,
        ),
        (
            "pull_page_upper_case_ids",
            "pull_page",
            text(
                &json!({"v": 1, "since": "c:41", "next": "c:45", "has_more": false, "changes": [
                {"type": "tombstone", "vault": vault.as_str().unwrap_or_default().to_uppercase(),
                 "item": "ABABABAB-ABAB-ABAB-ABAB-ABABABABABAB", "revision": 7}]}),
            ),
            Parses,
        ),
        (
            "pull_page_grant_of_a_newer_version",
            "pull_page",
            text(&with(&change(0), "/changes/0/keys/1/grant", "v", json!(2))),
            Parses,
        ),
        // ---- push request ----------------------------------------------
        (
            "push_request_upsert_and_delete",
            "push_request",
            pretty(&push),
            Parses,
        ),
        (
            "push_request_empty",
            "push_request",
            r#"{"writes":[],"v":1}"#.into(),
            Parses,
        ),
        (
            "push_request_over_max_writes_parses",
            "push_request",
            text(&deletes(MAX_WRITES_PER_PUSH + 1)),
            Parses,
        ),
        // ---- push response ---------------------------------------------
        (
            "push_response_every_result",
            "push_response",
            pretty(&response),
            Parses,
        ),
        (
            "push_response_unknown_reason_is_other",
            "push_response",
            r#"{"v":1,"results":[{"status":"rejected","op":3,"reason":"quota"}]}"#.into(),
            Parses,
        ),
        (
            "push_response_largest_op",
            "push_response",
            text(
                &json!({"v": 1, "results": [{"status": "ok", "op": u64_max, "revision": u64_max}]}),
            ),
            Parses,
        ),
        // ---- version ---------------------------------------------------
        (
            "fail_pull_request_version_2",
            "pull_request",
            r#"{"v":2}"#.into(),
            Fail("unsupported_version"),
        ),
        (
            "fail_pull_request_version_0",
            "pull_request",
            r#"{"v":0,"since":"c:1"}"#.into(),
            Fail("unsupported_version"),
        ),
        (
            "fail_pull_page_version_2",
            "pull_page",
            text(&with(&change(4), "", "v", json!(2))),
            Fail("unsupported_version"),
        ),
        (
            "fail_push_request_version_2",
            "push_request",
            text(&with(&write(1), "", "v", json!(2))),
            Fail("unsupported_version"),
        ),
        (
            "fail_push_response_version_2",
            "push_response",
            text(&with(&result(3), "", "v", json!(2))),
            Fail("unsupported_version"),
        ),
        (
            "fail_version_missing",
            "pull_request",
            r#"{"since":"c:1"}"#.into(),
            Fail("malformed"),
        ),
        (
            "fail_version_256",
            "pull_request",
            r#"{"v":256}"#.into(),
            Fail("malformed"),
        ),
        (
            "fail_version_string",
            "pull_request",
            r#"{"v":"1"}"#.into(),
            Fail("malformed"),
        ),
        (
            "fail_version_fraction",
            "pull_request",
            r#"{"v":1.0}"#.into(),
            Fail("malformed"),
        ),
        (
            "fail_version_2_with_unknown_field",
            "pull_request",
            r#"{"v":2,"limit":10}"#.into(),
            Fail("malformed"),
        ),
        // ---- unknown and duplicate members -------------------------------
        (
            "fail_pull_request_unknown_field",
            "pull_request",
            r#"{"v":1,"limit":100}"#.into(),
            Fail("malformed"),
        ),
        (
            "fail_pull_page_unknown_field",
            "pull_page",
            text(&with(&change(4), "", "total", json!(5))),
            Fail("malformed"),
        ),
        (
            "fail_change_unknown_field",
            "pull_page",
            text(&with(&change(4), "/changes/0", "reason", json!("revoked"))),
            Fail("malformed"),
        ),
        (
            "fail_item_unknown_field",
            "pull_page",
            text(&with(&change(2), "/changes/0/item", "size", json!(1))),
            Fail("malformed"),
        ),
        (
            "fail_push_write_unknown_field",
            "push_request",
            text(&with(&write(1), "/writes/0", "force", json!(true))),
            Fail("malformed"),
        ),
        (
            "fail_push_result_unknown_field",
            "push_response",
            text(&with(&result(0), "/results/0", "at", json!(1))),
            Fail("malformed"),
        ),
        (
            "fail_duplicate_member",
            "pull_request",
            r#"{"v":1,"since":"c:1","since":"c:2"}"#.into(),
            Fail("malformed"),
        ),
        // ---- cursors ---------------------------------------------------
        (
            "fail_cursor_513_bytes",
            "pull_request",
            text(&json!({"v": 1, "since": long_cursor})),
            Fail("malformed"),
        ),
        (
            "fail_cursor_space",
            "pull_request",
            r#"{"v":1,"since":"c 1"}"#.into(),
            Fail("malformed"),
        ),
        (
            "fail_cursor_control",
            "pull_request",
            r#"{"v":1,"since":"c:1\n"}"#.into(),
            Fail("malformed"),
        ),
        (
            "fail_cursor_non_ascii",
            "pull_request",
            r#"{"v":1,"since":"c:\u00e9"}"#.into(),
            Fail("malformed"),
        ),
        (
            "fail_cursor_number",
            "pull_request",
            r#"{"v":1,"since":42}"#.into(),
            Fail("malformed"),
        ),
        (
            "fail_page_next_too_long",
            "pull_page",
            text(&with(
                &change(4),
                "",
                "next",
                json!("c".repeat(MAX_CURSOR_LEN + 1)),
            )),
            Fail("malformed"),
        ),
        (
            "fail_page_next_null",
            "pull_page",
            text(&with(&change(4), "", "next", Value::Null)),
            Fail("malformed"),
        ),
        (
            "fail_page_next_missing",
            "pull_page",
            text(&without(&change(4), "", "next")),
            Fail("malformed"),
        ),
        // ---- field presence by variant -----------------------------------
        (
            "fail_page_changes_missing",
            "pull_page",
            text(&without(&change(4), "", "changes")),
            Fail("malformed"),
        ),
        (
            "fail_page_has_more_missing",
            "pull_page",
            text(&without(&change(4), "", "has_more")),
            Fail("malformed"),
        ),
        (
            "fail_vault_change_keys_missing",
            "pull_page",
            text(&without(&change(1), "/changes/0", "keys")),
            Fail("malformed"),
        ),
        (
            "fail_vault_change_unknown_role",
            "pull_page",
            text(&with(&change(1), "/changes/0", "role", json!("admin"))),
            Fail("malformed"),
        ),
        (
            "fail_vault_removed_with_role",
            "pull_page",
            text(&with(&change(4), "/changes/0", "role", json!("owner"))),
            Fail("malformed"),
        ),
        (
            "fail_vault_removed_with_null_meta",
            "pull_page",
            text(&with(&change(4), "/changes/0", "meta", Value::Null)),
            Fail("malformed"),
        ),
        (
            "fail_item_change_with_vault",
            "pull_page",
            text(&with(&change(2), "/changes/0", "vault", vault.clone())),
            Fail("malformed"),
        ),
        (
            "fail_item_change_item_id",
            "pull_page",
            text(&with(
                &change(2),
                "/changes/0",
                "item",
                deleted_item.clone(),
            )),
            Fail("malformed"),
        ),
        (
            "fail_tombstone_revision_missing",
            "pull_page",
            text(&without(&change(3), "/changes/0", "revision")),
            Fail("malformed"),
        ),
        (
            "fail_tombstone_item_object",
            "pull_page",
            text(&with(&change(3), "/changes/0", "item", item4.clone())),
            Fail("malformed"),
        ),
        (
            "fail_unknown_change_type",
            "pull_page",
            text(&with(
                &change(4),
                "/changes/0",
                "type",
                json!("vault_renamed"),
            )),
            Fail("malformed"),
        ),
        (
            "fail_change_type_missing",
            "pull_page",
            text(&without(&change(4), "/changes/0", "type")),
            Fail("malformed"),
        ),
        (
            "fail_member_key_unknown_kind",
            "pull_page",
            text(&with(
                &change(1),
                "/changes/0",
                "keys",
                json!([{"shared": wrapped}]),
            )),
            Fail("malformed"),
        ),
        (
            "fail_member_key_two_kinds",
            "pull_page",
            text(&with(
                &change(1),
                "/changes/0",
                "keys",
                json!([{"wrapped": wrapped, "grant": grant}]),
            )),
            Fail("malformed"),
        ),
        (
            "fail_upsert_item_id",
            "push_request",
            text(&with(&write(0), "/writes/0", "item", deleted_item.clone())),
            Fail("malformed"),
        ),
        (
            "fail_upsert_with_vault",
            "push_request",
            text(&with(&write(0), "/writes/0", "vault", vault.clone())),
            Fail("malformed"),
        ),
        (
            "fail_write_op_missing",
            "push_request",
            text(&without(&write(1), "/writes/0", "op")),
            Fail("malformed"),
        ),
        (
            "fail_delete_base_missing",
            "push_request",
            text(&without(&write(1), "/writes/0", "base")),
            Fail("malformed"),
        ),
        (
            "fail_unknown_action",
            "push_request",
            text(&with(&write(1), "/writes/0", "action", json!("move"))),
            Fail("malformed"),
        ),
        (
            "fail_ok_with_reason",
            "push_response",
            text(&with(&result(0), "/results/0", "reason", json!("invalid"))),
            Fail("malformed"),
        ),
        (
            "fail_ok_revision_missing",
            "push_response",
            text(&without(&result(0), "/results/0", "revision")),
            Fail("malformed"),
        ),
        (
            "fail_conflict_current_missing",
            "push_response",
            text(&without(&result(1), "/results/0", "current")),
            Fail("malformed"),
        ),
        (
            "fail_conflict_with_revision",
            "push_response",
            text(&with(&result(1), "/results/0", "revision", json!(5))),
            Fail("malformed"),
        ),
        (
            "fail_live_state_with_revision",
            "push_response",
            text(&with(
                &result(1),
                "/results/0/current",
                "revision",
                json!(4),
            )),
            Fail("malformed"),
        ),
        (
            "fail_deleted_state_item_object",
            "push_response",
            text(&with(
                &result(2),
                "/results/0/current",
                "item",
                item4.clone(),
            )),
            Fail("malformed"),
        ),
        (
            "fail_rejected_reason_missing",
            "push_response",
            text(&without(&result(3), "/results/0", "reason")),
            Fail("malformed"),
        ),
        (
            "fail_rejected_reason_number",
            "push_response",
            text(&with(&result(3), "/results/0", "reason", json!(403))),
            Fail("malformed"),
        ),
        // ---- integers ---------------------------------------------------
        (
            "fail_revision_negative",
            "pull_page",
            text(&with(&change(3), "/changes/0", "revision", json!(-1))),
            Fail("malformed"),
        ),
        (
            "fail_revision_over_u64",
            "pull_page",
            text(&change(3)).replace("\"revision\":7", "\"revision\":18446744073709551616"),
            Fail("malformed"),
        ),
        (
            "fail_revision_fraction",
            "pull_page",
            text(&change(3)).replace("\"revision\":7", "\"revision\":7.0"),
            Fail("malformed"),
        ),
        (
            "fail_revision_exponent",
            "pull_page",
            text(&change(3)).replace("\"revision\":7", "\"revision\":7e0"),
            Fail("malformed"),
        ),
        (
            "fail_op_string",
            "push_response",
            text(&with(&result(0), "/results/0", "op", json!("7"))),
            Fail("malformed"),
        ),
        (
            "fail_key_version_over_u32",
            "pull_page",
            text(&with(
                &change(2),
                "/changes/0/item",
                "key_version",
                json!(4_294_967_296_u64),
            )),
            Fail("malformed"),
        ),
        // ---- nested records ---------------------------------------------
        (
            "fail_item_bad_envelope",
            "pull_page",
            text(&with(&change(2), "/changes/0/item", "details", json!("AQ"))),
            Fail("malformed"),
        ),
        (
            "fail_item_envelope_version_2",
            "pull_page",
            text(&with(
                &change(2),
                "/changes/0/item",
                "details",
                json!("AgEAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcxz11AZq45DBWrUYvdY_0L"),
            )),
            Fail("malformed"),
        ),
        (
            "fail_item_bad_id",
            "pull_page",
            text(&with(
                &change(2),
                "/changes/0/item",
                "item",
                json!("not-a-uuid"),
            )),
            Fail("malformed"),
        ),
        // ---- not a message ----------------------------------------------
        (
            "fail_not_json",
            "pull_page",
            "{\"v\":1,".into(),
            Fail("malformed"),
        ),
        ("fail_array", "push_request", "[]".into(), Fail("malformed")),
        (
            "fail_trailing_data",
            "pull_request",
            r#"{"v":1} {"v":1}"#.into(),
            Fail("malformed"),
        ),
    ];

    let mut v = Vec::new();
    for (name, kind, input, expect) in cases {
        let got = canonical(kind, &input);
        match (expect, got) {
            (Expect::Ok, Ok(out)) => {
                if canonical(kind, &out)? != out {
                    return Err(Error::InvalidArgument(
                        "canonical form is not a fixed point",
                    ));
                }
                v.push(json!({"name": name, "type": kind, "json": input, "canonical": out}));
            }
            (Expect::Fail(code), got @ Err(_)) => {
                let got = err_code(got);
                if got != code {
                    return Err(Error::InvalidArgument(
                        "a sync failure vector fails with another code",
                    ));
                }
                v.push(json!({"name": name, "type": kind, "json": input, "error": got}));
            }
            (Expect::Ok, Err(e)) => return Err(e),
            (Expect::Fail(_), Ok(_)) => {
                return Err(Error::InvalidArgument("a sync failure vector parses"));
            }
        }
    }
    Ok(file(
        "sync",
        "Sync wire messages (docs/protocol.md §9.4, vault_core::sync::wire): `type` names the message (pull_request: PullRequest, pull_page: PullPage, push_request: PushRequest, push_response: PushResponse); <Type>::from_json(json).to_json() is `canonical`, byte for byte (and parsing `canonical` again gives it unchanged), or for fail_* vectors from_json(json) fails with `error`. The nested records are real: accounts 'alice' and 'bob' from seeded_rng(seed('sync/alice' | 'sync/bob')) with INSECURE_TEST_ONLY params, alice's vault 'Team' from seed('sync/vault'), her editor grant to bob from seed('sync/grant'), the first sample item at revisions 4 and 5 from seed('sync/item/4' | 'sync/item/5').",
        v,
    ))
}
