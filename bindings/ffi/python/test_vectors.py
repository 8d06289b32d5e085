#!/usr/bin/env python3
"""Replays every file in test-vectors/ through the UniFFI Python bindings of
vault-ffi, doing the same checks as vault-core/tests/vectors.rs (valid
vectors reproduce byte for byte, fail_* vectors fail with their error code),
then runs a two-account round trip (create, share a vault, decrypt on the
other side).

A test harness, not a product: run it after `bindings/ffi/generate.sh
--test-vectors` with the system python3 (no packages needed):

    python3 bindings/ffi/python/test_vectors.py [--generated DIR] [--vectors DIR]

Prints one line per test and closes with `python: N passed, M failed`; exits
non-zero on any failure.
"""

import argparse
import json
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))

ap = argparse.ArgumentParser()
ap.add_argument("--generated", default=os.path.join(HERE, "..", "generated", "python"))
ap.add_argument("--vectors", default=os.path.join(ROOT, "test-vectors"))
ap.add_argument("-v", "--verbose", action="store_true")
args = ap.parse_args()
sys.path.insert(0, os.path.abspath(args.generated))

import vault_ffi as v  # noqa: E402  (generated; path set above)

if not hasattr(v.Rng, "seeded"):
    sys.exit("python: the library was built without --features test-vectors; "
             "run bindings/ffi/generate.sh --test-vectors")

# ---------------------------------------------------------------------------
# Helpers (the same as vectors.rs's)

PERMISSIVE = v.kdf_policy_permissive_test_only()


def load(name):
    with open(os.path.join(args.vectors, name + ".json"), encoding="utf-8") as f:
        doc = json.load(f)
    assert doc["operation"] == name, name
    assert doc["format_version"] == 1, name
    assert doc["vectors"], f"{name}: no vectors"
    return doc["vectors"]


def unhex(s):
    return bytes.fromhex(s)


def seeded(hexseed):
    return v.Rng.seeded(unhex(hexseed))


def is_fail(vec):
    return vec["name"].startswith("fail_")


def code(fn):
    """Runs fn; returns the error code, or 'NO ERROR'."""
    try:
        fn()
    except v.VaultError as e:
        return e.code()
    return "NO ERROR"


def eq(got, want, what):
    if got != want:
        raise AssertionError(f"{what}:\n  got  {got!r}\n  want {want!r}")


def js(x):
    return json.dumps(x, separators=(",", ":"), ensure_ascii=False)


def parsed(text):
    return json.loads(text)


def secret_key(vec):
    h = vec.get("secret_key_hex")
    return v.SecretKey.from_bytes(unhex(h)) if h else None


def kdf_params(d):
    return v.KdfParams(memory_kib=d["memory_kib"], iterations=d["iterations"],
                       parallelism=d["parallelism"])


def b64url(s):
    import base64
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def kdf_config(d):
    return v.KdfConfig(params=kdf_params(d["params"]), salt=b64url(d["salt"]))


def vault_key(d):
    return v.VaultKey.from_parts(d["vault"], d["key_version"],
                                 v.SymmetricKey.from_bytes(unhex(d["key_hex"])))


ALGORITHMS = {"x-cha-cha20-poly1305": v.Algorithm.X_CHA_CHA20_POLY1305,
              "aes256-gcm": v.Algorithm.AES256_GCM}
ROLES = {"owner": v.Role.OWNER, "editor": v.Role.EDITOR, "viewer": v.Role.VIEWER}
GROUPS = {"rfc5054-3072": v.SrpGroup.RFC5054_GROUP3072, "rfc5054-4096": v.SrpGroup.RFC5054_GROUP4096}
FIELD_KINDS = {"text": v.FieldKind.TEXT, "hidden": v.FieldKind.HIDDEN,
               "url": v.FieldKind.URL, "boolean": v.FieldKind.BOOLEAN}
ITEM_KINDS = {"login": v.ItemKind.LOGIN, "secure_note": v.ItemKind.SECURE_NOTE,
              "api_key": v.ItemKind.API_KEY, "card": v.ItemKind.CARD,
              "identity": v.ItemKind.IDENTITY, "ssh_key": v.ItemKind.SSH_KEY}


def context(d):
    k = d["kind"]
    C = v.EnvelopeContext
    if k == "account_key":
        return C.ACCOUNT_KEY(account=d["account"])
    if k == "identity_keys":
        return C.IDENTITY_KEYS(account=d["account"])
    if k == "vault_key":
        return C.VAULT_KEY(account=d["account"], vault=d["vault"], key_version=d["key_version"])
    if k == "vault_meta":
        return C.VAULT_META(vault=d["vault"], key_version=d["key_version"])
    if k == "item_key":
        return C.ITEM_KEY(vault=d["vault"], item=d["item"], key_version=d["key_version"])
    if k == "item_overview":
        return C.ITEM_OVERVIEW(vault=d["vault"], item=d["item"], revision=d["revision"])
    if k == "item_details":
        return C.ITEM_DETAILS(vault=d["vault"], item=d["item"], revision=d["revision"])
    if k == "account_key_generation":
        return C.ACCOUNT_KEY_GENERATION(account=d["account"], generation=d["generation"])
    if k == "device_unlock":
        return C.DEVICE_UNLOCK(account=d["account"], device=d["device"], generation=d["generation"])
    if k == "pin_unlock":
        return C.PIN_UNLOCK(account=d["account"], device=d["device"], generation=d["generation"])
    if k == "recovery_key":
        return C.RECOVERY_KEY(account=d["account"], generation=d["generation"])
    raise AssertionError(f"unknown context kind {k}")


def item_data(d):
    t = d["type"]
    g = d.get
    D = v.ItemData
    if t == "login":
        return D.LOGIN(username=g("username", ""), password=g("password", ""),
                       uris=g("uris", []), totp=g("totp", ""))
    if t == "secure_note":
        return D.SECURE_NOTE()
    if t == "api_key":
        return D.API_KEY(entries=[v.EnvEntry(key=e["key"], value=e["value"])
                                  for e in g("entries", [])])
    if t == "card":
        return D.CARD(cardholder=g("cardholder", ""), brand=g("brand", ""),
                      number=g("number", ""), exp_month=g("exp_month", ""),
                      exp_year=g("exp_year", ""), code=g("code", ""))
    if t == "identity":
        return D.IDENTITY(full_name=g("full_name", ""), email=g("email", ""),
                          phone=g("phone", ""), address=g("address", ""),
                          document_number=g("document_number", ""))
    if t == "ssh_key":
        return D.SSH_KEY(private_key=g("private_key", ""), public_key=g("public_key", ""),
                         fingerprint=g("fingerprint", ""))
    raise AssertionError(f"unknown item type {t}")


