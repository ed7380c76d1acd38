import RemitCore
import Testing
@testable import RemitStack

@Suite("restarting what died")
struct RestartPlanTests {
    @Test("the back-off doubles with each restart in the window, up to its bound")
    func backoff() {
        var plan = RestartPlan()
        var delays: [Int64] = []
        for second in 0..<5 {
            guard case .restart(let delay, let count) = plan.died(at: Double(second)) else { Issue.record("gave up early"); return }
            #expect(count == second + 1)
            delays.append(delay)
        }
        #expect(delays == [250, 500, 1_000, 2_000, 4_000])
        #expect(delays.allSatisfy { $0 <= Limits.restartBackoffMillisecondsMax })
    }

    @Test("one death more than the bound within the window gives up; deaths spread wider never do, and start the back-off again")
    func bound() {
        var loop = RestartPlan()
        for second in 0..<Limits.restartsPerWindowMax { _ = loop.died(at: Double(second)) }
        #expect(loop.died(at: 10) == .giveUp(restartsInWindow: Limits.restartsPerWindowMax))
        var spread = RestartPlan()
        let apart = Double(Limits.restartWindowSeconds)
        for index in 0..<20 {
            #expect(spread.died(at: Double(index) * apart) == .restart(afterMilliseconds: Limits.restartBackoffMillisecondsMin, count: index + 1))
        }
        #expect(spread.count == 20)
    }
}
