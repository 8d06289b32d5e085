//! Strictness tests of the wire types' hand-written parsers.

use super::*;
use crate::sync::ConflictCause;
use serde_json::{Value, json};

const V: &str = "01010101-0101-0101-0101-010101010101";
const I: &str = "02020202-0202-0202-0202-020202020202";
const ENV: &str = "AQEAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcxz11AZq45DBWrUYvdY_0L";

fn blob() -> Value {
    json!({"vault": V, "item": I, "revision": 2, "key_version": 1,
           "item_key": ENV, "overview": ENV, "details": ENV})
}

/// Every accepted shape round-trips; each listed mutation is refused.
fn strict<T>(good: &[Value], bad: &[Value])
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + core::fmt::Debug,
{
    for g in good {
        let t: T = serde_json::from_value(g.clone()).unwrap_or_else(|e| panic!("{g}: {e}"));
        let again: T = serde_json::from_value(serde_json::to_value(&t).unwrap()).unwrap();
        assert_eq!(again, t);
        let t2: T = crate::encoding::json_from_str(&g.to_string()).unwrap();
        assert_eq!(t2, t);
    }
    for b in bad {
        assert!(
            serde_json::from_value::<T>(b.clone()).is_err(),
            "accepted {b}"
        );
    }
}

#[test]
fn item_state_is_strict() {
    strict::<ItemState>(
        &[
            json!({"state": "live", "item": blob()}),
            json!({"item": blob(), "state": "live"}),
            json!({"state": "deleted", "vault": V, "item": I, "revision": 3}),
        ],
        &[
            json!({"state": "live"}),
            json!({"state": "live", "item": I}),
            json!({"state": "live", "item": blob(), "revision": 2}),
            json!({"state": "live", "item": blob(), "extra": 1}),
            json!({"state": "deleted", "vault": V, "item": blob(), "revision": 3}),
            json!({"state": "deleted", "vault": V, "item": I}),
            json!({"state": "deleted", "vault": V, "item": I, "revision": -1}),
            json!({"state": "deleted", "vault": V, "item": I, "revision": 1.5}),
            json!({"state": "gone", "vault": V, "item": I, "revision": 3}),
            json!({"vault": V, "item": I, "revision": 3}),
            json!([]),
        ],
    );
}

#[test]
fn change_is_strict() {
    let key = json!({"wrapped": {"vault": V, "account": I, "key_version": 1, "envelope": ENV}});
    strict::<Change>(
        &[
            json!({"type": "vault", "vault": V, "role": "editor", "meta": null, "keys": [key]}),
            json!({"type": "vault", "vault": V, "role": "viewer", "keys": []}),
            json!({"type": "vault", "vault": V, "role": "owner", "keys": [],
                   "meta": {"vault": V, "key_version": 1, "meta": ENV}}),
            json!({"type": "vault_removed", "vault": V}),
            json!({"type": "item", "item": blob()}),
            json!({"type": "tombstone", "vault": V, "item": I, "revision": 5}),
        ],
        &[
            json!({"type": "vault", "vault": V, "role": "editor", "meta": null}),
            json!({"type": "vault", "vault": V, "role": "admin", "keys": []}),
            json!({"type": "vault", "vault": V, "role": "owner", "keys": [], "item": I}),
            json!({"type": "vault_removed", "vault": V, "role": "owner"}),
            json!({"type": "vault_removed", "vault": V, "meta": null}),
            json!({"type": "vault_removed"}),
            json!({"type": "item", "item": blob(), "vault": V}),
            json!({"type": "item", "item": I}),
            json!({"type": "tombstone", "vault": V, "item": I}),
            json!({"type": "tombstone", "vault": V, "item": blob(), "revision": 5}),
            json!({"type": "tombstone", "vault": V, "item": I, "revision": 5, "keys": []}),
        ],
    );
    let dup = format!(r#"{{"type":"vault_removed","vault":"{V}","vault":"{V}"}}"#);
    assert!(crate::encoding::json_from_str::<Change>(&dup).is_err());
}

#[test]
fn push_messages_are_strict() {
    strict::<PushWrite>(
        &[
            json!({"action": "upsert", "op": 7, "base": 1, "item": blob()}),
            json!({"action": "delete", "op": 8, "vault": V, "item": I, "base": 4}),
        ],
        &[
            json!({"action": "upsert", "op": 7, "base": 1, "item": I}),
            json!({"action": "upsert", "op": 7, "base": 1, "item": blob(), "vault": V}),
            json!({"action": "upsert", "base": 1, "item": blob()}),
            json!({"action": "delete", "op": 8, "vault": V, "item": blob(), "base": 4}),
            json!({"action": "delete", "op": 8, "item": I, "base": 4}),
            json!({"action": "move", "op": 8, "vault": V, "item": I, "base": 4}),
        ],
    );
    strict::<PushResult>(
        &[
            json!({"status": "ok", "op": 7, "revision": 4}),
            json!({"status": "conflict", "op": 8, "current": {"state": "live", "item": blob()}}),
            json!({"status": "rejected", "op": 10, "reason": "forbidden"}),
            json!({"status": "rejected", "op": 10, "reason": "a future reason"}),
        ],
        &[
            json!({"status": "ok", "op": 7}),
            json!({"status": "ok", "revision": 4}),
            json!({"status": "ok", "op": 7, "revision": 4, "reason": "invalid"}),
            json!({"status": "conflict", "op": 8}),
            json!({"status": "conflict", "op": 8, "current": {"state": "live"}}),
            json!({"status": "conflict", "op": 8, "current": {"state": "live", "item": blob()}, "revision": 1}),
            json!({"status": "rejected", "op": 10}),
            json!({"status": "rejected", "op": 10, "reason": "forbidden", "current": null}),
        ],
    );
}

#[test]
fn conflict_causes_are_strict() {
    strict::<ConflictCause>(
        &[
            json!({"kind": "diverged", "server": {"state": "deleted", "vault": V, "item": I, "revision": 3}}),
            json!({"kind": "rejected", "reason": "stale_key"}),
            json!({"kind": "vault_unavailable"}),
        ],
        &[
            json!({"kind": "diverged"}),
            json!({"kind": "diverged", "server": {"state": "live", "item": blob()}, "reason": "invalid"}),
            json!({"kind": "rejected"}),
            // serde's derive let a unit variant carry any field; this parser does not.
            json!({"kind": "vault_unavailable", "reason": "forbidden"}),
            json!({"kind": "vault_unavailable", "extra": true}),
        ],
    );
}