def item(d):
    """An Item record from the item JSON of docs/format.md §6.3."""
    return v.Item(
        title=d["title"], data=item_data(d["data"]), notes=d.get("notes", ""),
        tags=d.get("tags", []), favorite=d.get("favorite", False),
        custom_fields=[v.CustomField(name=f["name"], value=f["value"],
                                     kind=FIELD_KINDS[f.get("kind", "text")])
                       for f in d.get("custom_fields", [])])


def overview(d):
    """An Overview record from the overview JSON of docs/format.md §6.2."""
    return v.Overview(v=d["v"], kind=ITEM_KINDS[d["kind"]], title=d["title"],
                      subtitle=d.get("subtitle", ""), icon_url=d.get("icon_url"),
                      tags=d.get("tags", []), favorite=d.get("favorite", False))


def account_from_seed(password, seed_hex):
    return v.create_account(password, None, v.kdf_params_insecure_test_only(),
                            seeded(seed_hex)).account


# ---------------------------------------------------------------------------
# Vector replays: one test per vector

def t_kdf(vec):
    cfg = kdf_config(vec["kdf"])
    pw = vec["password"]
    if is_fail(vec):
        eq(vec["policy"], "default", "policy")
        eq(code(lambda: v.kdf_derive_master_keys(pw, None, cfg, v.kdf_policy_default())),
           vec["error"], "error")
        return
    st = v.kdf_stretch(pw, cfg.salt, cfg.params)
    eq(st.expose_secret().hex(), vec["stretched_hex"], "stretched")
    keys = v.kdf_derive_master_keys(pw, secret_key(vec), cfg, PERMISSIVE)
    eq(keys.auth_key.expose_secret().hex(), vec["auth_key_hex"], "auth key")
    eq(keys.kek.expose_secret().hex(), vec["kek_hex"], "kek")


def t_hkdf(vec):
    st = v.SymmetricKey.from_bytes(unhex(vec["stretched_hex"]))
    salt = b64url(vec["salt"])
    plain = v.kdf_master_keys_from_stretched(st, None, salt)
    eq(plain.auth_key.expose_secret().hex(), vec["auth_key_hex"], "auth key")
    eq(plain.kek.expose_secret().hex(), vec["kek_hex"], "kek")
    sk = v.SecretKey.from_bytes(unhex(vec["secret_key_hex"]))
    mixed = v.kdf_master_keys_from_stretched(st, sk, salt)
    eq(mixed.auth_key.expose_secret().hex(), vec["with_secret_key"]["auth_key_hex"], "auth key+sk")
    eq(mixed.kek.expose_secret().hex(), vec["with_secret_key"]["kek_hex"], "kek+sk")


def t_envelope(vec):
    key = v.SymmetricKey.from_bytes(unhex(vec["key_hex"]))
    ctx = context(vec["context"])
    if is_fail(vec):
        if "envelope_text" in vec:
            f = lambda: v.Envelope.from_text(vec["envelope_text"]).open(key, ctx)  # noqa: E731
        else:
            f = lambda: v.Envelope.from_bytes(unhex(vec["envelope_hex"])).open(key, ctx)  # noqa: E731
        eq(code(f), vec["error"], "error")
        return
    alg = ALGORITHMS[vec["algorithm"]]
    eq(ctx.aad_bytes(1, alg).hex(), vec["aad_hex"], "aad")
    pt = unhex(vec["plaintext_hex"])
    env = v.hazmat_seal_with_nonce(key, alg, ctx, unhex(vec["nonce_hex"]), pt)
    eq(env.to_bytes().hex(), vec["envelope_hex"], "envelope bytes")
    eq(env.to_text(), vec["envelope_text"], "envelope text")
    eq(v.Envelope.from_text(vec["envelope_text"]).open(key, ctx), pt, "opened")


def t_secret_key(vec):
    if is_fail(vec):
        eq(code(lambda: v.SecretKey.parse(vec["text"])), vec["error"], "error")
        return
    sk = v.SecretKey.from_bytes(unhex(vec["bytes_hex"]))
    eq(sk.to_display_string(), vec["text"], "text")
    for t in vec["also_parses"]:
        eq(v.SecretKey.parse(t), sk, f"parse {t!r}")


def t_account(vec):
    if is_fail(vec):
        eq(code(lambda: v.encrypted_account_from_json(vec["record_json"])), vec["error"], "error")
        return
    pw = vec["password"]
    sk = secret_key(vec)
    params = kdf_params(vec["params"])
    created = v.create_account(pw, sk, params, seeded(vec["seed_hex"]))
    eq(parsed(created.credentials.encrypted.to_json()), vec["encrypted"], "encrypted")
    eq(created.credentials.auth_key.expose_secret().hex(), vec["auth_key_hex"], "auth key")
    eq(created.account.fingerprint(), vec["fingerprint"], "fingerprint")

    stored = v.encrypted_account_from_json(js(vec["encrypted"]))
    unlocked = stored.unlock(pw, sk, PERMISSIVE)
    eq(unlocked.account_key().expose_secret().hex(), vec["account_key_hex"], "account key")
    eq(code(lambda: stored.unlock(vec["fail_wrong_password"]["password"], sk, PERMISSIVE)),
       vec["fail_wrong_password"]["error"], "wrong password")

    c = vec["change_password"]
    changed = unlocked.change_password(stored, c["new_password"], sk, params, seeded(c["seed_hex"]))
    eq(parsed(changed.encrypted.to_json()), c["encrypted"], "changed record")
    eq(changed.auth_key.expose_secret().hex(), c["auth_key_hex"], "changed auth key")
    after = v.encrypted_account_from_json(js(c["encrypted"]))
    eq(after.unlock(c["new_password"], sk, PERMISSIVE).account_key().expose_secret().hex(),
       vec["account_key_hex"], "account key after change")
    eq(code(lambda: after.unlock(pw, sk, PERMISSIVE)),
       vec["fail_old_password_after_change"]["error"], "old password after change")


