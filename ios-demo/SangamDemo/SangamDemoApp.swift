// The SwiftUI app: one SangamModel over this phone's store, background sync with
// BGAppRefreshTask, a sync as soon as connectivity returns, a checkpoint of the database when
// the app leaves the foreground, and sangam://enrol links (the hub's QR code) opening enrolment.
// The screens are in the language chosen in the app (Localization.swift): changing it rebuilds
// the root view, with the locale set for dates and pickers.
import BackgroundTasks
import SangamKit
import SwiftUI

@main
struct SangamDemoApp: App {
    @StateObject private var model: SangamModel
    @Environment(\.scenePhase) private var scenePhase
    @State private var enrolmentCode: String?
    @AppStorage(AppLanguage.storageKey) private var language = AppLanguage.current.rawValue
    private let connectivity = ConnectivityMonitor()

    init() {
        // The store is encrypted under a key kept in the Keychain (a clear store from before is
        // encrypted in place at this first open, losing nothing).
        let model = SangamModel(dbPath: SangamDemoApp.databasePath(), storage: DefaultsEnrolmentStorage(), keyVault: KeychainStoreKeyVault())
        _model = StateObject(wrappedValue: model)
    }

    var body: some Scene {
        WindowGroup {
            RootView(enrolmentCode: $enrolmentCode)
                .environmentObject(model)
                .environment(\.locale, Locale(identifier: language))
                .id(language)
                .onOpenURL { url in
                    if url.scheme == "sangam" { enrolmentCode = url.absoluteString }
                }
                .task {
                    model.onLocalChange = { BackgroundSync.schedule(soon: true) }
                    connectivity.start {
                        guard model.isEnrolled, !model.syncRunning else { return }
                        Task { _ = try? await model.sync() }
                    }
                    if model.isEnrolled { BackgroundSync.schedule(soon: false) }
                }
        }
        .onChange(of: scenePhase) { phase in
            if phase == .background {
                Task { await model.checkpoint() }
                if model.isEnrolled { BackgroundSync.schedule(soon: false) }
            }
        }
        .backgroundTask(.appRefresh(BackgroundSync.taskIdentifier)) {
            await BackgroundSync.run(model)
        }
    }

    /// Application Support/sangam.db, excluded from iCloud backup (survey answers are personal data).
    static func databasePath() -> String {
        let fm = FileManager.default
        var dir = (try? fm.url(for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true))
            ?? fm.temporaryDirectory
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try? dir.setResourceValues(values)
        return dir.appendingPathComponent("sangam.db").path
    }
}

/// Background sync: iOS runs the app-refresh task when it sees fit (on a network); the task
/// syncs and schedules the next one.
enum BackgroundSync {
    static let taskIdentifier = "org.sangam.demo.sync"

    static func schedule(soon: Bool) {
        let request = BGAppRefreshTaskRequest(identifier: taskIdentifier)
        request.earliestBeginDate = Date(timeIntervalSinceNow: soon ? 60 : 30 * 60)
        try? BGTaskScheduler.shared.submit(request)
    }

    @MainActor
    static func run(_ model: SangamModel) async {
        schedule(soon: false)
        guard model.isEnrolled else { return }
        // iOS cancels the task when its time is up: the sync stops between round trips.
        _ = try? await model.sync()
    }
}
