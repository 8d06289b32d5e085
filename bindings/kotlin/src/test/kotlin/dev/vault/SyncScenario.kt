package dev.vault

import dev.vault.VectorSuite.Companion.PERMISSIVE
import dev.vault.VectorSuite.Companion.code
import dev.vault.VectorSuite.Companion.eq
import dev.vault.ffi.*

/**
 * A toy in-memory sync server with the compare-and-swap rules of
 * docs/protocol.md, for one user: item states by `vault/item`, a change log
 * whose length is the cursor, memberships as feed entries. Requests and
 * answers are JSON text, as over HTTP (parsed with [MiniJson]).
 */
class ToySyncServer {
    private val states = LinkedHashMap<String, Map<String, Any?>>()
    private val log = ArrayList<Any>() // String key of an item write, or a membership change (Map)

    fun addMember(change: Map<String, Any?>) {
        log += linkedMapOf<String, Any?>("type" to "vault") + change
    }

    /** GET /v1/sync?since=… */
    fun pull(requestJson: String): String {
        @Suppress("UNCHECKED_CAST")
        val req = MiniJson.parse(requestJson) as Map<String, Any?>
        val since = req["since"] as String?
        val from = since?.removePrefix("c:")?.toInt() ?: 0
        val changes = ArrayList<Any?>()
        val latest = LinkedHashSet<String>()
        for (e in log.subList(from, log.size)) {
            if (e is String) {
                latest.remove(e)
                latest.add(e)
            } else {
                changes += e
            }
        }
        for (key in latest) {
            val s = states.getValue(key)
            changes += if (s["state"] == "live") {
                mapOf("type" to "item", "item" to s["item"])
            } else {
                mapOf("type" to "tombstone", "vault" to s["vault"], "item" to s["item"], "revision" to s["revision"])
            }
        }
        return MiniJson.write(
            linkedMapOf("v" to 1L, "since" to since, "next" to "c:${log.size}", "has_more" to false, "changes" to changes),
        )
    }

    /** POST /v1/push */
    fun push(requestJson: String): String {
        @Suppress("UNCHECKED_CAST")
        val writes = (MiniJson.parse(requestJson) as Map<String, Any?>)["writes"] as List<Map<String, Any?>>
        val results = writes.map { w ->
            val upsert = w["action"] == "upsert"
            @Suppress("UNCHECKED_CAST")
            val blob = w["item"] as? Map<String, Any?>
            val vault = if (upsert) blob!!["vault"] as String else w["vault"] as String
            val item = if (upsert) blob!!["item"] as String else w["item"] as String
            val key = "$vault/$item"
            val cur = states[key]
            @Suppress("UNCHECKED_CAST")
            val rev = when {
                cur == null -> 0L
                cur["state"] == "live" -> (cur["item"] as Map<String, Any?>)["revision"] as Long
                else -> cur["revision"] as Long
            }
            val op = w["op"]
            val base = w["base"] as Long
            when {
                cur == null && base > 0 -> mapOf("status" to "rejected", "op" to op, "reason" to "not_found")
                base != rev -> mapOf("status" to "conflict", "op" to op, "current" to cur)
                upsert && blob!!["revision"] as Long != base + 1 ->
                    mapOf("status" to "rejected", "op" to op, "reason" to "invalid")
                else -> {
                    states[key] = if (upsert) {
                        mapOf("state" to "live", "item" to blob)
                    } else {
                        mapOf("state" to "deleted", "vault" to vault, "item" to item, "revision" to base + 1)
                    }
                    log += key
                    mapOf("status" to "ok", "op" to op, "revision" to base + 1)
                }
            }
        }
        return MiniJson.write(linkedMapOf("v" to 1L, "results" to results))
    }
}

/**
 * The sync engine through the generated bindings: two devices of one user,
 * the toy server above standing in for HTTP.
 */
object SyncScenario {
    private class Round(val pulled: List<PullOutcome>, val pushed: List<PushOutcome>)

    /** Pull until done, then push until nothing is queued or no progress. */
    private fun round(engine: SyncEngine, server: ToySyncServer): Round {
        val pulled = ArrayList<PullOutcome>()
        do {
            val out = engine.applyPull(server.pull(engine.planPull()))
            pulled += out
        } while (out.hasMore)
        val pushed = ArrayList<PushOutcome>()
        var req = engine.planPush()
        while (req != null) {
            val out = engine.applyPush(server.push(req))
            pushed += out
            if (!out.progressed) break
            req = engine.planPush()
        }
        return Round(pulled, pushed)
    }

    private fun note(notes: String) = Item(title = "Router", data = ItemData.SecureNote, notes = notes)