def t_vault(vec):
    owner = account_from_seed("pw", vec["owner_seed_hex"])
    meta = v.VaultMeta(name=vec["meta"]["name"], description=vec["meta"].get("description", ""))
    created = owner.create_vault(meta, seeded(vec["seed_hex"]))
    vk = created.key
    eq(vk, vault_key(vec["vault_key"]), "vault key")
    eq(parsed(created.vault.to_json()), vec["encrypted_vault"], "encrypted vault")
    eq(parsed(created.wrapped_key.to_json()), vec["wrapped_key"], "wrapped key")
    eq(owner.unwrap_vault_key(v.wrapped_vault_key_from_json(js(vec["wrapped_key"]))), vk, "unwrap")
    eq(vk.open_meta(v.encrypted_vault_from_json(js(vec["encrypted_vault"]))), meta, "meta")

    items = v.encrypted_items_from_json(js(vec["items"]))
    r = vec["rotate"]
    rot = vk.rotate(created.vault, items, seeded(r["seed_hex"]))
    eq(rot.key, vault_key(r["vault_key"]), "rotated key")
    eq(parsed(rot.vault.to_json()), r["encrypted_vault"], "rotated vault")
    eq([parsed(i.to_json()) for i in rot.items], r["items"], "rotated items")
    wrapped = owner.wrap_vault_key(rot.key, seeded(r["wrap_seed_hex"]))
    eq(parsed(wrapped.to_json()), r["wrapped_key"], "rotated wrap")
    eq(owner.account_key().expose_secret().hex(), vec["owner_account_key_hex"], "owner account key")
    for p, it in zip(vec["items_plaintext"], rot.items):
        eq(rot.key.decrypt_item(it), item(p), "rotated item plaintext")
    for old, new in zip(items, rot.items):
        eq(vk.decrypt_item(old), rot.key.decrypt_item(new), "same contents")
        eq(old.details, new.details, "rotation must not re-encrypt contents")
        eq(code(lambda: vk.decrypt_item(new)), r["fail_old_key_on_rotated_item"], "old key")


def t_item(vec):
    vk = vault_key(vec["vault_key"])
    enc = v.encrypted_item_from_json(js(vec["encrypted"]))
    if is_fail(vec):
        eq(code(lambda: vk.decrypt_item(enc)), vec["error"], "error")
        return
    want = item(vec["item"])
    again = vk.encrypt_item_with(vec["item_id"], vec["revision"], want,
                                 ALGORITHMS[vec["algorithm"]], seeded(vec["seed_hex"]))
    eq(parsed(again.to_json()), vec["encrypted"], "encrypted")
    eq(vk.decrypt_item(enc), want, "decrypted")
    eq(vk.decrypt_overview(enc).overview, overview(vec["overview"]), "overview")
    eq(want.overview(), overview(vec["overview"]), "Item.overview()")


def t_list(vec):
    vk = vault_key(vec["vault_key"])
    items = v.encrypted_items_from_json(js(vec["items"]))
    results = vk.decrypt_list(items)
    expected = vec["results"]
    eq(len(results), len(expected), "count")
    assert any(r.is_FAILED() for r in results) and any(r.is_ROW() for r in results)
    for i, (got, want) in enumerate(zip(results, expected)):
        if "ok" in want:
            assert got.is_ROW(), f"slot {i}: {got!r}"
            eq(got.row.item, want["ok"]["item"], f"slot {i} item")
            eq(got.row.revision, want["ok"]["revision"], f"slot {i} revision")
            eq(got.row.overview, overview(want["ok"]["overview"]), f"slot {i} overview")
        else:
            assert got.is_FAILED(), f"slot {i}: {got!r}"
            eq(got.code, want["error"], f"slot {i} error")


def t_grant(vec):
    sender_id = v.public_identity_from_json(js(vec["sender_identity"]))
    grant = v.vault_grant_from_json(js(vec["grant"]))
    if is_fail(vec):
        who = account_from_seed("x", vec["recipient_seed_hex"])
        eq(code(lambda: who.open_grant(grant, sender_id)), vec["error"], "error")
        return
    sender = account_from_seed("alice", vec["sender_seed_hex"])
    recipient = account_from_seed("bob", vec["recipient_seed_hex"])
    eq(parsed(sender.public_identity().to_json()), vec["sender_identity"], "sender identity")
    eq(parsed(recipient.public_identity().to_json()), vec["recipient_identity"], "recipient identity")
    vk = vault_key(vec["vault_key"])
    again = sender.grant_vault(vk, recipient.public_identity(), ROLES[vec["role"]],
                               seeded(vec["seed_hex"]))
    eq(parsed(again.to_json()), vec["grant"], "grant")
    eq(v.vault_grant_hpke_info(vk.vault_id(), vk.key_version(), sender_id,
                               recipient.public_identity()).hex(), vec["hpke_info_hex"], "hpke info")
    eq(recipient.open_grant(grant, sender_id), vk, "opened")


def t_fingerprint(vec):
    ident = v.public_identity_from_json(js(vec["identity"]))
    if is_fail(vec):
        eq(code(ident.verify), vec["error"], "error")
        return
    ident.verify()
    eq(ident.fingerprint(), vec["fingerprint"], "fingerprint")


def t_ed25519(vec):
    if vec["case"] == "verify":
        f = lambda: v.hazmat_ed25519_verify(unhex(vec["public_key_hex"]), unhex(vec["message_hex"]),  # noqa: E731
                                            unhex(vec["signature_hex"]))
    elif vec["case"] == "identity":
        ident = v.public_identity_from_json(js(vec["identity"]))
        eq(parsed(ident.to_json()), vec["identity"], "identity round trip")
        f = ident.verify
    else:
        raise AssertionError(f"unknown case {vec['case']}")
    eq(code(f), vec["error"] if is_fail(vec) else "NO ERROR", "verify")


def t_identifiers(vec):
    if is_fail(vec):
        eq(code(lambda: v.normalize_identifier(vec["input"])), vec["error"], "error")
        return
    eq(v.normalize_identifier(vec["input"]), vec["canonical"], "canonical")
    eq(v.normalize_identifier(vec["canonical"]), vec["canonical"], "idempotent")


def t_sync(vec):
    if is_fail(vec):
        eq(code(lambda: v.hazmat_sync_wire_canonical(vec["type"], vec["json"])), vec["error"], "error")
        # The engine's own entry points refuse the same text and change nothing.
        apply = {"pull_page": "apply_pull", "push_response": "apply_push"}.get(vec["type"])
        if apply:
            engine = v.SyncEngine()
            before = engine.to_json()
            eq(code(lambda: getattr(engine, apply)(vec["json"])), vec["error"], apply)
            eq(engine.to_json(), before, "engine unchanged")
        return
    eq(v.hazmat_sync_wire_canonical(vec["type"], vec["json"]), vec["canonical"], "canonical")
    eq(v.hazmat_sync_wire_canonical(vec["type"], vec["canonical"]), vec["canonical"], "fixed point")


