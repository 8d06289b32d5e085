// SRP-6a and OPAQUE logins with both halves driven through the binding, the
// way a Node server and a Node client would: messages as JSON over a fake
// wire, server state persisted between the two requests.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { vault, INSECURE, PERMISSIVE, codeOf } from './helpers.mjs'

const wire = (m) => JSON.parse(JSON.stringify(m)) // what HTTP does to a message
const ID = 'alice@example.com'

async function signUp(password) {
  const { encrypted, authKey } = await vault.createAccount(password, { params: INSECURE })
  return { encrypted, authKey }
}

async function clientAuthKey(server, kdfOf, password) {
  // Pre-login, then the auth key from the password (Argon2id off the event loop).
  const answer = wire(server.respond(ID, kdfOf))
  const { kdf, srp } = vault.checkPreloginResponse(answer, PERMISSIVE)
  const keys = await vault.deriveMasterKeys(password, kdf, { policy: PERMISSIVE })
  return { authKey: keys.authKey, srp }
}

test('SRP-6a: registration, login, wrong password, unknown account', async () => {
  const acct = await signUp('hunter2')
  const record = wire(vault.srpRegister(ID, acct.authKey, 'rfc5054-3072'))
  const pre = new vault.PreloginServer(vault.SymmetricKey.generate(), INSECURE)
  const db = new Map([[ID, { kdf: acct.encrypted.kdf, srp: record }]])

  const login = async (identifier, password) => {
    const known = db.get(identifier)
    const answer = wire(known ? pre.respond(identifier, known) : pre.respond(identifier, null))
    const { kdf, srp } = vault.checkPreloginResponse(answer, PERMISSIVE)
    const { authKey } = await vault.deriveMasterKeys(password, kdf, { policy: PERMISSIVE })
    const { client, hello } = vault.SrpClientLogin.start(identifier, authKey, srp.group)
    // Request 1 (server): look up by hello.identifier; unknown accounts use the fake record.
    const h = wire(hello)
    const { server, challenge } = pre.srpStart(db.get(h.identifier)?.srp ?? null, h)
    const persisted = server.toJson()
    // Request 2.
    const proof = client.processChallenge(wire(challenge))
    const restored = vault.SrpServerLogin.fromJson(persisted)
    const { serverProof, sessionKey } = restored.finish(wire(proof))
    const clientKey = client.verifyServer(wire(serverProof))
    assert.ok(clientKey.equals(sessionKey))
    assert.equal(clientKey.length, 32)
    assert.equal(codeOf(() => restored.finish(wire(proof))), 'invalid_argument', 'a state finishes once')
    return clientKey
  }

  await login(ID, 'hunter2')
  await assert.rejects(login(ID, 'wrong'), (e) => e.code === 'authentication_failed')
  await assert.rejects(login('nobody@example.com', 'x'), (e) => e.code === 'authentication_failed')
  // Pre-login for an unknown identifier is deterministic and shaped like a real answer.
  assert.deepEqual(pre.respond('nobody@example.com', null), pre.fakeResponse('nobody@example.com'))
  assert.deepEqual(Object.keys(pre.fakeResponse('x@y')).sort(), Object.keys(pre.respond(ID, db.get(ID))).sort())
  // A server answering with weak KDF params is refused by a default-policy client.
  assert.equal(codeOf(() => vault.checkPreloginResponse(pre.respond(ID, db.get(ID)))), 'kdf_policy')
  assert.equal(vault.preloginRequestIdentifier(wire(vault.preloginRequest(ID))), ID)
})

test('SRP-6a: the 4096-bit group and the plain SrpServerLogin.start', () => {
  const authKey = vault.SymmetricKey.generate()
  const record = vault.srpRegister(ID, authKey, 'rfc5054-4096')
  assert.equal(Buffer.from(record.verifier, 'base64url').length, 512)
  const { client, hello } = vault.SrpClientLogin.start(ID, authKey, 'rfc5054-4096')
  const { server, challenge } = vault.SrpServerLogin.start(JSON.stringify(record), JSON.stringify(hello))
  const { serverProof, sessionKey } = server.finish(client.processChallenge(challenge))
  assert.ok(client.verifyServer(serverProof).equals(sessionKey))
  assert.equal(codeOf(() => client.verifyServer(serverProof)), 'invalid_argument')
})

test('OPAQUE: registration, login with persisted states, wrong password, unknown account', async () => {
  const acct = await signUp('correct horse')
  const setupJson = vault.OpaqueServerSetup.generate().toJson() // persisted once per deployment
  const setup = () => vault.OpaqueServerSetup.fromJson(setupJson)
  const pre = new vault.PreloginServer(vault.SymmetricKey.generate(), INSECURE)

  // Registration over an authenticated channel.
  const reg = vault.OpaqueClientRegistration.start(ID, acct.authKey)
  const response = setup().registrationResponse(ID, wire(reg.request))
  const { record, exportKey, serverPublicKey } = reg.client.finish(wire(response))
  assert.deepEqual(serverPublicKey, setup().publicKey)
  const db = new Map([[ID, { kdf: acct.encrypted.kdf, opaque: wire(record) }]])

  const login = async (identifier, password) => {
    const known = db.get(identifier)
    const answer = wire(pre.respondOpaque(identifier, known?.kdf ?? null))
    const { kdf } = vault.checkPreloginResponse(answer, PERMISSIVE)
    const { authKey } = await vault.deriveMasterKeys(password, kdf, { policy: PERMISSIVE })
    const { client, ke1 } = vault.OpaqueClientLogin.start(identifier, authKey)
    const { server, ke2 } = vault.OpaqueServerLogin.start(setup(), identifier, known?.opaque ?? null, wire(ke1))
    const persisted = server.toJson()
    const done = client.finish(wire(ke2))
    const serverKey = vault.OpaqueServerLogin.fromJson(persisted).finish(wire(done.ke3))
    assert.ok(done.sessionKey.equals(serverKey))
    assert.equal(serverKey.length, 64)
    assert.ok(done.exportKey.equals(exportKey))
    return serverKey
  }

  await login(ID, 'correct horse')
  await assert.rejects(login(ID, 'wrong'), (e) => e.code === 'authentication_failed')
  await assert.rejects(login('nobody@example.com', 'x'), (e) => e.code === 'authentication_failed')
})

test('protocol messages are validated strictly, with the core codes', () => {
  const authKey = vault.SymmetricKey.generate()
  const { hello } = vault.SrpClientLogin.start(ID, authKey)
  const record = vault.srpRegister(ID, authKey)
  assert.equal(codeOf(() => vault.SrpServerLogin.start(record, { ...hello, v: 2 })), 'unsupported_version')
  assert.equal(codeOf(() => vault.SrpServerLogin.start(record, { ...hello, extra: 1 })), 'malformed')
  assert.equal(codeOf(() => vault.SrpServerLogin.start(record, '{not json')), 'malformed')
  assert.equal(codeOf(() => vault.SrpServerLogin.fromJson('{}')), 'malformed')
  const { ke1 } = vault.OpaqueClientLogin.start(ID, authKey)
  const setup = vault.OpaqueServerSetup.generate()
  assert.equal(codeOf(() => vault.OpaqueServerLogin.start(setup, ID, null, { ...ke1, v: 9 })), 'unsupported_version')
  assert.equal(codeOf(() => vault.OpaqueServerLogin.start(setup, ID, null, { v: 1, ke1: 'AAAA' })), 'malformed')
})
