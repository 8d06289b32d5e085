package dev.vault

import java.io.File

/**
 * Runs the vector suite and the round trips without a test framework (how
 * `bindings/ffi/test.sh` runs them with plain kotlinc + JNA), printing one
 * line per failure and a closing `kotlin: N passed, M failed`.
 *
 * Args: `[test-vectors dir]` (default: ../../test-vectors from this module).
 */
fun main(args: Array<String>) {
    val dir = File(args.firstOrNull() ?: "../../test-vectors")
    val verbose = System.getenv("VERBOSE") == "1"
    val outcomes = ArrayList<VectorSuite.Outcome>()
    outcomes += VectorSuite(dir).run()
    for ((name, block) in listOf<Pair<String, () -> Unit>>(
        "round trip: two accounts share a vault" to RoundTrip::shareAVault,
        "round trip: SRP, OPAQUE and pre-login" to RoundTrip::loginProtocols,
        "round trip: Shamir, Secret Key, presets" to RoundTrip::sharesAndSecretKeys,
        "sync: two devices, offline edits conflict, resolveDefault keeps both" to SyncScenario::twoDevices,
        "README example (default KDF params)" to ::readmeExample,
    )) {
        outcomes += VectorSuite.Outcome(name, runCatching(block).exceptionOrNull())
    }
    var failed = 0
    for (o in outcomes) {
        if (o.error != null) {
            failed++
            println("FAIL ${o.name}")
            o.error.printStackTrace(System.out)
        } else if (verbose) {
            println("ok   ${o.name}")
        }
    }
    val byOp = outcomes.groupBy { it.name.substringBefore('/', "") }.filterKeys { it.isNotEmpty() }
    for ((op, list) in byOp) println("  $op: ${list.size} vectors")
    println("kotlin: ${outcomes.size - failed} passed, $failed failed")
    if (failed > 0) kotlin.system.exitProcess(1)
}