def t_shamir(vec):
    if is_fail(vec):
        if "share_text" in vec:
            f = lambda: v.Share.from_text(vec["share_text"])  # noqa: E731
        else:
            f = lambda: v.shamir_combine([v.Share.from_bytes(unhex(h))  # noqa: E731
                                          for h in vec["share_bytes_hex"]])
        eq(code(f), vec["error"], "error")
        return
    secret = unhex(vec["secret_hex"])
    k = vec["threshold"]
    shares = v.shamir_split(secret, k, vec["shares"], seeded(vec["seed_hex"]))
    eq([s.to_text() for s in shares], vec["share_texts"], "share texts")
    parsed_shares = [v.Share.from_text(t) for t in vec["share_texts"]]
    for i in range(len(parsed_shares) - k + 1):
        eq(v.shamir_combine(parsed_shares[i:i + k]).expose_secret(), secret, f"window {i}")
    for s, h in zip(shares, vec["share_bytes_hex"]):
        eq(s.to_bytes().hex(), h, "share bytes")


def t_srp(vec):
    ident = vec["identifier"]
    auth = v.SymmetricKey.from_bytes(unhex(vec["auth_key_hex"]))
    group = GROUPS[vec["group"]]
    record = v.srp_register(ident, auth, group, seeded(vec["register_seed_hex"]))
    eq(parsed(record.to_json()), vec["registration"], "registration")
    started = v.srp_login_start(ident, auth, group, seeded(vec["client_seed_hex"]))
    eq(parsed(started.hello.to_json()), vec["client_hello"], "client hello")
    # The server side is driven from the committed messages, as a server would.
    stored = v.SrpRegistration.from_json(js(vec["registration"]))
    hello_in = v.SrpClientHello.from_json(js(vec["client_hello"]))
    server = v.srp_server_start(stored, hello_in, seeded(vec["server_seed_hex"]))
    eq(parsed(server.challenge.to_json()), vec["server_challenge"], "server challenge")
    answered = started.state.process_challenge(
        v.SrpServerChallenge.from_json(js(vec["server_challenge"])))
    eq(parsed(answered.proof.to_json()), vec["client_proof"], "client proof")
    finished = server.state.finish(v.SrpClientProof.from_json(js(vec["client_proof"])))
    eq(parsed(finished.proof.to_json()), vec["server_proof"], "server proof")
    key = answered.state.verify_server(finished.proof)
    eq(key.expose_secret().hex(), vec["session_key_hex"], "session key")
    eq(key, finished.session_key, "same key both sides")
    # Each state is single use, as in Rust.
    eq(code(lambda: answered.state.verify_server(finished.proof)), "invalid_argument", "reuse")

    f = vec["fail_wrong_password"]
    server = v.srp_server_start(stored, hello_in, seeded(vec["server_seed_hex"]))
    bad = v.SrpClientProof.from_json(js(f["client_proof"]))
    eq(code(lambda: server.state.finish(bad)), f["error"], "wrong password")


def t_opaque(vec):
    ident = vec["identifier"]
    auth = v.SymmetricKey.from_bytes(unhex(vec["auth_key_hex"]))
    if is_fail(vec):
        ke2 = v.OpaqueKe2.from_json(js(vec["ke2"]))
        login = v.opaque_login_start(ident, auth, v.Rng.seeded(bytes(32)))
        eq(code(lambda: login.state.finish(ke2, v.Rng.seeded(bytes(32)))), vec["error"], "error")
        return
    s = lambda k: seeded(vec["seeds"][k])  # noqa: E731
    setup = v.OpaqueServerSetup.generate(s("setup"))
    eq(parsed(setup.to_json()), vec["server_setup"], "server setup")
    eq(setup.public_key().hex(), vec["server_public_key_hex"], "server public key")
    reg = v.opaque_registration_start(ident, auth, s("registration_start"))
    eq(parsed(reg.request.to_json()), vec["registration_request"], "registration request")
    response = setup.registration_response(
        ident, v.OpaqueRegistrationRequest.from_json(js(vec["registration_request"])))
    eq(parsed(response.to_json()), vec["registration_response"], "registration response")
    registered = reg.state.finish(response, s("registration_finish"))
    eq(parsed(registered.record.to_json()), vec["registration_record"], "record")
    eq(registered.export_key.expose_secret().hex(), vec["export_key_hex"], "export key")
    record = v.OpaqueRegistrationRecord.from_json(js(vec["registration_record"]))
    login = v.opaque_login_start(ident, auth, s("login_start"))
    eq(parsed(login.ke1.to_json()), vec["ke1"], "ke1")
    server = v.opaque_server_login_start(setup, ident, record,
                                         v.OpaqueKe1.from_json(js(vec["ke1"])), s("login_server"))
    eq(parsed(server.ke2.to_json()), vec["ke2"], "ke2")
    done = login.state.finish(server.ke2, s("login_finish"))
    eq(parsed(done.ke3.to_json()), vec["ke3"], "ke3")
    eq(done.session_key.expose_secret().hex(), vec["session_key_hex"], "session key")
    server_key = server.state.finish(v.OpaqueKe3.from_json(js(vec["ke3"])))
    eq(server_key, done.session_key, "same key both sides")


def t_prelogin(vec):
    server = v.PreloginServer(v.SymmetricKey.from_bytes(unhex(vec["server_secret_hex"])),
                              kdf_params(vec["kdf_params"]), v.SrpGroup.RFC5054_GROUP3072)
    ident = vec["identifier"]
    fake = server.fake_response(ident)
    eq(parsed(fake.to_json()), vec["srp_response"], "srp response")
    eq(parsed(server.respond_opaque(ident, None).to_json()), vec["opaque_response"], "opaque response")
    eq(parsed(server.fake_srp_record(ident).to_json()), vec["fake_srp_record"], "fake srp record")
    # The client side of pre-login: parse, check against the policy, read SRP.
    client = v.PreloginResponse.from_json(js(vec["srp_response"]))
    eq(client, fake, "parsed response")
    cfg = client.checked_kdf(v.kdf_policy_default())
    eq(cfg, kdf_config(vec["srp_response"]["kdf"]), "checked kdf")
    srp = client.srp()
    eq(srp.group.wire_name(), vec["srp_response"]["srp"]["group"], "srp group")
    eq(srp.salt, b64url(vec["srp_response"]["srp"]["salt"]), "srp salt")


