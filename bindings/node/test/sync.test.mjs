// The sans-IO sync engine through the binding: two devices of one user and a
// toy in-memory server standing in for HTTP (requests and answers travel as
// JSON text, as they would over the wire).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { vault, INSECURE, PERMISSIVE, codeOf } from './helpers.mjs'

/** The compare-and-swap rules of docs/protocol.md for one user; the log length is the cursor. */
class ToySyncServer {
  constructor () {
    this.states = new Map() // `vault/item` → ItemState
    this.log = [] // { key } for item writes, { change } for memberships
  }

  addMember (entry) {
    this.log.push({ change: { type: 'vault', ...entry } })
  }

  pull (requestJson) {
    const req = JSON.parse(requestJson)
    const from = req.since === undefined ? 0 : Number(req.since.slice(2))
    const latest = new Map()
    const changes = []
    for (const e of this.log.slice(from)) {
      if (e.change) changes.push(e.change)
      else { latest.delete(e.key); latest.set(e.key, true) }
    }
    for (const key of latest.keys()) {
      const s = this.states.get(key)
      changes.push(s.state === 'live'
        ? { type: 'item', item: s.item }
        : { type: 'tombstone', vault: s.vault, item: s.item, revision: s.revision })
    }
    return JSON.stringify({ v: 1, since: req.since ?? null, next: `c:${this.log.length}`, has_more: false, changes })
  }

  push (requestJson) {
    const req = JSON.parse(requestJson)
    const results = req.writes.map((w) => {
      const vaultId = w.action === 'upsert' ? w.item.vault : w.vault
      const item = w.action === 'upsert' ? w.item.item : w.item
      const key = `${vaultId}/${item}`
      const current = this.states.get(key)
      const revision = current ? (current.state === 'live' ? current.item.revision : current.revision) : 0
      if (!current && w.base > 0) return { status: 'rejected', op: w.op, reason: 'not_found' }
      if (w.base !== revision) return { status: 'conflict', op: w.op, current }
      if (w.action === 'upsert' && w.item.revision !== w.base + 1) return { status: 'rejected', op: w.op, reason: 'invalid' }
      this.states.set(key, w.action === 'upsert'
        ? { state: 'live', item: w.item }
        : { state: 'deleted', vault: vaultId, item, revision: w.base + 1 })
      this.log.push({ key })
      return { status: 'ok', op: w.op, revision: w.base + 1 }
    })
    return JSON.stringify({ v: 1, results })
  }
}

/** Pull until done, then push until nothing is queued or a round makes no progress. */
function syncRound (engine, server) {
  const pulled = []
  for (;;) {
    const out = engine.applyPull(server.pull(JSON.stringify(engine.planPull())))
    pulled.push(out)
    if (!out.has_more) break
  }
  const pushed = []
  for (let req = engine.planPush(); req; req = engine.planPush()) {
    const out = engine.applyPush(server.push(JSON.stringify(req)))
    pushed.push(out)
    if (!out.progressed) break
  }
  return { pulled, pushed }
}

const note = (notes) => ({ title: 'Router', data: { type: 'secure_note' }, notes })

