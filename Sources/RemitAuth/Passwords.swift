import Crypto
import Foundation
import HummingbirdBcrypt
import RemitCore

/// Password hashing (bcrypt) and the rules a password must meet. bcrypt is slow on purpose;
/// callers on an event loop or the cooperative pool run it on a thread pool.
public enum Passwords {
    /// bcrypt reads at most 72 bytes; a longer password would be silently truncated, so it is refused.
    public static let lengthBytesMax = 72
    public static let lengthBytesMin = 12

    /// Why `password` is not acceptable, or nil when it is.
    public static func problem(_ password: String) -> String? {
        let count = password.utf8.count
        if count < lengthBytesMin || count > lengthBytesMax {
            return "a password is \(lengthBytesMin) to \(lengthBytesMax) bytes long"
        }
        if password.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "a password may not contain control characters"
        }
        return nil
    }

    public static func hash(_ password: String, cost: UInt8 = Limits.bcryptCost) -> String {
        precondition(problem(password) == nil, "only acceptable passwords are hashed")
        return Bcrypt.hash(password, cost: cost)
    }

    public static func verify(_ password: String, hash: String) -> Bool {
        guard password.utf8.count <= lengthBytesMax, hash.hasPrefix("$2") else { return false }
        return Bcrypt.verify(password, hash: hash)
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