def t_lifecycle(vec):
    """lifecycle.json: quick unlock, recovery kit, account key rotation (`case` names the replay)."""
    name, case = vec["name"], vec["case"]
    eq(is_fail(vec), "error" in vec, "fail_* vectors carry an error")

    def record(d):
        return v.encrypted_account_from_json(js(d))

    def unlocked(rec, key_hex):
        return record(rec).unlock_with_account_key(v.SymmetricKey.from_bytes(unhex(key_hex)))

    def opt_key(h):
        return v.SymmetricKey.from_bytes(unhex(h)) if h else None

    def key_hex(a):
        return a.account_key().expose_secret().hex()

    if case == "context":
        ctx = context(vec["context"])
        alg = ALGORITHMS[vec["algorithm"]]
        eq(ctx.kind(), vec["kind"], "kind")
        eq(ctx.aad_bytes(1, alg).hex(), vec["aad_hex"], "aad")
        key = v.SymmetricKey.from_bytes(unhex(vec["key_hex"]))
        env = v.hazmat_seal_with_nonce(key, alg, ctx, unhex(vec["nonce_hex"]), unhex(vec["plaintext_hex"]))
        eq(env.to_bytes().hex(), vec["envelope_hex"], "envelope")
        eq(env.to_text(), vec["envelope_text"], "envelope text")
        eq(env.open(key, ctx).hex(), vec["plaintext_hex"], "opened")
    elif case == "device_unlock":
        rec = record(vec["record"])
        acct = unlocked(vec["record"], vec["account_key_hex"])
        eq(acct.key_generation(), vec["record"].get("key_generation", 1), "key generation")
        eq(rec.key_generation, vec["record"].get("key_generation", 1), "record key_generation")
        rng = seeded(vec["seed_hex"])
        if vec["generate_key"]:
            e = acct.enable_device_unlock(vec["device"], rng)
            key, wrap = e.device_key, e.wrap
        else:
            key = v.SymmetricKey.from_bytes(unhex(vec["device_key_hex"]))
            wrap = acct.device_unlock_with_key(vec["device"], key, rng)
        eq(key.expose_secret().hex(), vec["device_key_hex"], "device key")
        eq(parsed(wrap.to_json()), vec["wrap"], "wrap")
        stored = v.device_unlock_from_json(js(vec["wrap"]))
        eq(stored, wrap, "parsed wrap")
        eq(key_hex(stored.unlock(key, rec)), vec["account_key_hex"], "unlocked")
    elif case == "pin_unlock":
        rec = record(vec["record"])
        acct = unlocked(vec["record"], vec["account_key_hex"])
        wrap = acct.enable_pin_unlock(vec["device"], vec["pin"], kdf_params(vec["params"]),
                                      opt_key(vec["device_secret_hex"]), vec["max_attempts"],
                                      seeded(vec["seed_hex"]))
        eq(parsed(wrap.to_json()), vec["wrap"], "wrap")
        eq((wrap.device_bound(), wrap.max_attempts(), wrap.failed_attempts(), wrap.generation()),
           (vec["device_secret_hex"] is not None, vec["max_attempts"], 0, vec["wrap"]["generation"]), "accessors")
        eq((wrap.account(), wrap.device()), (vec["wrap"]["account"], vec["device"]), "ids")
        eq(v.kdf_stretch(vec["pin"], b64url(vec["wrap"]["kdf"]["salt"]), kdf_params(vec["params"]))
           .expose_secret().hex(), vec["stretched_hex"], "stretched PIN")
        state = v.PinUnlock.from_json(js(vec["wrap"]))
        for i, a in enumerate(vec["attempts"]):
            out = {}

            def attempt(a=a, out=out, state=state):
                out["account"] = state.unlock(a["pin"], opt_key(a["device_secret_hex"]), rec, PERMISSIVE)
            got = code(attempt)
            if a["error"] is None:
                eq(got, "NO ERROR", f"attempt {i}")
                eq(key_hex(out["account"]), vec["account_key_hex"], f"attempt {i} key")
            else:
                eq(got, a["error"], f"attempt {i}")
            eq(parsed(state.to_json()), a["state"], f"state after attempt {i}")
            eq(state.is_erased(), a["state"]["wrapped"] is None, f"erased after attempt {i}")
            eq(state.remaining_attempts(),
               0 if a["state"]["wrapped"] is None else a["state"]["max_attempts"] - a["state"]["failed_attempts"],
               f"remaining after attempt {i}")
            # What the app persists after each attempt is what it reads back next time.
            state = v.PinUnlock.from_json(js(a["state"]))
    elif case == "recovery_kit":
        rec = record(vec["record"])
        acct = unlocked(vec["record"], vec["account_key_hex"])
        kit = acct.create_recovery_kit(seeded(vec["seed_hex"]))
        eq(kit.key.expose_secret().hex(), vec["recovery_key_hex"], "recovery key")
        eq((kit.words, kit.key.to_words()), (vec["words"], vec["words"]), "words")
        eq(parsed(kit.wrap.to_json()), vec["wrap"], "wrap")
        eq(kit.key.auth_token().expose_secret().hex(), vec["auth_token_hex"], "auth token")
        for t in vec["also_parses"]:
            eq(v.RecoveryKey.from_words(t), kit.key, f"parses {t[:12]!r}")
        stored = v.recovery_wrap_from_json(js(vec["wrap"]))
        eq(stored, kit.wrap, "parsed wrap")
        eq(stored.check_auth_token(kit.key.auth_token()), True, "auth token accepted")
        eq(stored.check_auth_token(acct.account_key()), False, "other token refused")
        eq(key_hex(v.recover_account(vec["words"], stored, rec)), vec["account_key_hex"], "recovered")
        again = acct.recovery_wrap(v.RecoveryKey.from_words(vec["words"]), v.Rng.os())
        eq(key_hex(again.recover(kit.key, rec)), vec["account_key_hex"], "a fresh wrap of the same key")
    elif case == "recovery_words":
        if is_fail(vec):
            eq(code(lambda: v.RecoveryKey.from_words(vec["words"])), vec["error"], "error")
            return
        key = v.RecoveryKey.from_bytes(unhex(vec["recovery_key_hex"]))
        eq(key.to_words(), vec["words"], "words")
        eq(v.RecoveryKey.from_words(vec["words"]), key, "parsed")
    elif case == "recovery_split":
        key = v.RecoveryKey.from_bytes(unhex(vec["recovery_key_hex"]))
        k = vec["threshold"]
        shares = key.split(k, vec["shares"], seeded(vec["seed_hex"]))
        eq([s.to_text() for s in shares], vec["share_texts"], "share texts")
        eq([s.to_bytes().hex() for s in shares], vec["share_bytes_hex"], "share bytes")
        texts = [v.Share.from_text(t) for t in vec["share_texts"]]
        for i in range(len(texts) - k + 1):
            back = v.RecoveryKey.combine(texts[i:i + k])
            eq((back, back.to_words()), (key, vec["words"]), f"window {i}")
    elif case == "rotation":
        rec = record(vec["record"])
        acct = unlocked(vec["record"], vec["account_key_hex"])
        own = [v.wrapped_vault_key_from_json(js(w)) for w in vec["own_wraps"]]
        pw = vec["password"]
        rotated = acct.rotate_account_key(rec, pw, None, PERMISSIVE, own, seeded(vec["seed_hex"]))
        eq(key_hex(rotated.account), vec["new_account_key_hex"], "new account key")
        eq(rotated.account.key_generation(), rec.key_generation + 1, "new generation")
        eq(parsed(rotated.change.to_json()), vec["change"], "change set")
        stored = v.account_key_rotation_from_json(js(vec["change"]))
        eq(stored, rotated.change, "parsed change set")
        again = stored.record.unlock(pw, None, PERMISSIVE)
        eq(key_hex(again), vec["new_account_key_hex"], "new record unlocks with the password")
        for w, k in zip(stored.vault_keys, vec["vault_keys"], strict=True):
            eq(again.unwrap_vault_key(w), vault_key(k), "re-wrapped vault key")
            eq(code(lambda w=w: acct.unwrap_vault_key(w)), "decrypt", "old account key on a new wrap")
        eq(code(lambda: stored.record.unlock_with_account_key(acct.account_key())),
           vec["fail_old_account_key_on_new_record"], "old account key on the new record")
    elif case == "device_open":
        wrap = v.device_unlock_from_json(js(vec["wrap"]))
        key = v.SymmetricKey.from_bytes(unhex(vec["device_key_hex"]))
        eq(code(lambda: wrap.unlock(key, record(vec["record"]))), vec["error"], name)
    elif case == "pin_attempt":
        state = v.PinUnlock.from_json(js(vec["before"]))
        eq(code(lambda: state.unlock(vec["pin"], opt_key(vec["device_secret_hex"]), record(vec["record"]),
                                     PERMISSIVE)), vec["error"], name)
        eq(parsed(state.to_json()), vec["state"], "state")
    elif case == "recovery_open":
        wrap = v.recovery_wrap_from_json(js(vec["wrap"]))
        eq(code(lambda: v.recover_account(vec["words"], wrap, record(vec["record"]))), vec["error"], name)
    elif case == "record_unlock":
        eq(code(lambda: record(vec["record"]).unlock(vec["password"], None, PERMISSIVE)), vec["error"], name)
    elif case == "rotate":
        acct = unlocked(vec["unlock_record"], vec["account_key_hex"])
        eq(code(lambda: acct.rotate_account_key(record(vec["record"]), vec["password"], None, PERMISSIVE, [],
                                                v.Rng.seeded(bytes(32)))), vec["error"], name)
    elif case == "parse":
        text = vec["json"]
        parsers = {"device_unlock": v.device_unlock_from_json, "pin_unlock": v.PinUnlock.from_json,
                   "recovery_wrap": v.recovery_wrap_from_json,
                   "account_key_rotation": v.account_key_rotation_from_json}
        eq(code(lambda: parsers[vec["type"]](text)), vec["error"], name)
    else:
        raise AssertionError(f"unknown case {case}")


