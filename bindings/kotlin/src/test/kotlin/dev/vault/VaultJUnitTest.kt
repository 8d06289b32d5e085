package dev.vault

import org.junit.Assert.assertEquals
import org.junit.Test
import java.io.File

/**
 * The same suite under JUnit 4, for `./gradlew test` on a development machine
 * (host JVM + JNA against a desktop build of libvault_ffi, built with
 * `--features test-vectors`). Set `-Dvault.testVectors=<dir>` if the
 * repository layout differs.
 */
class VaultJUnitTest {
    private val dir = File(System.getProperty("vault.testVectors") ?: "../../test-vectors")

    @Test
    fun everyVectorReplays() {
        val failures = VectorSuite(dir).run().filter { it.error != null }
        assertEquals(failures.joinToString("\n") { "${it.name}: ${it.error}" }, 0, failures.size)
    }

    @Test
    fun twoAccountsShareAVault() = RoundTrip.shareAVault()

    @Test
    fun loginProtocols() = RoundTrip.loginProtocols()

    @Test
    fun sharesAndSecretKeys() = RoundTrip.sharesAndSecretKeys()

    @Test
    fun syncTwoDevices() = SyncScenario.twoDevices()

    @Test
    fun readme() = readmeExample()
}
