// Replays every file in test-vectors/ through the Swift bindings, doing the
// same checks as vault-core/tests/vectors.rs: deterministic operations (given
// `Rng.seeded(seed_hex)`) reproduce the committed bytes exactly, and every
// `fail_*` vector fails with its recorded error code.
//
// Needs the library built with `--features test-vectors`
// (`build-xcframework.sh --test-vectors`). NOT RUN on the Linux CI, which has
// no Swift compiler; see README.md.

import Foundation
import XCTest
@testable import Vault

typealias JSON = [String: Any]

/// The repository's test-vectors/ directory (override with VAULT_TEST_VECTORS).
let vectorsDir: URL = {
    if let dir = ProcessInfo.processInfo.environment["VAULT_TEST_VECTORS"] {
        return URL(fileURLWithPath: dir)
    }
    return URL(fileURLWithPath: #filePath)  // bindings/swift/Tests/VaultTests/VectorTests.swift
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("test-vectors")
}()

struct VectorFailure: Error, CustomStringConvertible {
    let description: String
}

// MARK: - Helpers (the same as vectors.rs's)

func load(_ op: String) throws -> [JSON] {
    let data = try Data(contentsOf: vectorsDir.appendingPathComponent("\(op).json"))
    let doc = try JSONSerialization.jsonObject(with: data) as! JSON
    try eq(doc["operation"] as? String, op, "operation")
    try eq(doc["format_version"] as? Int, 1, "format_version")
    let vectors = doc["vectors"] as! [JSON]
    if vectors.isEmpty { throw VectorFailure(description: "\(op): no vectors") }
    return vectors
}

func eq<T: Equatable>(_ got: T, _ want: T, _ what: String) throws {
    if got != want { throw VectorFailure(description: "\(what):\n  got  \(got)\n  want \(want)") }
}

/// Compares JSON text produced by the binding with a parsed vector value.
func eqJSON(_ text: String, _ want: Any?, _ what: String) throws {
    let got = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    guard let w = want, (got as AnyObject).isEqual(w as AnyObject) else {
        throw VectorFailure(description: "\(what):\n  got  \(text)\n  want \(String(describing: want))")
    }
}

/// Serialises a vector value back to JSON text (to feed a `…FromJson`).
func js(_ value: Any?) -> String {
    let data = try! JSONSerialization.data(withJSONObject: value!, options: [.fragmentsAllowed])
    return String(decoding: data, as: UTF8.self)
}

/// The error code `body` fails with, or "NO ERROR".
func code(_ body: () throws -> Any?) -> String {
    do {
        _ = try body()
        return "NO ERROR"
    } catch let e as VaultError {
        return e.code()
    } catch {
        return "NOT A VaultError: \(error)"
    }
}

func unhex(_ s: String) -> Data {
    var out = Data(capacity: s.count / 2)
    var i = s.startIndex
    while i < s.endIndex {
        let j = s.index(i, offsetBy: 2)
        out.append(UInt8(s[i..<j], radix: 16)!)
        i = j
    }
    return out
}

func b64url(_ s: String) -> Data {
    var t = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while t.count % 4 != 0 { t += "=" }
    return Data(base64Encoded: t)!
}

extension Data {
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}

extension Dictionary where Key == String, Value == Any {
    func s(_ k: String) -> String { self[k] as! String }
    func o(_ k: String) -> JSON { self[k] as! JSON }
    func i(_ k: String) -> Int { self[k] as! Int }
    func a(_ k: String) -> [Any] { self[k] as? [Any] ?? [] }
    func hex(_ k: String) -> Data { unhex(s(k)) }
    var isFail: Bool { s("name").hasPrefix("fail_") }
}

func seeded(_ hex: String) throws -> Rng { try Rng.seeded(seed: unhex(hex)) }

let permissive = kdfPolicyPermissiveTestOnly()

func secretKey(_ v: JSON) throws -> SecretKey? {
    guard let h = v["secret_key_hex"] as? String else { return nil }
    return try SecretKey.fromBytes(bytes: unhex(h))
}

func kdfParams(_ d: JSON) -> KdfParams {
    KdfParams(memoryKib: UInt32(d.i("memory_kib")), iterations: UInt32(d.i("iterations")),
              parallelism: UInt32(d.i("parallelism")))
}

func kdfConfig(_ d: JSON) -> KdfConfig {
    KdfConfig(params: kdfParams(d.o("params")), salt: b64url(d.s("salt")))
}

func vaultKey(_ d: JSON) throws -> VaultKey {
    try VaultKey.fromParts(vaultId: d.s("vault"), keyVersion: UInt32(d.i("key_version")),
                           key: SymmetricKey.fromBytes(bytes: d.hex("key_hex")))
}

func accountFromSeed(_ password: String, _ seedHex: String) throws -> UnlockedAccount {
    try createAccount(password: password, secretKey: nil, params: kdfParamsInsecureTestOnly(),
                      rng: seeded(seedHex)).account
}

func algorithm(_ s: String) -> Algorithm {
    s == "aes256-gcm" ? .aes256Gcm : .xChaCha20Poly1305
}

func role(_ s: String) -> Role {
    switch s {
    case "owner": return .owner
    case "editor": return .editor
    default: return .viewer
    }
}

func context(_ d: JSON) -> EnvelopeContext {
    let kv = { UInt32(d.i("key_version")) }
    let rev = { UInt64(d.i("revision")) }
    switch d.s("kind") {
    case "account_key": return .accountKey(account: d.s("account"))
    case "identity_keys": return .identityKeys(account: d.s("account"))
    case "vault_key": return .vaultKey(account: d.s("account"), vault: d.s("vault"), keyVersion: kv())
    case "vault_meta": return .vaultMeta(vault: d.s("vault"), keyVersion: kv())
    case "item_key": return .itemKey(vault: d.s("vault"), item: d.s("item"), keyVersion: kv())
    case "item_overview": return .itemOverview(vault: d.s("vault"), item: d.s("item"), revision: rev())
    case "account_key_generation":
        return .accountKeyGeneration(account: d.s("account"), generation: UInt32(d.i("generation")))
    case "device_unlock":
        return .deviceUnlock(account: d.s("account"), device: d.s("device"), generation: UInt32(d.i("generation")))
    case "pin_unlock":
        return .pinUnlock(account: d.s("account"), device: d.s("device"), generation: UInt32(d.i("generation")))
    case "recovery_key": return .recoveryKey(account: d.s("account"), generation: UInt32(d.i("generation")))
    default: return .itemDetails(vault: d.s("vault"), item: d.s("item"), revision: rev())
    }
}

func str(_ d: JSON, _ k: String) -> String { d[k] as? String ?? "" }

func itemData(_ d: JSON) -> ItemData {
    switch d.s("type") {
    case "login":
        return .login(username: str(d, "username"), password: str(d, "password"),
                      uris: d.a("uris") as! [String], totp: str(d, "totp"))
    case "secure_note":
        return .secureNote
    case "api_key":
        return .apiKey(entries: (d.a("entries") as! [JSON]).map { EnvEntry(key: $0.s("key"), value: $0.s("value")) })
    case "card":
        return .card(cardholder: str(d, "cardholder"), brand: str(d, "brand"), number: str(d, "number"),
                     expMonth: str(d, "exp_month"), expYear: str(d, "exp_year"), code: str(d, "code"))
    case "identity":
        return .identity(fullName: str(d, "full_name"), email: str(d, "email"), phone: str(d, "phone"),
                         address: str(d, "address"), documentNumber: str(d, "document_number"))
    default:
        return .sshKey(privateKey: str(d, "private_key"), publicKey: str(d, "public_key"),
                       fingerprint: str(d, "fingerprint"))
    }
}

func fieldKind(_ s: String) -> FieldKind {
    switch s {
    case "hidden": return .hidden
    case "url": return .url
    case "boolean": return .boolean
    default: return .text
    }
}

func itemKind(_ s: String) -> ItemKind {
    switch s {
    case "login": return .login
    case "secure_note": return .secureNote
    case "api_key": return .apiKey
    case "card": return .card
    case "identity": return .identity
    default: return .sshKey
    }
}

/// An Item record from the item JSON of docs/format.md §6.3.
func item(_ d: JSON) -> Item {
    Item(title: d.s("title"), data: itemData(d.o("data")), notes: str(d, "notes"),
         tags: d.a("tags") as! [String], favorite: d["favorite"] as? Bool ?? false,
         customFields: (d.a("custom_fields") as! [JSON]).map {
             CustomField(name: $0.s("name"), value: $0.s("value"), kind: fieldKind(str($0, "kind").isEmpty ? "text" : $0.s("kind")))
         })
}

/// An Overview record from the overview JSON of docs/format.md §6.2.
func overview(_ d: JSON) -> Overview {
    Overview(v: UInt8(d.i("v")), kind: itemKind(d.s("kind")), title: d.s("title"),
             subtitle: str(d, "subtitle"), iconUrl: d["icon_url"] as? String,
             tags: d.a("tags") as! [String], favorite: d["favorite"] as? Bool ?? false)
}

// MARK: - Replays

func replayKdf(_ v: JSON) throws {
    let cfg = kdfConfig(v.o("kdf"))
    let pw = v.s("password")
    if v.isFail {
        try eq(v.s("policy"), "default", "policy")
        try eq(code { try kdfDeriveMasterKeys(password: pw, secretKey: nil, config: cfg, policy: kdfPolicyDefault()) },
               v.s("error"), "error")
        return
    }
    try eq(kdfStretch(password: pw, salt: cfg.salt, params: cfg.params).exposeSecret().hex, v.s("stretched_hex"), "stretched")
    let keys = try kdfDeriveMasterKeys(password: pw, secretKey: secretKey(v), config: cfg, policy: permissive)
    try eq(keys.authKey.exposeSecret().hex, v.s("auth_key_hex"), "auth key")
    try eq(keys.kek.exposeSecret().hex, v.s("kek_hex"), "kek")
}

func replayHkdf(_ v: JSON) throws {
    let st = try SymmetricKey.fromBytes(bytes: v.hex("stretched_hex"))
    let salt = b64url(v.s("salt"))
    let plain = try kdfMasterKeysFromStretched(stretched: st, secretKey: nil, salt: salt)
    try eq(plain.authKey.exposeSecret().hex, v.s("auth_key_hex"), "auth key")
    try eq(plain.kek.exposeSecret().hex, v.s("kek_hex"), "kek")
    let sk = try SecretKey.fromBytes(bytes: v.hex("secret_key_hex"))
    let mixed = try kdfMasterKeysFromStretched(stretched: st, secretKey: sk, salt: salt)
    try eq(mixed.authKey.exposeSecret().hex, v.o("with_secret_key").s("auth_key_hex"), "auth key+sk")
    try eq(mixed.kek.exposeSecret().hex, v.o("with_secret_key").s("kek_hex"), "kek+sk")
}

func replayEnvelope(_ v: JSON) throws {
    let key = try SymmetricKey.fromBytes(bytes: v.hex("key_hex"))
    let ctx = context(v.o("context"))
    if v.isFail {
        let got: String
        if let text = v["envelope_text"] as? String {
            got = code { try Envelope.fromText(text: text).open(key: key, context: ctx) }
        } else {
            got = code { try Envelope.fromBytes(bytes: v.hex("envelope_hex")).open(key: key, context: ctx) }
        }
        try eq(got, v.s("error"), "error")
        return
    }
    let alg = algorithm(v.s("algorithm"))
    try eq(ctx.aadBytes(version: 1, algorithm: alg).hex, v.s("aad_hex"), "aad")
    let pt = v.hex("plaintext_hex")
    let env = try hazmatSealWithNonce(key: key, algorithm: alg, context: ctx, nonce: v.hex("nonce_hex"), plaintext: pt)
    try eq(env.toBytes().hex, v.s("envelope_hex"), "envelope bytes")
    try eq(env.toText(), v.s("envelope_text"), "envelope text")
    try eq(Envelope.fromText(text: v.s("envelope_text")).open(key: key, context: ctx), pt, "opened")
}

func replaySecretKey(_ v: JSON) throws {
    if v.isFail {
        try eq(code { try SecretKey.parse(text: v.s("text")) }, v.s("error"), "error")
        return
    }
    let sk = try SecretKey.fromBytes(bytes: v.hex("bytes_hex"))
    try eq(sk.toDisplayString(), v.s("text"), "text")
    for t in v.a("also_parses") as! [String] { try eq(SecretKey.parse(text: t), sk, "parse \(t)") }
}

func replayAccount(_ v: JSON) throws {
    if v.isFail {
        try eq(code { try encryptedAccountFromJson(json: v.s("record_json")) }, v.s("error"), "error")
        return
    }
    let pw = v.s("password")
    let sk = try secretKey(v)
    let params = kdfParams(v.o("params"))
    let created = try createAccount(password: pw, secretKey: sk, params: params, rng: seeded(v.s("seed_hex")))
    try eqJSON(created.credentials.encrypted.toJson(), v["encrypted"], "encrypted")
    try eq(created.credentials.authKey.exposeSecret().hex, v.s("auth_key_hex"), "auth key")
    try eq(created.account.fingerprint(), v.s("fingerprint"), "fingerprint")

    let stored = try encryptedAccountFromJson(json: js(v["encrypted"]))
    let unlocked = try stored.unlock(password: pw, secretKey: sk, policy: permissive)
    try eq(unlocked.accountKey().exposeSecret().hex, v.s("account_key_hex"), "account key")
    let wrong = v.o("fail_wrong_password")
    try eq(code { try stored.unlock(password: wrong.s("password"), secretKey: sk, policy: permissive) },
           wrong.s("error"), "wrong password")

    let c = v.o("change_password")
    let changed = try unlocked.changePassword(current: stored, newPassword: c.s("new_password"), secretKey: sk,
                                              params: params, rng: seeded(c.s("seed_hex")))
    try eqJSON(changed.encrypted.toJson(), c["encrypted"], "changed record")
    try eq(changed.authKey.exposeSecret().hex, c.s("auth_key_hex"), "changed auth key")
    let after = try encryptedAccountFromJson(json: js(c["encrypted"]))
    try eq(after.unlock(password: c.s("new_password"), secretKey: sk, policy: permissive).accountKey().exposeSecret().hex,
           v.s("account_key_hex"), "account key after change")
    try eq(code { try after.unlock(password: pw, secretKey: sk, policy: permissive) },
           v.o("fail_old_password_after_change").s("error"), "old password after change")
}

func replayVault(_ v: JSON) throws {
    let owner = try accountFromSeed("pw", v.s("owner_seed_hex"))
    let meta = VaultMeta(name: v.o("meta").s("name"), description: str(v.o("meta"), "description"))
    let created = try owner.createVault(meta: meta, rng: seeded(v.s("seed_hex")))
    let vk = created.key
    try eq(vk, vaultKey(v.o("vault_key")), "vault key")
    try eqJSON(created.vault.toJson(), v["encrypted_vault"], "encrypted vault")
    try eqJSON(created.wrappedKey.toJson(), v["wrapped_key"], "wrapped key")
    try eq(owner.unwrapVaultKey(wrapped: wrappedVaultKeyFromJson(json: js(v["wrapped_key"]))), vk, "unwrap")
    try eq(vk.openMeta(vault: encryptedVaultFromJson(json: js(v["encrypted_vault"]))), meta, "meta")

    let items = try encryptedItemsFromJson(json: js(v["items"]))
    let r = v.o("rotate")
    let rot = try vk.rotate(vault: created.vault, items: items, rng: seeded(r.s("seed_hex")))
    try eq(rot.key, vaultKey(r.o("vault_key")), "rotated key")
    try eqJSON(rot.vault.toJson(), r["encrypted_vault"], "rotated vault")
    try eqJSON("[" + rot.items.map { try $0.toJson() }.joined(separator: ",") + "]", r["items"], "rotated items")
    let wrapped = try owner.wrapVaultKey(key: rot.key, rng: seeded(r.s("wrap_seed_hex")))
    try eqJSON(wrapped.toJson(), r["wrapped_key"], "rotated wrap")
    try eq(owner.accountKey().exposeSecret().hex, v.s("owner_account_key_hex"), "owner account key")
    for (p, it) in zip(v.a("items_plaintext") as! [JSON], rot.items) {
        try eq(rot.key.decryptItem(item: it), item(p), "rotated item plaintext")
    }
    for (old, new) in zip(items, rot.items) {
        try eq(vk.decryptItem(item: old), rot.key.decryptItem(item: new), "same contents")
        try eq(old.details, new.details, "rotation must not re-encrypt contents")
        try eq(code { try vk.decryptItem(item: new) }, r.s("fail_old_key_on_rotated_item"), "old key")
    }
}

func replayItem(_ v: JSON) throws {
    let vk = try vaultKey(v.o("vault_key"))
    let enc = try encryptedItemFromJson(json: js(v["encrypted"]))
    if v.isFail {
        try eq(code { try vk.decryptItem(item: enc) }, v.s("error"), "error")
        return
    }
    let want = item(v.o("item"))
    let again = try vk.encryptItemWith(itemId: v.s("item_id"), revision: UInt64(v.i("revision")), item: want,
                                       algorithm: algorithm(v.s("algorithm")), rng: seeded(v.s("seed_hex")))
    try eqJSON(again.toJson(), v["encrypted"], "encrypted")
    try eq(vk.decryptItem(item: enc), want, "decrypted")
    try eq(vk.decryptOverview(item: enc).overview, overview(v.o("overview")), "overview")
    try eq(want.overview(), overview(v.o("overview")), "Item.overview()")
}

func replayList(_ v: JSON) throws {
    let vk = try vaultKey(v.o("vault_key"))
    let results = vk.decryptList(items: try encryptedItemsFromJson(json: js(v["items"])))
    let expected = v.a("results") as! [JSON]
    try eq(results.count, expected.count, "count")
    for (i, (got, want)) in zip(results, expected).enumerated() {
        if let ok = want["ok"] as? JSON {
            guard case let .row(row) = got else { throw VectorFailure(description: "slot \(i): \(got)") }
            try eq(row.item, ok.s("item"), "slot \(i) item")
            try eq(row.revision, UInt64(ok.i("revision")), "slot \(i) revision")
            try eq(row.overview, overview(ok.o("overview")), "slot \(i) overview")
        } else {
            guard case let .failed(code, _) = got else { throw VectorFailure(description: "slot \(i): \(got)") }
            try eq(code, want.s("error"), "slot \(i) error")
        }
    }
}

func replayGrant(_ v: JSON) throws {
    let senderId = try publicIdentityFromJson(json: js(v["sender_identity"]))
    let grant = try vaultGrantFromJson(json: js(v["grant"]))
    if v.isFail {
        let who = try accountFromSeed("x", v.s("recipient_seed_hex"))
        try eq(code { try who.openGrant(grant: grant, sender: senderId) }, v.s("error"), "error")
        return
    }
    let sender = try accountFromSeed("alice", v.s("sender_seed_hex"))
    let recipient = try accountFromSeed("bob", v.s("recipient_seed_hex"))
    try eqJSON(sender.publicIdentity().toJson(), v["sender_identity"], "sender identity")
    try eqJSON(recipient.publicIdentity().toJson(), v["recipient_identity"], "recipient identity")
    let vk = try vaultKey(v.o("vault_key"))
    let again = try sender.grantVault(key: vk, recipient: recipient.publicIdentity(), role: role(v.s("role")),
                                      rng: seeded(v.s("seed_hex")))
    try eqJSON(again.toJson(), v["grant"], "grant")
    try eq(vaultGrantHpkeInfo(vaultId: vk.vaultId(), keyVersion: vk.keyVersion(), sender: senderId,
                              recipient: recipient.publicIdentity()).hex, v.s("hpke_info_hex"), "hpke info")
    try eq(recipient.openGrant(grant: grant, sender: senderId), vk, "opened")
}

func replayFingerprint(_ v: JSON) throws {
    let id = try publicIdentityFromJson(json: js(v["identity"]))
    if v.isFail {
        try eq(code { try id.verify() }, v.s("error"), "error")
        return
    }
    try id.verify()
    try eq(id.fingerprint(), v.s("fingerprint"), "fingerprint")
}

func replayShamir(_ v: JSON) throws {
    if v.isFail {
        let got: String
        if let text = v["share_text"] as? String {
            got = code { try Share.fromText(text: text) }
        } else {
            got = code { try shamirCombine(shares: (v.a("share_bytes_hex") as! [String]).map { try Share.fromBytes(bytes: unhex($0)) }) }
        }
        try eq(got, v.s("error"), "error")
        return
    }
    let secret = v.hex("secret_hex")
    let k = v.i("threshold")
    let shares = try shamirSplit(secret: secret, threshold: UInt8(k), shares: UInt8(v.i("shares")), rng: seeded(v.s("seed_hex")))
    let texts = v.a("share_texts") as! [String]
    try eq(shares.map { $0.toText() }, texts, "share texts")
    let parsed = try texts.map { try Share.fromText(text: $0) }
    for i in 0...(parsed.count - k) {
        try eq(shamirCombine(shares: Array(parsed[i..<(i + k)])).exposeSecret(), secret, "window \(i)")
    }
    for (s, h) in zip(shares, v.a("share_bytes_hex") as! [String]) { try eq(s.toBytes().hex, h, "share bytes") }
}

func replaySrp(_ v: JSON) throws {
    let id = v.s("identifier")
    let auth = try SymmetricKey.fromBytes(bytes: v.hex("auth_key_hex"))
    let group: SrpGroup = v.s("group") == "rfc5054-4096" ? .rfc5054Group4096 : .rfc5054Group3072
    let record = try srpRegister(identifier: id, authKey: auth, group: group, rng: seeded(v.s("register_seed_hex")))
    try eqJSON(record.toJson(), v["registration"], "registration")
    let started = try srpLoginStart(identifier: id, authKey: auth, group: group, rng: seeded(v.s("client_seed_hex")))
    try eqJSON(started.hello.toJson(), v["client_hello"], "client hello")
    // The server side is driven from the committed messages, as a server would.
    let stored = try SrpRegistration.fromJson(json: js(v["registration"]))
    let helloIn = try SrpClientHello.fromJson(json: js(v["client_hello"]))
    let server = try srpServerStart(record: stored, hello: helloIn, rng: seeded(v.s("server_seed_hex")))
    try eqJSON(server.challenge.toJson(), v["server_challenge"], "server challenge")
    let answered = try started.state.processChallenge(challenge: SrpServerChallenge.fromJson(json: js(v["server_challenge"])))
    try eqJSON(answered.proof.toJson(), v["client_proof"], "client proof")
    let finished = try server.state.finish(proof: SrpClientProof.fromJson(json: js(v["client_proof"])))
    try eqJSON(finished.proof.toJson(), v["server_proof"], "server proof")
    let key = try answered.state.verifyServer(proof: finished.proof)
    try eq(key.exposeSecret().hex, v.s("session_key_hex"), "session key")
    try eq(key, finished.sessionKey, "same key both sides")
    try eq(code { try answered.state.verifyServer(proof: finished.proof) }, "invalid_argument", "state reuse")

    let f = v.o("fail_wrong_password")
    let server2 = try srpServerStart(record: stored, hello: helloIn, rng: seeded(v.s("server_seed_hex")))
    let bad = try SrpClientProof.fromJson(json: js(f["client_proof"]))
    try eq(code { try server2.state.finish(proof: bad) }, f.s("error"), "wrong password")
}

func replayOpaque(_ v: JSON) throws {
    let id = v.s("identifier")
    let auth = try SymmetricKey.fromBytes(bytes: v.hex("auth_key_hex"))
    if v.isFail {
        let ke2 = try OpaqueKe2.fromJson(json: js(v["ke2"]))
        let login = try opaqueLoginStart(identifier: id, authKey: auth, rng: Rng.seeded(seed: Data(count: 32)))
        try eq(code { try login.state.finish(ke2: ke2, rng: Rng.seeded(seed: Data(count: 32))) }, v.s("error"), "error")
        return
    }
    let seeds = v.o("seeds")
    func s(_ k: String) throws -> Rng { try seeded(seeds.s(k)) }
    let setup = try OpaqueServerSetup.generate(rng: s("setup"))
    try eqJSON(setup.toJson(), v["server_setup"], "server setup")
    try eq(setup.publicKey().hex, v.s("server_public_key_hex"), "server public key")
    let reg = try opaqueRegistrationStart(identifier: id, authKey: auth, rng: s("registration_start"))
    try eqJSON(reg.request.toJson(), v["registration_request"], "registration request")
    let response = try setup.registrationResponse(
        identifier: id, request: OpaqueRegistrationRequest.fromJson(json: js(v["registration_request"])))
    try eqJSON(response.toJson(), v["registration_response"], "registration response")
    let registered = try reg.state.finish(response: response, rng: s("registration_finish"))
    try eqJSON(registered.record.toJson(), v["registration_record"], "record")
    try eq(registered.exportKey.exposeSecret().hex, v.s("export_key_hex"), "export key")
    let record = try OpaqueRegistrationRecord.fromJson(json: js(v["registration_record"]))
    let login = try opaqueLoginStart(identifier: id, authKey: auth, rng: s("login_start"))
    try eqJSON(login.ke1.toJson(), v["ke1"], "ke1")
    let server = try opaqueServerLoginStart(setup: setup, identifier: id, record: record,
                                            ke1: OpaqueKe1.fromJson(json: js(v["ke1"])), rng: s("login_server"))
    try eqJSON(server.ke2.toJson(), v["ke2"], "ke2")
    let done = try login.state.finish(ke2: server.ke2, rng: s("login_finish"))
    try eqJSON(done.ke3.toJson(), v["ke3"], "ke3")
    try eq(done.sessionKey.exposeSecret().hex, v.s("session_key_hex"), "session key")
    try eq(server.state.finish(ke3: OpaqueKe3.fromJson(json: js(v["ke3"]))), done.sessionKey, "same key both sides")
}

func replayPrelogin(_ v: JSON) throws {
    let server = PreloginServer(serverSecret: try SymmetricKey.fromBytes(bytes: v.hex("server_secret_hex")),
                                kdfParams: kdfParams(v.o("kdf_params")), srpGroup: .rfc5054Group3072)
    let id = v.s("identifier")
    let fake = try server.fakeResponse(identifier: id)
    try eqJSON(fake.toJson(), v["srp_response"], "srp response")
    try eqJSON(server.respondOpaque(identifier: id, kdf: nil).toJson(), v["opaque_response"], "opaque response")
    try eqJSON(server.fakeSrpRecord(identifier: id).toJson(), v["fake_srp_record"], "fake srp record")
    // The client side: parse, check against the policy, read the SRP part.
    let client = try PreloginResponse.fromJson(json: js(v["srp_response"]))
    try eq(client, fake, "parsed response")
    try eq(client.checkedKdf(policy: kdfPolicyDefault()), kdfConfig(v.o("srp_response").o("kdf")), "checked kdf")
    guard let srp = try client.srp() else { throw VectorFailure(description: "no srp part") }
    try eq(srp.group.wireName(), v.o("srp_response").o("srp").s("group"), "srp group")
    try eq(srp.salt, b64url(v.o("srp_response").o("srp").s("salt")), "srp salt")
}

/// lifecycle.json: quick unlock, recovery kit, account key rotation (`case` names the replay).
func replayLifecycle(_ v: JSON) throws {
    let name = v.s("name")
    try eq(v.isFail, v["error"] != nil, "fail_* vectors carry an error")
    func record(_ d: Any?) throws -> EncryptedAccount { try encryptedAccountFromJson(json: js(d)) }
    func unlocked(_ rec: Any?, _ keyHex: String) throws -> UnlockedAccount {
        try record(rec).unlockWithAccountKey(accountKey: SymmetricKey.fromBytes(bytes: unhex(keyHex)))
    }
    func optKey(_ d: JSON, _ k: String) throws -> SymmetricKey? {
        guard let h = d[k] as? String else { return nil }
        return try SymmetricKey.fromBytes(bytes: unhex(h))
    }
    func keyHex(_ a: UnlockedAccount) -> String { a.accountKey().exposeSecret().hex }
    switch v.s("case") {
    case "context":
        let ctx = context(v.o("context"))
        let alg = algorithm(v.s("algorithm"))
        try eq(Int(try ctx.kind()), v.i("kind"), "kind")
        try eq(try ctx.aadBytes(version: 1, algorithm: alg).hex, v.s("aad_hex"), "aad")
        let key = try SymmetricKey.fromBytes(bytes: v.hex("key_hex"))
        let env = try hazmatSealWithNonce(key: key, algorithm: alg, context: ctx, nonce: v.hex("nonce_hex"),
                                          plaintext: v.hex("plaintext_hex"))
        try eq(env.toBytes().hex, v.s("envelope_hex"), "envelope")
        try eq(env.toText(), v.s("envelope_text"), "envelope text")
        try eq(try env.open(key: key, context: ctx).hex, v.s("plaintext_hex"), "opened")
    case "device_unlock":
        let rec = try record(v["record"])
        let acct = try unlocked(v["record"], v.s("account_key_hex"))
        try eq(Int(acct.keyGeneration()), (v.o("record")["key_generation"] as? Int) ?? 1, "key generation")
        let rng = try seeded(v.s("seed_hex"))
        let key: SymmetricKey
        let wrap: DeviceUnlock
        if v["generate_key"] as! Bool {
            let e = try acct.enableDeviceUnlock(device: v.s("device"), rng: rng)
            key = e.deviceKey
            wrap = e.wrap
        } else {
            key = try SymmetricKey.fromBytes(bytes: v.hex("device_key_hex"))
            wrap = try acct.deviceUnlockWithKey(device: v.s("device"), deviceKey: key, rng: rng)
        }
        try eq(key.exposeSecret().hex, v.s("device_key_hex"), "device key")
        try eqJSON(try wrap.toJson(), v["wrap"], "wrap")
        let stored = try deviceUnlockFromJson(json: js(v["wrap"]))
        try eqJSON(try stored.toJson(), v["wrap"], "parsed wrap")
        try eq(keyHex(try stored.unlock(deviceKey: key, record: rec)), v.s("account_key_hex"), "unlocked")
    case "pin_unlock":
        let rec = try record(v["record"])
        let acct = try unlocked(v["record"], v.s("account_key_hex"))
        let wrap = try acct.enablePinUnlock(device: v.s("device"), pin: v.s("pin"), params: kdfParams(v.o("params")),
                                            deviceSecret: optKey(v, "device_secret_hex"),
                                            maxAttempts: UInt8(v.i("max_attempts")), rng: seeded(v.s("seed_hex")))
        try eqJSON(try wrap.toJson(), v["wrap"], "wrap")
        try eq(try kdfStretch(password: v.s("pin"), salt: b64url(v.o("wrap").o("kdf").s("salt")),
                              params: kdfParams(v.o("params"))).exposeSecret().hex, v.s("stretched_hex"), "stretched PIN")
        var state = try PinUnlock.fromJson(json: js(v["wrap"]))
        for (i, a) in (v.a("attempts") as! [JSON]).enumerated() {
            var got: UnlockedAccount?
            let c = code {
                got = try state.unlock(pin: a.s("pin"), deviceSecret: optKey(a, "device_secret_hex"),
                                       record: rec, policy: permissive)
                return got
            }
            if let want = a["error"] as? String {
                try eq(c, want, "attempt \(i)")
            } else {
                try eq(c, "NO ERROR", "attempt \(i)")
                try eq(got.map(keyHex), v.s("account_key_hex"), "attempt \(i) key")
            }
            try eqJSON(try state.toJson(), a["state"], "state after attempt \(i)")
            try eq(state.isErased(), a.o("state")["wrapped"] is NSNull, "erased after attempt \(i)")
            // What the app persists after each attempt is what it reads back next time.
            state = try PinUnlock.fromJson(json: js(a["state"]))
        }
    case "recovery_kit":
        let rec = try record(v["record"])
        let acct = try unlocked(v["record"], v.s("account_key_hex"))
        let kit = try acct.createRecoveryKit(rng: seeded(v.s("seed_hex")))
        try eq(kit.key.exposeSecret().hex, v.s("recovery_key_hex"), "recovery key")
        try eq(kit.words, v.s("words"), "words")
        try eq(kit.key.toWords(), v.s("words"), "toWords")
        try eqJSON(try kit.wrap.toJson(), v["wrap"], "wrap")
        try eq(kit.key.authToken().exposeSecret().hex, v.s("auth_token_hex"), "auth token")
        for t in v.a("also_parses") as! [String] { try eq(try RecoveryKey.fromWords(words: t), kit.key, "parses") }
        let stored = try recoveryWrapFromJson(json: js(v["wrap"]))
        try eq(try stored.checkAuthToken(token: kit.key.authToken()), true, "auth token accepted")
        try eq(try stored.checkAuthToken(token: acct.accountKey()), false, "other token refused")
        try eq(keyHex(try recoverAccount(words: v.s("words"), wrap: stored, record: rec)), v.s("account_key_hex"),
               "recovered")
    case "recovery_words":
        if v.isFail {
            try eq(code { try RecoveryKey.fromWords(words: v.s("words")) }, v.s("error"), "error")
            return
        }
        let key = try RecoveryKey.fromBytes(bytes: v.hex("recovery_key_hex"))
        try eq(key.toWords(), v.s("words"), "words")
        try eq(try RecoveryKey.fromWords(words: v.s("words")), key, "parsed")
    case "recovery_split":
        let key = try RecoveryKey.fromBytes(bytes: v.hex("recovery_key_hex"))
        let k = v.i("threshold")
        let shares = try key.split(threshold: UInt8(k), shares: UInt8(v.i("shares")), rng: seeded(v.s("seed_hex")))
        try eq(shares.map { $0.toText() }, v.a("share_texts") as! [String], "share texts")
        try eq(shares.map { $0.toBytes().hex }, v.a("share_bytes_hex") as! [String], "share bytes")
        let parsed = try (v.a("share_texts") as! [String]).map { try Share.fromText(text: $0) }
        for i in 0...(parsed.count - k) {
            let back = try RecoveryKey.combine(shares: Array(parsed[i..<(i + k)]))
            try eq(back, key, "window \(i)")
        }
    case "rotation":
        let rec = try record(v["record"])
        let acct = try unlocked(v["record"], v.s("account_key_hex"))
        let own = try (v.a("own_wraps")).map { try wrappedVaultKeyFromJson(json: js($0)) }
        let pw = v.s("password")
        let rotated = try acct.rotateAccountKey(current: rec, password: pw, secretKey: nil, policy: permissive,
                                                ownWraps: own, rng: seeded(v.s("seed_hex")))
        try eq(keyHex(rotated.account), v.s("new_account_key_hex"), "new account key")
        try eq(rotated.account.keyGeneration(), rec.keyGeneration + 1, "new generation")
        try eqJSON(try rotated.change.toJson(), v["change"], "change set")
        let stored = try accountKeyRotationFromJson(json: js(v["change"]))
        let again = try stored.record.unlock(password: pw, secretKey: nil, policy: permissive)
        try eq(keyHex(again), v.s("new_account_key_hex"), "new record unlocks with the password")
        for (w, k) in zip(stored.vaultKeys, v.a("vault_keys") as! [JSON]) {
            try eq(try again.unwrapVaultKey(wrapped: w), try vaultKey(k), "re-wrapped vault key")
            try eq(code { try acct.unwrapVaultKey(wrapped: w) }, "decrypt", "old account key on a new wrap")
        }
        try eq(code { try stored.record.unlockWithAccountKey(accountKey: acct.accountKey()) },
               v.s("fail_old_account_key_on_new_record"), "old account key on the new record")
    case "device_open":
        let wrap = try deviceUnlockFromJson(json: js(v["wrap"]))
        let key = try SymmetricKey.fromBytes(bytes: v.hex("device_key_hex"))
        try eq(code { try wrap.unlock(deviceKey: key, record: record(v["record"])) }, v.s("error"), name)
    case "pin_attempt":
        let state = try PinUnlock.fromJson(json: js(v["before"]))
        try eq(code { try state.unlock(pin: v.s("pin"), deviceSecret: optKey(v, "device_secret_hex"),
                                       record: record(v["record"]), policy: permissive) }, v.s("error"), name)
        try eqJSON(try state.toJson(), v["state"], "state")
    case "recovery_open":
        let wrap = try recoveryWrapFromJson(json: js(v["wrap"]))
        try eq(code { try recoverAccount(words: v.s("words"), wrap: wrap, record: record(v["record"])) },
               v.s("error"), name)
    case "record_unlock":
        try eq(code { try record(v["record"]).unlock(password: v.s("password"), secretKey: nil, policy: permissive) },
               v.s("error"), name)
    case "rotate":
        let acct = try unlocked(v["unlock_record"], v.s("account_key_hex"))
        try eq(code {
            try acct.rotateAccountKey(current: record(v["record"]), password: v.s("password"), secretKey: nil,
                                      policy: permissive, ownWraps: [], rng: Rng.seeded(seed: Data(count: 32)))
        }, v.s("error"), name)
    case "parse":
        let text = v.s("json")
        let got: String
        switch v.s("type") {
        case "device_unlock": got = code { try deviceUnlockFromJson(json: text) }
        case "pin_unlock": got = code { try PinUnlock.fromJson(json: text) }
        case "recovery_wrap": got = code { try recoveryWrapFromJson(json: text) }
        default: got = code { try accountKeyRotationFromJson(json: text) }
        }
        try eq(got, v.s("error"), name)
    default:
        throw VectorFailure(description: "unknown case \(v.s("case"))")
    }
}

// MARK: - XCTest

final class VectorTests: XCTestCase {
    private func replay(_ op: String, _ body: (JSON) throws -> Void) throws {
        var failures: [String] = []
        let vectors = try load(op)
        for v in vectors {
            do { try body(v) } catch { failures.append("\(op)/\(v.s("name")): \(error)") }
        }
        XCTAssert(failures.isEmpty, failures.joined(separator: "\n"))
    }

    func testKdf() throws { try replay("kdf", replayKdf) }
    func testHkdf() throws { try replay("hkdf", replayHkdf) }
    func testEnvelope() throws { try replay("envelope", replayEnvelope) }
    func testSecretKey() throws { try replay("secret_key", replaySecretKey) }
    func testAccount() throws { try replay("account", replayAccount) }
    func testVault() throws { try replay("vault", replayVault) }
    func testItem() throws { try replay("item", replayItem) }
    func testList() throws { try replay("list", replayList) }
    func testGrant() throws { try replay("grant", replayGrant) }
    func testFingerprint() throws { try replay("fingerprint", replayFingerprint) }
    func testShamir() throws { try replay("shamir", replayShamir) }
    func testSrp() throws { try replay("srp", replaySrp) }
    func testOpaque() throws { try replay("opaque", replayOpaque) }
    func testPrelogin() throws { try replay("prelogin", replayPrelogin) }
    func testLifecycle() throws { try replay("lifecycle", replayLifecycle) }

    /// Every vector file has a replay above.
    func testEveryFileIsReplayed() throws {
        let known: Set<String> = ["kdf", "hkdf", "envelope", "secret_key", "account", "vault", "item", "list",
                                  "grant", "fingerprint", "shamir", "srp", "opaque", "prelogin", "lifecycle"]
        let files = try FileManager.default.contentsOfDirectory(atPath: vectorsDir.path)
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }
        XCTAssertEqual(Set(files).subtracting(known), [])
    }
}
