import Crypto
import Foundation
import RemitAuth
import Testing

@Suite struct CredentialTests {
    @Test func passwordsHashAndVerify() {
        let password = Passwords.generate()
        #expect(password.count == 24)
        #expect(Passwords.problem(password) == nil)
        let hash = Passwords.hash(password)
        #expect(hash.hasPrefix("$2b$10$") || hash.hasPrefix("$2a$10$") || hash.hasPrefix("$2y$10$"))
        #expect(!hash.contains(password))
        #expect(Passwords.verify(password, hash: hash))
        #expect(!Passwords.verify(password + "x", hash: hash))
        #expect(!Passwords.verify(password, hash: "not-a-hash"))
        #expect(!Passwords.verify(password, hash: Passwords.decoyHash))
    }

    @Test func passwordRules() {
        #expect(Passwords.problem("short") != nil)
        #expect(Passwords.problem(String(repeating: "x", count: 73)) != nil)
        #expect(Passwords.problem("twelve chars\u{7}!") != nil)
        #expect(Passwords.problem("correct horse battery") == nil)
    }

    @Test("a password is 12 to 72 characters, not bytes, and every character of a long one counts")
    func longPasswords() {
        let cyrillic = String(repeating: "ж", count: 72)  // 144 bytes: more than bcrypt reads
        #expect(Passwords.problem(cyrillic) == nil)
        #expect(Passwords.problem(cyrillic + "ж") != nil)
        let hash = Passwords.hash(cyrillic, cost: 4)
        #expect(Passwords.verify(cyrillic, hash: hash))
        #expect(!Passwords.verify(String(repeating: "ж", count: 71) + "и", hash: hash), "the last character counts, past bcrypt's 72 bytes")
        let ascii = String(repeating: "a", count: 72)  // exactly bcrypt's 72 bytes: hashed as it is, as before
        #expect(Passwords.verify(ascii, hash: Passwords.hash(ascii, cost: 4)))
    }

    @Test func passwordHashesTravelSealed() {
        let hash = Passwords.hash("correct horse battery", cost: 4)
        let seal = CredentialSeal(key: SymmetricKey(size: .bits256))
        let sealed = seal.seal(hash)
        #expect(sealed.hasPrefix("seal1.") && !sealed.contains(hash))
        #expect(seal.seal(hash) != sealed, "a fresh nonce each time")
        #expect(seal.open(sealed) == hash)
        #expect(seal.seal(sealed) == sealed, "sealed once")
        #expect(CredentialSeal(key: SymmetricKey(size: .bits256)).open(sealed) == nil, "another deployment's key opens nothing")
        #expect(seal.open(String(sealed.dropLast(2))) == nil)
        // Rows from before the upgrade, and a lone node without a deployment key, hold the hash itself.
        #expect(seal.open(hash) == hash)
        #expect(CredentialSeal(key: nil).seal(hash) == hash)
        #expect(seal.open("plain text") == nil)
    }

    @Test func userNamesAndRoles() {
        #expect(UserName(rawValue: "alice.smith-2") != nil)
        #expect(UserName(rawValue: "Alice") == nil)
        #expect(UserName(rawValue: "") == nil)
        #expect(UserName(rawValue: "2fast") == nil)
        #expect(UserName(rawValue: String(repeating: "a", count: 65)) == nil)
        #expect(Role.parse(["clerk", "admin"]) == [.clerk, .admin])
        #expect(Role.parse(["root"]) == nil)
    }
}
