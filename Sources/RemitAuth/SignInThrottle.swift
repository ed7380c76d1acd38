import Foundation
import RemitCore
import Synchronization

/// Limits password guessing. Each client address gets a token bucket of attempts; each user
/// name that fails `failuresMax` times in a row is locked for `lockSeconds`. Names are tracked
/// whether or not such a user exists, and a locked name is refused the same way either way,
/// so neither the lock nor its timing tells an attacker which names are real.
public final class SignInThrottle: Sendable {
    public enum Decision: Sendable, Equatable {
        case proceed
        case refused(retryAfterSeconds: Int)
    }

    struct NameState {
        var failures: Int
        var lockedUntil: Date?
    }

    public let failuresMax: Int
    public let lockSeconds: Int64
    private let namesMax: Int
    private let addresses: KeyedRateLimiter
    private let names = Mutex<[String: NameState]>([:])

    public init(
        failuresMax: Int = Limits.signInFailuresMax, lockSeconds: Int64 = Limits.signInLockSeconds,
        attemptsPerSecondPerAddress: Double = Limits.signInAttemptsPerSecondPerAddress,
        burstPerAddress: Double = Limits.signInBurstPerAddress, namesMax: Int = Limits.signInNamesMax
    ) {
        precondition(failuresMax > 0 && lockSeconds > 0 && namesMax > 0)
        self.failuresMax = failuresMax
        self.lockSeconds = lockSeconds
        self.namesMax = namesMax
        addresses = KeyedRateLimiter(requestsPerSecond: attemptsPerSecondPerAddress, burst: burstPerAddress)
    }

    /// Counts an attempt from `address`; refuses it when the address is over its rate.
    public func admitAddress(_ address: String) -> Decision {
        switch addresses.take(address) {
        case .allowed: .proceed
        case .limited(let seconds): .refused(retryAfterSeconds: seconds)
        }
    }

    /// Refuses a locked name, before its password is even checked.
    public func admitName(_ name: String, now: Date = Date()) -> Decision {
        names.withLock { names in
            guard let lockedUntil = names[name]?.lockedUntil else { return .proceed }
            guard lockedUntil > now else {
                names[name] = nil
                return .proceed
            }
            return .refused(retryAfterSeconds: max(1, Int(lockedUntil.timeIntervalSince(now).rounded(.up))))
        }
    }

    /// Records a wrong password (or unknown name); true when this failure locked the name.
    @discardableResult
    public func recordFailure(_ name: String, now: Date = Date()) -> Bool {
        names.withLock { names in
            if names[name] == nil && names.count >= namesMax {
                // Forget names that are not locked; past that, forget all rather than grow.
                names = names.filter { $0.value.lockedUntil.map { $0 > now } ?? false }
                if names.count >= namesMax { names.removeAll() }
            }
            var state = names[name] ?? NameState(failures: 0, lockedUntil: nil)
            state.failures += 1
            let locks = state.failures >= failuresMax
            if locks {
                state.failures = 0
                state.lockedUntil = now.addingTimeInterval(TimeInterval(lockSeconds))
            }
            names[name] = state
            return locks
        }
    }

    public func recordSuccess(_ name: String) {
        _ = names.withLock { $0.removeValue(forKey: name) }
    }
}
