package dev.vault

import dev.vault.ffi.*

/**
 * Decrypts a 10,000-item list screen through JNA and prints milliseconds:
 * the same workload as the core's `decrypt_list` bench (one key unwrap and
 * one small open per item), plus what crossing the boundary costs.
 *
 * Args: `[items] [rounds]` (default 10000 and 15).
 */
fun main(args: Array<String>) {
    val n = args.getOrNull(0)?.toInt() ?: 10_000
    val rounds = args.getOrNull(1)?.toInt() ?: 15
    val rng = Rng.os()
    val vk = VaultKey.generate(newItemId(), rng)
    val template = Item(
        title = "Bank", data = ItemData.Login("alice@example.com", "p@ssw0rd!", listOf("https://bank.example"), ""),
        tags = listOf("finance"), favorite = true,
    )
    val items = (0 until n).map { i ->
        vk.encryptItem(template.copy(title = "Item $i"), newItemId(), 1uL, Algorithm.X_CHA_CHA20_POLY1305)
    }
    val json = "[" + items.joinToString(",") { it.toJson() } + "]"

    fun median(xs: List<Double>) = xs.sorted()[xs.size / 2]
    fun time(block: () -> Unit): Double {
        val t = System.nanoTime()
        block()
        return (System.nanoTime() - t) / 1e6
    }

    // Warm up the JIT and the library.
    repeat(3) { vk.decryptList(items) }

    val list = (1..rounds).map { time { check(vk.decryptList(items).all { it is ListEntry.Row }) } }
    val parsed = EncryptedItemList.fromJson(json)
    repeat(3) { vk.decryptItemList(parsed) }
    val held = (1..rounds).map { time { check(vk.decryptItemList(parsed).all { it is ListEntry.Row }) } }
    val parse = (1..rounds).map { time { check(encryptedItemsFromJson(json).size == n) } }
    val one = items.first()
    val singles = (1..rounds).map { time { repeat(1000) { vk.decryptOverview(one) } } }

    println("kotlin bench: decryptList of $n items through JNA: median %.1f ms (min %.1f, %d rounds)"
        .format(median(list), list.min(), rounds))
    println("kotlin bench: decryptItemList of $n items held in Rust (EncryptedItemList): median %.1f ms (min %.1f)"
        .format(median(held), held.min()))
    println("kotlin bench: encryptedItemsFromJson of $n items (server JSON -> records): median %.1f ms"
        .format(median(parse)))
    println("kotlin bench: decryptOverview, one item per call: median %.1f µs/call"
        .format(median(singles)))
}
