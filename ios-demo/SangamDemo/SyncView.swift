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
                    LabeledContent("Hub", value: s.hubUrl)
                    LabeledContent("District", value: s.scope)
                    LabeledContent("User", value: "\(s.displayName) (\(roleLabel(s.role)))")
                    LabeledContent("Records not yet at the hub", value: unsynced.map { String($0) } ?? "…")
                }
            }
            Section(header: Text("Sync now")) {
                HStack {
                    Button("Sync now") { syncNow() }.disabled(model.syncRunning)
                    Spacer()
                    Button("Cancel", role: .cancel) { cancel() }.disabled(!model.syncRunning)
                }
                .buttonStyle(.borderless)
                if model.syncRunning { ProgressView() }
                if let p = model.progress { ProgressLines(progress: p) }
            }
            if let outcome = model.lastSync {
                Section(header: Text("Last sync, \(outcome.at.formatted(date: .omitted, time: .shortened))")) {
                    if let error = outcome.error { Text(error).foregroundColor(.red) }
                    if let r = outcome.result {
                        ProgressLines(progress: r.progress)
                        if r.reset { Text("The hub's history was reset; this phone sent everything again.") }
                        if !r.newConflicts.isEmpty { Text("\(r.newConflicts.count) record(s) now have conflicts (see Conflicts).") }
                        ForEach(r.rejected, id: \.id) { (rej: Rejected) in
                            Text("Refused by the hub: \(rej.id.prefix(8))… — \(rej.reason)").foregroundColor(.red)
                        }
                        if let first = r.unreadable.first {
                            Text("\(r.unreadable.count) record(s) from the hub could not be read: \(first). Tell your coordinator.").foregroundColor(.red)
                        }
                    }
                }
            }
            Section(header: Text("Background sync"),
                    footer: Text("iOS runs a background sync when it sees fit, and the app syncs as soon as the network returns.")) {
                Button("Sync in the background soon") { BackgroundSync.schedule(soon: true) }
            }
            Section(header: Text("Bundle files (AirDrop, USB, Files)")) {
                Button("Export unsynced") { export(onlyUnsynced: true) }
                Button("Export all") { export(onlyUnsynced: false) }
                Button("Import a bundle") { importing = true }
            }
        }
        .task(id: model.changes) {
            unsynced = try? await model.unsyncedCount()
        }
        .fileExporter(isPresented: $exporting, document: exportDocument, contentType: .data, defaultFilename: "sangam.bundle") { result in
            switch result {
            case .success: message = "Bundle written. Carry it to the office or another phone."
            case .failure(let error): message = "The bundle was not written: \(error.localizedDescription)"
            }
        }
        .fileImporter(isPresented: $importing, allowedContentTypes: [.data]) { result in
            switch result {
            case .success(let url): importBundle(url)
            case .failure(let error): message = "No bundle read: \(error.localizedDescription)"
            }
        }
    }

    private func syncNow() {
        syncTask = Task {
            do {
                let result: SyncResult = try await model.sync()
                message = "Sync finished: sent \(result.progress.docsSent), received \(result.progress.docsReceived)"
                    + (result.newConflicts.isEmpty ? "." : ", \(result.newConflicts.count) new conflict(s).")
            } catch {
                message = userMessage(error)
            }
        }
    }

    /// Cancels between round trips; what the hub already acknowledged stays.
    private func cancel() {
        syncTask?.cancel()
        message = "Sync cancelled. What was already sent is kept; the rest goes next time."
    }

    private func export(onlyUnsynced: Bool) {
        Task {
            do {
                exportDocument = BundleDocument(data: try await model.exportBundle(onlyUnsynced: onlyUnsynced))
                exporting = true
            } catch {
                message = userMessage(error)
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
                message = "Bundle imported: \(result.changed) changed, \(result.unchanged) already here, \(result.pending) waiting for earlier changes, \(result.rejected.count) refused."
            } catch {
                message = userMessage(error)
            }
        }
    }
}

struct ProgressLines: View {
    let progress: SyncProgressInfo

    var body: some View {
        LabeledContent("Round trips", value: String(progress.roundTrips))
        LabeledContent("Records sent / received", value: "\(progress.docsSent) / \(progress.docsReceived)")
        LabeledContent("Bytes sent / received", value: "\(progress.bytesSent) / \(progress.bytesReceived)")
    }
}
