// Two accounts, a shared vault, decryption on the other side; all records
// travel as JSON, as through a server. NOT RUN on the Linux CI (no Swift
// compiler there); see README.md.

import Foundation
import XCTest
@testable import Vault

final class RoundTripTests: XCTestCase {
    func testTwoAccountsShareAVault() throws {
        let p = KdfParams.insecureTestOnly
        let aliceNew = try createAccount(password: "alice pw", secretKey: nil, params: p)
        let bobSk = SecretKey.generate()
        let bobNew = try createAccount(password: "bob pw", secretKey: bobSk, params: p)
        let alice = aliceNew.account
        let bob = bobNew.account
        let bobRecord = try EncryptedAccount(json: bobNew.credentials.encrypted.toJson())

        let created = try alice.createVault(name: "Team", description: "shared")
        let login = Item(title: "Database",
                         data: .login(username: "admin", password: "s3cret", uris: ["https://db.example"], totp: ""),
                         notes: "rotate monthly", tags: ["prod"], favorite: true,
                         customFields: [CustomField(name: "port", value: "5432", kind: .text)])
        let card = Item(title: "Card",
                        data: .card(cardholder: "A", brand: "Visa", number: "4111 1111 1111 1111",
                                    expMonth: "1", expYear: "2030", code: "123"),
                        notes: "", tags: [], favorite: false, customFields: [])
        let encJSON = try [created.key.encrypt(login), created.key.encrypt(card, algorithm: .aes256Gcm)]
            .map { try $0.toJson() }

        // Bob publishes his identity; Alice verifies it and grants him the vault.
        let bobPublic = try PublicIdentity(json: bob.publicIdentity().toJson())
        try bobPublic.verify()
        XCTAssertEqual(try bobPublic.fingerprint(), bob.fingerprint())
        let grantJSON = try alice.grantVault(created.key, to: bobPublic, role: .editor).toJson()

        // Bob, on another device: unlock offline, open the grant, read.
        let bob2 = try bobRecord.unlock(password: "bob pw", secretKey: SecretKey.parse(text: bobSk.toDisplayString()),
                                        policy: .permissiveTestOnly)
        XCTAssertThrowsError(try bobRecord.unlock(password: "bob pw", secretKey: nil, policy: .permissiveTestOnly)) {
            XCTAssertEqual(($0 as? VaultError)?.errorCode, "decrypt")
        }
        let alicePublic = try PublicIdentity(json: alice.publicIdentity().toJson())
        let grant = try VaultGrant(json: grantJSON)
        try grant.verify(sender: alicePublic)
        let bobKey = try bob2.openGrant(grant: grant, sender: alicePublic)
        XCTAssertEqual(bobKey, created.key)
        XCTAssertEqual(try bobKey.openMeta(vault: created.vault).name, "Team")
        XCTAssertEqual(try encJSON.map { try bobKey.decryptItem(item: EncryptedItem(json: $0)) }, [login, card])
        let rows = bobKey.decryptList(items: try encJSON.map { try EncryptedItem(json: $0) })
        XCTAssertEqual(rows.compactMap { $0.listRow?.overview.subtitle }, ["admin", "Visa •••• 1111"])

        // Bob's own wrap opens for Bob only; the grant does not open for Alice.
        let wrapped = try bob2.wrapVaultKey(bobKey)
        XCTAssertEqual(try bob.unwrapVaultKey(wrapped: wrapped), created.key)
        XCTAssertThrowsError(try alice.unwrapVaultKey(wrapped: wrapped))
        XCTAssertThrowsError(try alice.openGrant(grant: grant, sender: alicePublic)) {
            XCTAssertEqual(($0 as? VaultError)?.errorCode, "invalid_argument")
        }

        // Revoking Bob: rotation re-wraps item keys; his old key stops working.
        let items = try encJSON.map { try EncryptedItem(json: $0) }
        let rot = try created.key.rotate(vault: created.vault, items: items)
        XCTAssertThrowsError(try bobKey.decryptItem(item: rot.items[0]))
        XCTAssertEqual(try rot.key.decryptItem(item: rot.items[0]), login)
    }

    func testBackgroundUnlock() async throws {
        let created = try await createAccountInBackground(password: "pw", params: .insecureTestOnly)
        let again = try await created.credentials.encrypted.unlockInBackground(
            password: "pw", policy: .permissiveTestOnly)
        XCTAssertEqual(again.accountKey(), created.account.accountKey())
    }
}
