// Sync: "Sync now" with live progress (round trips, records and bytes each way) and Cancel; the
// last result (rejections with reasons, new conflicts); background sync (BGAppRefreshTask, and
// a sync as soon as connectivity returns); and bundle files for carrying changes by hand.
import SangamKit
import SwiftUI
import UniformTypeIdentifiers

/// A bundle file's bytes, for the document exporter.
struct BundleDocument: FileDocument {
    static var readableContentTypes: [UTType] { [.data] }
    var data: Data

    init(data: Data) {
        self.data = data
    }

    init(configuration: ReadConfiguration) throws {
        data = configuration.file.regularFileContents ?? Data()
    }

    func fileWrapper(configuration: WriteConfiguration) throws -> FileWrapper {
        FileWrapper(regularFileWithContents: data)
    }
}

struct SyncView: View {
    @EnvironmentObject var model: SangamModel
    @State private var unsynced: Int64?
    @State private var status: SyncStatus?
    @State private var message: String?
    @State private var syncTask: Task<Void, Never>?
    @State private var exportDocument: BundleDocument?
    @State private var exporting = false
    @State private var importing = false

    var body: some View {
        List {
            MessageBanner(message: $message)
            if let s = model.settings {
                Section {
                    LabeledContent(L("hub"), value: s.hubUrl)
                    LabeledContent(L("district"), value: s.scope)
                    LabeledContent(L("user"), value: "\(s.displayName) (\(roleLabel(s.role)))")
                    LabeledContent(L("records_not_at_hub"), value: unsynced.map { String($0) } ?? "…")
                    // Kept by the store: right after a restart, and for background syncs.
                    if let st = status {
                        LabeledContent(L("last_synced"), value: st.lastOkMs.map { ago($0) } ?? L("never_synced"))
                        if let failure = st.failure, let at = st.failedAtMs {
                            Text(L("last_try_failed", ago(at), L(failure))).foregroundColor(.red)
                        }
                    }
                }
            }
            Section(header: Text(L("sync_now"))) {
                HStack {
                    Button(L("sync_now")) { syncNow() }.disabled(model.syncRunning)
                    Spacer()
                    Button(L("cancel"), role: .cancel) { cancel() }.disabled(!model.syncRunning)
                }
                .buttonStyle(.borderless)
                if model.syncRunning { ProgressView() }
                if let p = model.progress { ProgressLines(progress: p) }
            }
            if let outcome = model.lastSync {
                let time = outcome.at.formatted(Date.FormatStyle(date: .omitted, time: .shortened, locale: AppLanguage.current.locale))
                Section(header: Text(L("last_sync", time))) {
                    if let error = outcome.error { Text(L(error)).foregroundColor(.red) }
                    if let r = outcome.result {
                        ProgressLines(progress: r.progress)
                        if r.reset { Text(L("hub_reset")) }
                        if !r.newConflicts.isEmpty { Text(P("new_conflicts_note", r.newConflicts.count, String(r.newConflicts.count))) }
                        ForEach(r.rejected, id: \.id) { (rej: Rejected) in
                            Text(L("refused_by_hub", String(rej.id.prefix(8)), rej.reason)).foregroundColor(.red)
                        }
                        if let first = r.unreadable.first {
                            Text(P("unreadable", r.unreadable.count, String(r.unreadable.count), first)).foregroundColor(.red)
                        }
                    }
                }
            }
            Section(header: Text(L("background_sync")), footer: Text(L("background_note_ios"))) {
                Button(L("sync_background_soon")) { BackgroundSync.schedule(soon: true) }
            }
            Section(header: Text(L("bundles_title_ios"))) {
                Button(L("export_unsynced")) { export(onlyUnsynced: true) }
                Button(L("export_all")) { export(onlyUnsynced: false) }
                Button(L("import_bundle")) { importing = true }
            }
        }
        .task(id: model.changes) {
            unsynced = try? await model.unsyncedCount()
            status = try? await model.syncStatus()
        }
        .fileExporter(isPresented: $exporting, document: exportDocument, contentType: .data, defaultFilename: "sangam.bundle") { result in
            switch result {
            case .success: message = L("bundle_written")
            case .failure(let error): message = L("bundle_not_written", error.localizedDescription)
            }
        }
        .fileImporter(isPresented: $importing, allowedContentTypes: [.data]) { result in
            switch result {
            case .success(let url): importBundle(url)
            case .failure(let error): message = L("no_bundle_read", error.localizedDescription)
            }
        }
    }

    private func syncNow() {
        syncTask = Task {
            do {
                let result: SyncResult = try await model.sync()
                let sent = String(result.progress.docsSent), received = String(result.progress.docsReceived)
                let conflicts = result.newConflicts.count
                message = conflicts == 0 ? L("sync_finished", sent, received) : P("sync_finished_conflicts", conflicts, sent, received, String(conflicts))
            } catch {
                message = errorText(error)
            }
        }
    }

    /// Cancels between round trips; what the hub already acknowledged stays.
    private func cancel() {
        syncTask?.cancel()
        message = L("sync_cancelled")
    }

    private func export(onlyUnsynced: Bool) {
        Task {
            do {
                exportDocument = BundleDocument(data: try await model.exportBundle(onlyUnsynced: onlyUnsynced))
                exporting = true
            } catch {
                message = errorText(error)
            }
        }
    }

    private func importBundle(_ url: URL) {
        Task {
            let scoped = url.startAccessingSecurityScopedResource()
            defer { if scoped { url.stopAccessingSecurityScopedResource() } }
            do {
                let bytes = try Data(contentsOf: url)
                let result: BundleResult = try await model.importBundle(bytes)
                message = L("bundle_imported", String(result.changed), String(result.unchanged), String(result.pending), String(result.rejected.count))
            } catch {
                message = errorText(error)
            }
        }
    }
}

struct ProgressLines: View {
    let progress: SyncProgressInfo

    var body: some View {
        LabeledContent(L("round_trips"), value: String(progress.roundTrips))
        LabeledContent(L("records_sent_received"), value: "\(progress.docsSent) / \(progress.docsReceived)")
        LabeledContent(L("bytes_sent_received"), value: "\(progress.bytesSent) / \(progress.bytesReceived)")
    }
}
