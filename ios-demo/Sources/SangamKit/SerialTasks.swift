// Runs main-actor operations one after another in the order they were enqueued: quick
// successive edits (typing an answer, writing minutes) reach the store in order.
import Foundation

@MainActor
public final class SerialTasks {
    private var tail: Task<Void, Never>?

    public init() {}

    public func enqueue(_ operation: @escaping @MainActor () async -> Void) {
        let previous = tail
        tail = Task { @MainActor in
            await previous?.value
            await operation()
        }
    }
}