SUITES = [
    ("kdf", t_kdf), ("hkdf", t_hkdf), ("envelope", t_envelope), ("secret_key", t_secret_key),
    ("account", t_account), ("vault", t_vault), ("item", t_item), ("list", t_list),
    ("grant", t_grant), ("fingerprint", t_fingerprint), ("shamir", t_shamir), ("srp", t_srp),
    ("opaque", t_opaque), ("prelogin", t_prelogin),
    ("lifecycle", t_lifecycle), ("ed25519", t_ed25519), ("identifiers", t_identifiers), ("sync", t_sync),
]


# ---------------------------------------------------------------------------
# Round trip: two accounts, share a vault, decrypt on the other side

def round_trip():
    rng = v.Rng.os()
    p = v.kdf_params_insecure_test_only()
    alice_new = v.create_account("alice pw", None, p, rng)
    bob_sk = v.SecretKey.generate(rng)
    bob_new = v.create_account("bob pw", bob_sk, p, rng)
    alice, bob = alice_new.account, bob_new.account

    # Records travel as JSON, as they would through a server.
    alice_rec = v.encrypted_account_from_json(alice_new.credentials.encrypted.to_json())
    bob_rec = v.encrypted_account_from_json(bob_new.credentials.encrypted.to_json())

    created = alice.create_vault(v.VaultMeta(name="Team", description="shared"), rng)
    login = v.Item(title="Database", data=v.ItemData.LOGIN(
        username="admin", password="s3cret", uris=["https://db.example"], totp=""),
        notes="rotate monthly", tags=["prod"], favorite=True,
        custom_fields=[v.CustomField(name="port", value="5432", kind=v.FieldKind.TEXT)])
    card = v.Item(title="Card", data=v.ItemData.CARD(
        cardholder="A", brand="Visa", number="4111 1111 1111 1111", exp_month="1",
        exp_year="2030", code="123"), notes="", tags=[], favorite=False, custom_fields=[])
    enc = [created.key.encrypt_item(v.new_item_id(rng), 1, login, rng),
           created.key.encrypt_item_with(v.new_item_id(rng), 1, card, v.Algorithm.AES256_GCM, rng)]
    enc_json = [e.to_json() for e in enc]

    # Bob publishes his identity; Alice checks it verifies and grants.
    bob_public = v.public_identity_from_json(bob.public_identity().to_json())
    bob_public.verify()
    eq(bob_public.fingerprint(), bob.fingerprint(), "fingerprint")
    grant = alice.grant_vault(created.key, bob_public, v.Role.EDITOR, rng)
    grant_json = grant.to_json()

    # Bob, on another device: unlock offline, open the grant, read the items.
    bob2 = bob_rec.unlock("bob pw", v.SecretKey.parse(bob_sk.to_display_string()), PERMISSIVE)
    eq(code(lambda: bob_rec.unlock("bob pw", None, PERMISSIVE)), "decrypt", "needs Secret Key")
    alice_public = v.public_identity_from_json(alice.public_identity().to_json())
    g = v.vault_grant_from_json(grant_json)
    g.verify(alice_public)
    bob_vk = bob2.open_grant(g, alice_public)
    eq(bob_vk, created.key, "same vault key")
    eq(bob_vk.open_meta(created.vault).name, "Team", "meta")
    got = [bob_vk.decrypt_item(v.encrypted_item_from_json(j)) for j in enc_json]
    eq(got, [login, card], "items")
    rows = bob_vk.decrypt_list([v.encrypted_item_from_json(j) for j in enc_json])
    eq([r.row.overview.subtitle for r in rows], ["admin", "Visa •••• 1111"], "list")

    # Bob keeps the key under his own account key; Alice cannot open Bob's wrap.
    wrapped = bob2.wrap_vault_key(bob_vk, rng)
    eq(bob.unwrap_vault_key(wrapped), created.key, "bob's wrap")
    eq(code(lambda: alice.unwrap_vault_key(wrapped)), "decrypt", "alice vs bob's wrap")
    # A grant for Bob does not open for Alice.
    eq(code(lambda: alice.open_grant(g, alice_public)), "invalid_argument", "not addressed")

    # Rotation after revoking Bob: his old key no longer opens new items.
    rot = created.key.rotate(created.vault, enc, rng)
    eq(code(lambda: bob_vk.decrypt_item(rot.items[0])), "decrypt", "revoked")
    eq(rot.key.decrypt_item(rot.items[0]), login, "rotated")

    # Alice changes her password; the old one stops working, the key stays.
    changed = alice.change_password(alice_rec, "new pw", None, p, rng)
    again = changed.encrypted.unlock("new pw", None, PERMISSIVE)
    eq(again.account_key(), alice.account_key(), "same account key")
    eq(code(lambda: changed.encrypted.unlock("alice pw", None, PERMISSIVE)), "decrypt", "old pw")


