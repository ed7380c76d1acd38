import Foundation
import RemitAuth
import Testing

@Suite struct SignInThrottleTests {
    @Test func aNameLocksAfterTooManyFailuresWhetherOrNotItExists() {
        let throttle = SignInThrottle(failuresMax: 3, lockSeconds: 60)
        let now = Date()
        for name in ["alice", "no-such-user"] {
            #expect(!throttle.recordFailure(name, now: now))
            #expect(!throttle.recordFailure(name, now: now))
            #expect(throttle.recordFailure(name, now: now))
            #expect(throttle.admitName(name, now: now) == .refused(retryAfterSeconds: 60))
            #expect(throttle.admitName(name, now: now.addingTimeInterval(59.5)) == .refused(retryAfterSeconds: 1))
            #expect(throttle.admitName(name, now: now.addingTimeInterval(61)) == .proceed)
        }
    }

    @Test func successResetsTheCount() {
        let throttle = SignInThrottle(failuresMax: 2, lockSeconds: 60)
        throttle.recordFailure("bob")
        throttle.recordSuccess("bob")
        #expect(!throttle.recordFailure("bob"))
        #expect(throttle.admitName("bob") == .proceed)
    }

    @Test func addressesAreRateLimited() {
        let throttle = SignInThrottle(attemptsPerSecondPerAddress: 0.001, burstPerAddress: 2)
        #expect(throttle.admitAddress("10.0.0.1") == .proceed)
        #expect(throttle.admitAddress("10.0.0.1") == .proceed)
        guard case .refused = throttle.admitAddress("10.0.0.1") else { Issue.record("the third attempt should be refused"); return }
        #expect(throttle.admitAddress("10.0.0.2") == .proceed)
    }
}
