// Calls back when the network becomes reachable again, so work saved offline is synced as
// soon as connectivity returns while the app runs (BGAppRefreshTask covers the background).
import Foundation
import Network

public final class ConnectivityMonitor: @unchecked Sendable {
    private let monitor = NWPathMonitor()
    private let queue = DispatchQueue(label: "org.sangam.connectivity")
    private var wasOnline = true

    public init() {}

    /// `onReturn` runs on the main actor each time the path goes from unsatisfied to satisfied.
    public func start(onReturn: @escaping @MainActor () -> Void) {
        monitor.pathUpdateHandler = { [weak self] path in
            guard let self = self else { return }
            let online = path.status == .satisfied
            if online && !self.wasOnline {
                Task { @MainActor in onReturn() }
            }
            self.wasOnline = online
        }
        monitor.start(queue: queue)
    }

    public func stop() {
        monitor.cancel()
    }
}
