import Synchronization

/// Wakes long-polling pulls when the appender commits, instead of having them poll the database.
public final class CommitSignal: Sendable {
    private struct Waiters {
        var nextID = 0
        var continuations: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let waiters = Mutex(Waiters())

    public init() {}

    public func signal() {
        let woken = waiters.withLock { waiters in
            defer { waiters.continuations.removeAll() }
            return Array(waiters.continuations.values)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Returns at the next commit, after `milliseconds`, or when the task is cancelled,
    /// whichever is first. Each waiter is resumed exactly once: whoever removes it resumes it.
    func wait(milliseconds: Int64) async {
        let id = waiters.withLock { waiters in
            defer { waiters.nextID += 1 }
            return waiters.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiters.withLock { $0.continuations[id] = continuation }
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
        waiters.withLock { $0.continuations.removeValue(forKey: id) }?.resume()
    }
}
