import Synchronization

/// Wakes long-polling pulls when the appender commits, instead of having them poll the database.
///
/// A pull looks at the log, finds nothing, then waits: a commit signalled between the look and
/// the wait must still wake it, or the new event waits for the next commit or the recheck
/// interval (250 ms), whichever comes first: rare, but at a few creates a second it showed as
/// a create arriving 87 ms late. So the waiter reads `generation` before it looks, and
/// `wait(after:)` returns at once when a commit came since.
public final class CommitSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var nextID = 0
        var continuations: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// How many commits were signalled so far.
    var generation: UInt64 { state.withLock { $0.generation } }

    public func signal() {
        let woken = state.withLock { state in
            state.generation &+= 1
            defer { state.continuations.removeAll() }
            return Array(state.continuations.values)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Returns at once if a commit came after `generation`; else at the next commit, after
    /// `milliseconds`, or when the task is cancelled, whichever is first. Each waiter is
    /// resumed exactly once: whoever removes it resumes it.
    func wait(after generation: UInt64, milliseconds: Int64) async {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let waiting = state.withLock { state in
                    guard state.generation == generation else { return false }
                    state.continuations[id] = continuation
                    return true
                }
                guard waiting else { return continuation.resume() }
                Task {
                    try? await Task.sleep(for: .milliseconds(milliseconds))
                    self.resume(id)
                }
            }
        } onCancel: {
            resume(id)
        }
    }

    private func resume(_ id: Int) {
        state.withLock { $0.continuations.removeValue(forKey: id) }?.resume()
    }
}