    fun twoDevices() {
        val rng = VaultRng.os
        val server = ToySyncServer()
        val created = createAccount("sync pw", null, KdfParams.INSECURE_TEST_ONLY)
        val team = created.account.createVault("Home")
        val vaultId = team.key.vaultId()
        server.addMember(
            mapOf(
                "vault" to vaultId, "role" to "owner", "meta" to MiniJson.parse(team.vault.toJson()),
                "keys" to listOf(mapOf("wrapped" to MiniJson.parse(team.wrappedKey.toJson()))),
            ),
        )

        // Device A creates an item offline, then syncs.
        val a = SyncEngine()
        val id = newItemId()
        eq(a.nextRevision(vaultId, id), 1uL, "new item")
        a.localUpsert(team.key.encryptItem(note("admin / hunter2"), id, a.nextRevision(vaultId, id)))
        eq(a.pendingCount(), 1uL, "queued")
        val first = round(a, server)
        eq(first.pushed[0].acknowledged.map { it.item to it.revision }, listOf(id to 1uL), "acknowledged")
        eq(a.pendingCount(), 0uL, "nothing queued")

        // Device B: same user, unlocked offline; the feed brings the membership
        // (with the wrapped vault key) and the item.
        val accountB = created.credentials.encrypted.unlock("sync pw", null, PERMISSIVE)
        val b = SyncEngine()
        round(b, server)
        val membership = b.vaults().single()
        eq(membership.vault to membership.role, vaultId to Role.OWNER, "membership")
        val keyB = accountB.unwrapVaultKey((membership.keys[0] as MemberKey.Wrapped).key)
        eq(keyB, team.key, "same vault key")
        eq(keyB.openMeta(membership.meta!!).name, "Home", "meta")
        eq(keyB.decryptItem(b.item(vaultId, id)!!).notes, "admin / hunter2", "B decrypts A's item")
        eq(keyB.decryptList(b.items(vaultId)).partitionRows().first.map { it.overview.title }, listOf("Router"), "B's list")

        // Ciphertext-only persistence; a replayed page changes nothing.
        val saved = b.toJson()
        check("hunter2" !in saved && "Router" !in saved) { "plaintext in the saved state" }
        val b2 = SyncEngine.fromJson(saved)
        eq(b2.toJson(), saved, "state round-trips")
        eq(b2.cursor(), b.cursor(), "cursor")
        eq(b2.applyPull(server.pull("""{"v":1}""")).applied, false, "replay ignored")

        // Both edit offline; A syncs first, so B's edit meets a 409.
        a.localUpsert(team.key.encryptItem(note("from A"), id, a.nextRevision(vaultId, id)))
        b.localUpsert(keyB.encryptItem(note("from B"), id, b.nextRevision(vaultId, id)))
        round(a, server)
        val rb = round(b, server)
        val ids = rb.pulled.flatMap { it.conflicts } + rb.pushed.flatMap { it.conflicts }
        eq(ids.size, 1, "one conflict")
        val conflict = b.conflicts().single()
        eq(conflict.id, ids[0], "conflict id")
        check(conflict.cause is ConflictCause.Diverged) { "cause ${conflict.cause}" }
        eq(keyB.decryptItem(conflict.local!!).notes, "from B", "the local edit is kept")
        eq(keyB.decryptItem(b.item(vaultId, id)!!).notes, "from A", "the item shows the server's version")

        // The default policy keeps both: B's version becomes a copy.
        val done = b.resolveDefault(listOf(keyB), " (conflict)", rng).single()
        val copy = (done.action as AutoAction.KeptBoth).copy
        eq(b.conflicts(), emptyList<Conflict>(), "resolved")
        eq(b.pendingCount(), 1uL, "the copy is queued")
        round(b, server)
        round(a, server)
        for ((engine, key, who) in listOf(Triple(a, team.key, "A"), Triple(b, keyB, "B"))) {
            val titles = engine.items(vaultId).map { key.decryptOverview(it).overview.title }.sorted()
            eq(titles, listOf("Router", "Router (conflict)"), "$who sees both")
            eq(key.decryptItem(engine.item(vaultId, copy)!!).notes, "from B", "$who: the copy")
            eq(key.decryptItem(engine.item(vaultId, id)!!).notes, "from A", "$who: the item")
            eq(engine.pendingCount(), 0uL, "$who: nothing queued")
        }

        // A deletes the copy; B sees it go. Errors are typed; state unchanged.
        a.localDelete(vaultId, copy)
        round(a, server)
        round(b, server)
        eq(b.item(vaultId, copy), null, "deleted on B")
        val before = b.toJson()
        eq(code { b.applyPull("""{"v":1,"since":null,"next":"c:0","has_more":false,"changes":[],"x":1}""") }, "malformed", "unknown field")
        eq(code { b.applyPull("""{"v":2,"since":null,"next":"c:0","has_more":false,"changes":[]}""") }, "unsupported_version", "future page")
        eq(code { b.nextRevision("not-a-uuid", id) }, "malformed", "bad id")
        eq(code { b.resolveKeepServer(42uL) }, "invalid_argument", "unknown conflict")
        eq(b.toJson(), before, "unchanged")
    }
}