test('sync: two devices, push/pull, offline edits conflict, resolveDefault keeps both', async () => {
  const server = new ToySyncServer()
  const created = await vault.createAccount('sync pw', { params: INSECURE })
  const { vaultKey, vault: encVault, wrapped } = created.account.createVault({ name: 'Home' })
  const vaultId = vaultKey.vaultId
  server.addMember({ vault: vaultId, role: 'owner', meta: encVault, keys: [{ wrapped }] })

  // Device A creates an item offline, then syncs.
  const a = new vault.SyncEngine()
  const id = vault.generateItemId()
  assert.equal(a.nextRevision(vaultId, id), 1)
  a.localUpsert(vaultKey.encryptItem(id, a.nextRevision(vaultId, id), note('admin / hunter2')))
  assert.equal(a.pendingCount, 1)
  const first = syncRound(a, server)
  assert.equal(first.pushed[0].acknowledged.length, 1)
  assert.equal(first.pushed[0].acknowledged[0].revision, 1)
  assert.equal(a.pendingCount, 0)

  // Device B: the same user, unlocked offline from the record; the feed
  // brings the membership (with the wrapped vault key) and the item.
  const accountB = await vault.unlockAccount(created.encrypted, 'sync pw', { policy: PERMISSIVE })
  const b = new vault.SyncEngine()
  syncRound(b, server)
  const [membership] = b.vaults()
  assert.equal(membership.vault, vaultId)
  assert.equal(membership.role, 'owner')
  const keyB = accountB.unwrapVaultKey(membership.keys[0].wrapped)
  assert.ok(keyB.equals(vaultKey))
  assert.deepEqual(keyB.openMeta(membership.meta), { name: 'Home' })
  assert.equal(keyB.decryptItem(b.item(vaultId, id)).notes, 'admin / hunter2')
  assert.deepEqual((await keyB.decryptList(b.items(vaultId))).map((r) => r.overview.title), ['Router'])

  // The state persists as ciphertext only; a replayed page changes nothing.
  const saved = b.toJson()
  assert.ok(!saved.includes('hunter2') && !saved.includes('Router'))
  const b2 = vault.SyncEngine.fromJson(saved)
  assert.equal(b2.toJson(), saved)
  assert.equal(b2.cursor, b.cursor)
  assert.equal(b2.applyPull(server.pull('{"v":1}')).applied, false)

  // Both edit offline; A syncs first, so B's edit meets a 409.
  a.localUpsert(vaultKey.encryptItem(id, a.nextRevision(vaultId, id), note('from A')))
  b.localUpsert(keyB.encryptItem(id, b.nextRevision(vaultId, id), note('from B')))
  assert.equal(b.nextRevision(vaultId, id), 2, 'an unsent edit is replaced, not chained')
  syncRound(a, server)
  const rb = syncRound(b, server)
  const created409 = [...rb.pulled, ...rb.pushed].flatMap((o) => o.conflicts)
  assert.equal(created409.length, 1)
  const [conflict] = b.conflicts()
  assert.equal(conflict.id, created409[0])
  assert.equal(conflict.cause.kind, 'diverged')
  assert.equal(keyB.decryptItem(conflict.local.upsert).notes, 'from B', 'the local edit is kept')
  assert.equal(keyB.decryptItem(b.item(vaultId, id)).notes, 'from A', 'the item shows the server version')

  // The default policy keeps both: B's version becomes a copy.
  const done = b.resolveDefault([keyB], ' (conflict)')
  assert.equal(done.length, 1)
  assert.equal(done[0].action.kind, 'kept_both')
  const copy = done[0].action.copy
  assert.deepEqual(b.conflicts(), [])
  assert.equal(b.pendingCount, 1)
  syncRound(b, server)
  syncRound(a, server)
  for (const [engine, key, who] of [[a, vaultKey, 'A'], [b, keyB, 'B']]) {
    const titles = (await key.decryptList(engine.items(vaultId))).map((r) => r.overview.title).sort()
    assert.deepEqual(titles, ['Router', 'Router (conflict)'], who)
    assert.equal(key.decryptItem(engine.item(vaultId, copy)).notes, 'from B', who)
    assert.equal(key.decryptItem(engine.item(vaultId, id)).notes, 'from A', who)
    assert.equal(engine.pendingCount, 0, who)
  }

  // A deletes the copy; B sees it go.
  a.localDelete(vaultId, copy)
  syncRound(a, server)
  syncRound(b, server)
  assert.equal(b.item(vaultId, copy), null)
  assert.equal(b.items(vaultId).length, 1)
})

test('sync: strict input, typed errors, nothing changed on error', () => {
  const b = new vault.SyncEngine()
  b.applyPull({ v: 1, since: null, next: 'c:1', has_more: false, changes: [] })
  const before = b.toJson()
  assert.equal(codeOf(() => b.applyPull({ v: 1, since: 'c:1', next: 'c:2', has_more: false, changes: [], extra: 1 })), 'malformed')
  assert.equal(codeOf(() => b.applyPull({ v: 2, since: 'c:1', next: 'c:2', has_more: false, changes: [] })), 'unsupported_version')
  assert.equal(codeOf(() => b.applyPull({ v: 1, since: 'c:1', next: 'c:1', has_more: true, changes: [] })), 'invalid_peer_value')
  assert.equal(codeOf(() => b.applyPush('{"v":1,"results":[{"status":"ok"}]}')), 'malformed')
  assert.equal(codeOf(() => b.nextRevision('not-a-uuid', vault.generateItemId())), 'malformed')
  assert.equal(codeOf(() => b.localDelete(vault.generateVaultId(), vault.generateItemId())), 'invalid_argument')
  assert.equal(codeOf(() => b.resolveKeepServer(42)), 'invalid_argument')
  assert.equal(codeOf(() => b.resolveKeepServer(-1)), 'invalid_argument')
  assert.equal(codeOf(() => vault.SyncEngine.fromJson('{}')), 'malformed')
  assert.equal(b.planPush(), null)
  assert.equal(b.toJson(), before)
  assert.equal(JSON.stringify(b.planPull()), '{"v":1,"since":"c:1"}')
})
