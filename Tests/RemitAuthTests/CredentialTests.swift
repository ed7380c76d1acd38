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

    @Test func refreshTokensAreStoredAsTheirHash() {
        let (token, hash) = RefreshToken.generate()
        #expect(token.hasPrefix("rt_"))
        #expect(hash.count == 32)
        #expect(RefreshToken.hash(token) == hash)
        #expect(RefreshToken.hash(String(token.dropLast())) == nil)
        #expect(RefreshToken.hash("rt_" + String(repeating: "+", count: 43)) == nil)
        #expect(RefreshToken.generate().token != token)
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
