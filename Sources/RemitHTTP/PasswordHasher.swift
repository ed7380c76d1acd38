import NIOPosix
import RemitAuth
import RemitCore

/// Runs bcrypt on threads of its own: each check takes tens of milliseconds of CPU, which must
/// block neither an event loop nor the cooperative pool, and at most
/// `Limits.passwordChecksConcurrentMax` run at once so sign-ins can not starve the appender.
public final class PasswordHasher: Sendable {
    private let threads: NIOThreadPool

    public init(threadsMax: Int = Limits.passwordChecksConcurrentMax) {
        threads = NIOThreadPool(numberOfThreads: threadsMax)
        threads.start()
    }

    public func verify(_ password: String, hash: String) async throws -> Bool {
        try await threads.runIfActive { Passwords.verify(password, hash: hash) }
    }

    public func hash(_ password: String) async throws -> String {
        try await threads.runIfActive { Passwords.hash(password) }
    }

    public func shutdown() async {
        try? await threads.shutdownGracefully()
    }
}