def srp_and_opaque_round_trip():
    rng = v.Rng.os()
    auth = v.SymmetricKey.generate(rng)
    # SRP: register, log in through JSON, both sides agree.
    rec = v.srp_register("alice@example.com", auth, v.SrpGroup.RFC5054_GROUP3072, rng)
    st = v.srp_login_start("alice@example.com", auth, rec.group(), rng)
    srv = v.srp_server_start(v.SrpRegistration.from_json(rec.to_json()),
                             v.SrpClientHello.from_json(st.hello.to_json()), rng)
    ans = st.state.process_challenge(v.SrpServerChallenge.from_json(srv.challenge.to_json()))
    fin = srv.state.finish(v.SrpClientProof.from_json(ans.proof.to_json()))
    eq(ans.state.verify_server(v.SrpServerProof.from_json(fin.proof.to_json())),
       fin.session_key, "srp keys")
    # OPAQUE: register, log in, wrong password fails as authentication_failed.
    setup = v.OpaqueServerSetup.generate(rng)
    reg = v.opaque_registration_start("alice", auth, rng)
    done = reg.state.finish(setup.registration_response("alice", reg.request), rng)
    eq(code(lambda: reg.state.finish(setup.registration_response("alice", reg.request), rng)),
       "invalid_argument", "state reuse")
    lg = v.opaque_login_start("alice", auth, rng)
    s = v.opaque_server_login_start(setup, "alice", done.record, lg.ke1, rng)
    ok = lg.state.finish(s.ke2, rng)
    eq(s.state.finish(ok.ke3), ok.session_key, "opaque keys")
    eq(ok.export_key, done.export_key, "export key")
    wrong = v.opaque_login_start("alice", v.SymmetricKey.generate(rng), rng)
    s2 = v.opaque_server_login_start(setup, "alice", done.record, wrong.ke1, rng)
    eq(code(lambda: wrong.state.finish(s2.ke2, rng)), "authentication_failed", "wrong password")
    # Pre-login answer from a hostile server is refused by the default policy.
    resp = v.PreloginResponse.from_json(
        '{"v":1,"kdf":{"params":{"memory_kib":16,"iterations":1,"parallelism":1},'
        '"salt":"AAAAAAAAAAAAAAAAAAAAAA"}}')
    eq(code(lambda: resp.checked_kdf(v.kdf_policy_default())), "kdf_policy", "downgrade")
    eq(resp.srp(), None, "no srp part")


class ToySyncServer:
    """The compare-and-swap rules of docs/protocol.md for one user, in memory;
    the log length is the cursor. Requests and answers are JSON text."""

    def __init__(self):
        self.states = {}  # "vault/item" -> ItemState JSON
        self.log = []  # ("item", key) or ("change", membership change)

    def add_member(self, change):
        self.log.append(("change", dict(type="vault", **change)))

    def pull(self, request_json):
        req = json.loads(request_json)
        since = req.get("since")
        start = 0 if since is None else int(since[2:])
        changes, latest = [], {}
        for kind, entry in self.log[start:]:
            if kind == "change":
                changes.append(entry)
            else:
                latest.pop(entry, None)
                latest[entry] = True
        for key in latest:
            s = self.states[key]
            changes.append({"type": "item", "item": s["item"]} if s["state"] == "live" else
                           {"type": "tombstone", "vault": s["vault"], "item": s["item"], "revision": s["revision"]})
        return json.dumps({"v": 1, "since": since, "next": f"c:{len(self.log)}",
                           "has_more": False, "changes": changes})

    def push(self, request_json):
        results = []
        for w in json.loads(request_json)["writes"]:
            upsert = w["action"] == "upsert"
            vault_id = w["item"]["vault"] if upsert else w["vault"]
            item = w["item"]["item"] if upsert else w["item"]
            key = f"{vault_id}/{item}"
            cur = self.states.get(key)
            rev = 0 if cur is None else (cur["item"]["revision"] if cur["state"] == "live" else cur["revision"])
            if cur is None and w["base"] > 0:
                results.append({"status": "rejected", "op": w["op"], "reason": "not_found"})
            elif w["base"] != rev:
                results.append({"status": "conflict", "op": w["op"], "current": cur})
            elif upsert and w["item"]["revision"] != w["base"] + 1:
                results.append({"status": "rejected", "op": w["op"], "reason": "invalid"})
            else:
                self.states[key] = ({"state": "live", "item": w["item"]} if upsert else
                                    {"state": "deleted", "vault": vault_id, "item": item, "revision": w["base"] + 1})
                self.log.append(("item", key))
                results.append({"status": "ok", "op": w["op"], "revision": w["base"] + 1})
        return json.dumps({"v": 1, "results": results})


