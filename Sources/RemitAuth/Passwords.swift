import Crypto
import Foundation
import HummingbirdBcrypt
import RemitCore

/// Password hashing (bcrypt) and the rules a password must meet. bcrypt is slow on purpose;
/// callers on an event loop or the cooperative pool run it on a thread pool.
public enum Passwords {
    /// Lengths in code points, as the API document's `minLength` and `maxLength` count them.
    public static let lengthMin = 12
    public static let lengthMax = 72
    /// bcrypt reads at most 72 bytes and would silently ignore the rest: a longer password
    /// (72 code points can be 288 bytes) is hashed through `bcryptInput` first.
    static let bcryptBytesMax = 72

    /// Why `password` is not acceptable, or nil when it is.
    public static func problem(_ password: String) -> String? {
        let count = password.unicodeScalars.count
        if count < lengthMin || count > lengthMax {
            return "a password is \(lengthMin) to \(lengthMax) characters long"
        }
        if password.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "a password may not contain control characters"
        }
        return nil
    }

    public static func hash(_ password: String, cost: UInt8 = Limits.bcryptCost) -> String {
        precondition(problem(password) == nil, "only acceptable passwords are hashed")
        return Bcrypt.hash(bcryptInput(password), cost: cost)
    }

    public static func verify(_ password: String, hash: String) -> Bool {
        guard password.unicodeScalars.count <= lengthMax, hash.hasPrefix("$2") else { return false }
        return Bcrypt.verify(bcryptInput(password), hash: hash)
    }

    /// What bcrypt hashes: the password itself when it fits in bcrypt's 72 bytes (every seal
    /// made before long passwords were taken), else a keyed SHA-256 of all of it in base64
    /// (44 bytes), so that no part of a long password is ignored. The key only separates this
    /// use of SHA-256 from any other, so a digest of the password kept elsewhere is no use here.
    static func bcryptInput(_ password: String) -> String {
        guard password.utf8.count > bcryptBytesMax else { return password }
        let digest = HMAC<SHA256>.authenticationCode(for: Data(password.utf8), using: SymmetricKey(data: Data("remit password v1".utf8)))
        return Data(digest).base64EncodedString()
    }

    /// Checked against when the user does not exist, so that a wrong name costs the same time
    /// as a wrong password and timing does not tell which names exist.
    public static let decoyHash = Bcrypt.hash("remit-decoy-password-never-valid", cost: Limits.bcryptCost)

    /// 24 characters from a 62-letter alphabet (about 143 bits), from the system's CSPRNG.
    public static func generate() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<24).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}