def sync_round(engine, server):
    """Pull until done, then push until nothing is queued or no progress."""
    pulled, pushed = [], []
    while True:
        out = engine.apply_pull(server.pull(engine.plan_pull()))
        pulled.append(out)
        if not out.has_more:
            break
    req = engine.plan_push()
    while req is not None:
        out = engine.apply_push(server.push(req))
        pushed.append(out)
        if not out.progressed:
            break
        req = engine.plan_push()
    return pulled, pushed


def sync_two_devices():
    rng = v.Rng.os()
    server = ToySyncServer()
    created = v.create_account("sync pw", None, v.kdf_params_insecure_test_only(), rng)
    account = created.account
    team = account.create_vault(v.VaultMeta(name="Home", description=""), rng)
    vault_id = team.key.vault_id()
    server.add_member({"vault": vault_id, "role": "owner",
                       "meta": json.loads(team.vault.to_json()),
                       "keys": [{"wrapped": json.loads(team.wrapped_key.to_json())}]})

    def note(notes):
        return v.Item(title="Router", data=v.ItemData.SECURE_NOTE(), notes=notes, tags=[],
                      favorite=False, custom_fields=[])

    # Device A creates an item offline, then syncs.
    a = v.SyncEngine()
    item_id = v.new_item_id(rng)
    eq(a.next_revision(vault_id, item_id), 1, "new item revision")
    a.local_upsert(team.key.encrypt_item(item_id, a.next_revision(vault_id, item_id), note("admin / hunter2"), rng))
    eq(a.pending_count(), 1, "queued")
    _, pushed = sync_round(a, server)
    eq([(x.revision, x.item) for x in pushed[0].acknowledged], [(1, item_id)], "acknowledged")
    eq(a.pending_count(), 0, "nothing queued")

    # Device B: same user, unlocked offline; the feed brings membership and item.
    account_b = created.credentials.encrypted.unlock("sync pw", None, PERMISSIVE)
    b = v.SyncEngine()
    sync_round(b, server)
    [membership] = b.vaults()
    eq((membership.vault, membership.role), (vault_id, v.Role.OWNER), "membership")
    key_b = account_b.unwrap_vault_key(membership.keys[0].key)
    eq(key_b, team.key, "same vault key")
    eq(key_b.open_meta(membership.meta).name, "Home", "meta")
    eq(key_b.decrypt_item(b.item(vault_id, item_id)).notes, "admin / hunter2", "B decrypts")
    eq([r.row.overview.title for r in key_b.decrypt_list(b.items(vault_id))], ["Router"], "B's list")

    # Ciphertext-only persistence; a replayed page changes nothing.
    saved = b.to_json()
    assert "hunter2" not in saved and "Router" not in saved, "plaintext in saved state"
    b2 = v.SyncEngine.from_json(saved)
    eq(b2.to_json(), saved, "state round-trips")
    eq(b2.cursor(), b.cursor(), "cursor")
    eq(b2.apply_pull(server.pull('{"v":1}')).applied, False, "replay ignored")

    # Both edit offline; A syncs first, so B meets a 409.
    a.local_upsert(team.key.encrypt_item(item_id, a.next_revision(vault_id, item_id), note("from A"), rng))
    b.local_upsert(key_b.encrypt_item(item_id, b.next_revision(vault_id, item_id), note("from B"), rng))
    sync_round(a, server)
    pulled, pushed = sync_round(b, server)
    ids = [c for o in pulled + pushed for c in o.conflicts]
    eq(len(ids), 1, "one conflict")
    [conflict] = b.conflicts()
    eq(conflict.id, ids[0], "conflict id")
    assert conflict.cause.is_diverged(), conflict.cause
    eq(key_b.decrypt_item(conflict.local).notes, "from B", "local edit kept")
    eq(key_b.decrypt_item(b.item(vault_id, item_id)).notes, "from A", "item shows the server's")

    # The default policy keeps both: B's version becomes a copy.
    [done] = b.resolve_default([key_b], " (conflict)", rng)
    assert done.action.is_kept_both(), done.action
    copy = done.action.copy
    eq(b.conflicts(), [], "resolved")
    eq(b.pending_count(), 1, "copy queued")
    sync_round(b, server)
    sync_round(a, server)
    for engine, key, who in [(a, team.key, "A"), (b, key_b, "B")]:
        titles = sorted(r.row.overview.title for r in key.decrypt_list(engine.items(vault_id)))
        eq(titles, ["Router", "Router (conflict)"], f"{who} sees both")
        eq(key.decrypt_item(engine.item(vault_id, copy)).notes, "from B", f"{who}: copy")
        eq(key.decrypt_item(engine.item(vault_id, item_id)).notes, "from A", f"{who}: item")
        eq(engine.pending_count(), 0, f"{who}: nothing queued")

    # A deletes the copy; B sees it go. Errors are typed; state unchanged.
    a.local_delete(vault_id, copy)
    sync_round(a, server)
    sync_round(b, server)
    eq(b.item(vault_id, copy), None, "deleted on B")
    before = b.to_json()
    eq(code(lambda: b.apply_pull('{"v":1,"since":null,"next":"c:0","has_more":false,"changes":[],"x":1}')),
       "malformed", "unknown field")
    eq(code(lambda: b.apply_pull('{"v":2,"since":null,"next":"c:0","has_more":false,"changes":[]}')),
       "unsupported_version", "future page")
    eq(code(lambda: b.next_revision("not-a-uuid", item_id)), "malformed", "bad id")
    eq(code(lambda: b.resolve_keep_server(42)), "invalid_argument", "unknown conflict")
    eq(b.to_json(), before, "unchanged")


def main():
    passed = failed = 0
    seen = set()

    def run(name, fn):
        nonlocal passed, failed
        try:
            fn()
            passed += 1
            if args.verbose:
                print(f"ok   {name}")
        except Exception:  # noqa: BLE001 (report and count every failure)
            failed += 1
            print(f"FAIL {name}")
            traceback.print_exc()

    for op, fn in SUITES:
        seen.add(op + ".json")
        vectors = load(op)
        for vec in vectors:
            run(f"{op}/{vec['name']}", lambda vec=vec, fn=fn: fn(vec))
        print(f"  {op}: {len(vectors)} vectors")
    missing = sorted(f for f in os.listdir(args.vectors) if f.endswith(".json") and f not in seen)
    run("every vector file is replayed", lambda: eq(missing, [], "files without a replay"))
    run("round trip: two accounts share a vault", round_trip)
    run("round trip: SRP, OPAQUE and pre-login", srp_and_opaque_round_trip)
    run("sync: two devices, offline edits conflict, resolve_default keeps both", sync_two_devices)
    print(f"python: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
