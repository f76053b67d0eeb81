// The one place the iOS app talks to the Rust core. Views and their models call these async
// methods on the main actor; every store call runs off the main thread (writes one at a time on
// a serial queue, reads on a concurrent one, a sync on its own queue), so the UI never blocks
// on SQLite or the network. A sync reports progress through SyncProgressListener and is
// cancelled through a CancelToken when the calling Task is cancelled.
import Foundation

/// How the last sync (foreground or background) ended: its result, or what stopped it (the app
/// says it in the person's language).
public struct SyncOutcome: Equatable {
    public let at: Date
    public let result: SyncResult?
    public let error: UserMessage?
    /// What the media sync after the records did, or why it stopped (it resumes next time).
    public var media: MediaSyncResult? = nil
    public var mediaError: UserMessage? = nil
}

/// Runs blocking store calls on dispatch queues and resumes the awaiting task with the result.
final class StoreQueues: @unchecked Sendable {
    private let writes = DispatchQueue(label: "org.sangam.store.write", qos: .userInitiated)
    private let reads = DispatchQueue(label: "org.sangam.store.read", qos: .userInitiated, attributes: .concurrent)
    private let syncs = DispatchQueue(label: "org.sangam.store.sync", qos: .utility)

    enum Lane { case read, write, sync }

    func run<T>(_ lane: Lane, _ body: @escaping () throws -> T) async throws -> T {
        let queue: DispatchQueue
        switch lane {
        case .read: queue = reads
        case .write: queue = writes
        case .sync: queue = syncs
        }
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do {
                    continuation.resume(returning: try body())
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}

/// Forwards the core's progress callbacks (on the sync thread) to a closure.
final class ProgressRelay: SyncProgressListener, @unchecked Sendable {
    private let handler: (SyncProgressInfo) -> Void
    init(_ handler: @escaping (SyncProgressInfo) -> Void) { self.handler = handler }
    func onProgress(progress: SyncProgressInfo) { handler(progress) }
}

@MainActor
public final class SangamModel: ObservableObject {
    /// The enrolment, or nil before the phone is enrolled.
    @Published public private(set) var settings: EnrolmentSettings?
    /// Bumped after every local write and every sync: list screens reload when it changes.
    @Published public private(set) var changes: Int = 0
    @Published public private(set) var syncRunning = false
    @Published public private(set) var lastSync: SyncOutcome?
    /// Progress of the running sync, after every round trip.
    @Published public private(set) var progress: SyncProgressInfo?

    private let dbPath: String?
    private let storage: EnrolmentStorage
    private let queues = StoreQueues()
    private var opened: SangamStore?

    /// Called after local work is saved: the app asks for a sync once a network is there.
    public var onLocalChange: (() -> Void)?

    private let keyVault: StoreKeyVault?

    /// `dbPath` nil keeps the store in memory (previews); `keyVault` nil keeps it clear (tests).
    public init(dbPath: String?, storage: EnrolmentStorage, keyVault: StoreKeyVault? = nil) {
        self.dbPath = dbPath
        self.storage = storage
        self.keyVault = keyVault
        self.settings = storage.load()
    }

    public var isEnrolled: Bool { settings?.isComplete == true }

    public func currentScope() throws -> String {
        guard let s = settings, s.isComplete else { throw SangamKitError.notEnrolled }
        return s.scope
    }

    private func store() throws -> SangamStore {
        if let s = opened { return s }
        guard let settings = settings, settings.isComplete else { throw SangamKitError.notEnrolled }
        let st: SangamStore
        if let path = dbPath, let vault = keyVault {
            st = try StoreKeys.open(path: path, user: settings.userInfo, vault: vault)
        } else if let path = dbPath {
            st = try SangamStore.open(path: path, user: settings.userInfo)
        } else {
            st = try SangamStore.openInMemory(user: settings.userInfo)
        }
        opened = st
        return st
    }

    func read<T>(_ body: @escaping (SangamStore) throws -> T) async throws -> T {
        let st = try store()
        return try await queues.run(.read) { try body(st) }
    }

    func write<T>(_ body: @escaping (SangamStore) throws -> T) async throws -> T {
        let st = try store()
        let result = try await queues.run(.write) { try body(st) }
        changes += 1
        return result
    }

    // MARK: enrolment

    /// Saves the enrolment and opens the store as this user (or switches the user of an open store).
    public func enrol(_ new: EnrolmentSettings) async throws {
        guard new.isComplete else { throw SangamKitError.notEnrolled }
        storage.save(new)
        settings = new
        if let st = opened {
            let user = new.userInfo
            try await queues.run(.write) { try st.setUser(user: user) }
        } else {
            _ = try store()
        }
        changes += 1
    }

    /// Writes everything into the main database file; called when the app goes to the background.
    public func checkpoint() async {
        guard let st = opened else { return }
        _ = try? await queues.run(.write) { try st.shutdown() }
    }

    // MARK: forms and responses

    public func listForms() async throws -> [RecordRow] {
        let scope = try currentScope()
        return try await read { try $0.listForms(scope: scope) }
    }

    public func listResponses(formId: String? = nil, subjectId: String? = nil, status: ResponseStatus? = nil, limit: UInt32 = 200) async throws -> [RecordRow] {
        let query = ResponseQuery(
            formId: formId, formVersion: nil, status: status, subjectId: subjectId, scope: nil,
            updatedSinceMs: nil, hasConflicts: nil, limit: limit, offset: nil
        )
        return try await read { try $0.listResponses(query: query) }
    }

    /// Whether a response has changes the hub does not have yet (reads that one record).
    public func isUnsynced(responseId: String) async throws -> Bool {
        try await read { try $0.response(id: responseId).unsynced }
    }

    public func response(id: String) async throws -> ResponseView {
        try await read { try $0.response(id: id) }
    }

    public func createResponse(form: RecordRow, subjectId: String?) async throws -> String {
        guard let formId = form.formId, let version = form.formVersion else { throw SangamKitError.notAForm }
        let scope = try currentScope()
        return try await write { try $0.createResponse(formId: formId, formVersion: version, scope: scope, subjectId: subjectId) }
    }

    public func formState(responseId: String, language: String) async throws -> FormStateView {
        try await read { try $0.formState(responseId: responseId, language: language) }
    }

    /// Saves one answer (nil clears it) and returns the recomputed live form state.
    public func answer(responseId: String, name: String, value: AnswerValue?, language: String) async throws -> FormStateView {
        try await write { (st: SangamStore) -> FormStateView in
            if let value = value {
                try st.setAnswer(id: responseId, name: name, value: value)
            } else {
                try st.clearAnswer(id: responseId, name: name)
            }
            return try st.formState(responseId: responseId, language: language)
        }
    }

    /// Saves one answer in a repeat row (nil clears it) and returns the recomputed form state.
    public func rowAnswer(responseId: String, repeatName: String, rowId: String, name: String, value: AnswerValue?, language: String) async throws -> FormStateView {
        try await write { (st: SangamStore) -> FormStateView in
            try st.setRowAnswer(id: responseId, repeat: repeatName, rowId: rowId, name: name, value: value)
            return try st.formState(responseId: responseId, language: language)
        }
    }

    public func addRepeatRow(responseId: String, repeatName: String, language: String) async throws -> FormStateView {
        try await write { (st: SangamStore) -> FormStateView in
            _ = try st.addRepeatRow(id: responseId, repeat: repeatName)
            return try st.formState(responseId: responseId, language: language)
        }
    }

    public func removeRepeatRow(responseId: String, repeatName: String, rowId: String, language: String) async throws -> FormStateView {
        try await write { (st: SangamStore) -> FormStateView in
            try st.removeRepeatRow(id: responseId, repeat: repeatName, rowId: rowId)
            return try st.formState(responseId: responseId, language: language)
        }
    }

    /// Marks the response submitted; broken rules are flagged in the result, never dropped.
    public func submit(responseId: String, language: String) async throws -> ValidationResult {
        let result: ValidationResult = try await write { try $0.submitResponse(responseId: responseId, language: language) }
        onLocalChange?()
        return result
    }

    public func moveDraftToNewest(responseId: String) async throws -> MigrationResult {
        try await write { try $0.moveDraftToNewest(responseId: responseId) }
    }

    // MARK: subjects

    public func searchSubjects(name: String, village: String, phone: String, limit: UInt32 = 100) async throws -> [RecordRow] {
        func prefix(_ s: String) -> String? {
            let t = s.trimmingCharacters(in: .whitespaces)
            return t.isEmpty ? nil : t
        }
        let query = SubjectSearch(scope: nil, subjectType: nil, namePrefix: prefix(name), villagePrefix: prefix(village), phonePrefix: prefix(phone), limit: limit)
        return try await read { try $0.searchSubjects(query: query) }
    }

    public func subject(id: String) async throws -> SubjectView {
        try await read { try $0.subject(id: id) }
    }

    public func createSubject(type: String, attrs: [String: AnswerValue]) async throws -> String {
        let scope = try currentScope()
        let id: String = try await write { try $0.createSubject(subjectType: type, scope: scope, attrs: attrs) }
        onLocalChange?()
        return id
    }

    public func updateSubject(id: String, set: [String: AnswerValue], remove: [String]) async throws {
        try await write { try $0.updateSubject(id: id, set: set, remove: remove) }
    }

    // MARK: meetings and actions

    public func listMeetings(limit: UInt32 = 100) async throws -> [RecordRow] {
        let scope = try currentScope()
        return try await read { try $0.listMeetings(scope: scope, limit: limit) }
    }

    public func meeting(id: String) async throws -> MeetingView {
        try await read { try $0.meeting(id: id) }
    }

    public func createMeeting(coalition: String, date: String, time: String, venue: String, agenda: [String]) async throws -> String {
        let scope = try currentScope()
        let input = MeetingInput(coalition: coalition, scope: scope, date: date, time: time, venue: venue, agenda: agenda)
        let id: String = try await write { try $0.createMeeting(m: input) }
        onLocalChange?()
        return id
    }

    public func addAgendaItem(meetingId: String, item: String) async throws {
        try await write { try $0.addAgendaItem(id: meetingId, item: item) }
    }

    public func addAttendee(meetingId: String, name: String, role: String, organisation: String, contact: String) async throws -> String {
        let input = AttendeeInput(name: name, role: role, organisation: organisation, contact: contact)
        return try await write { try $0.addAttendee(id: meetingId, a: input) }
    }

    public func setAttendance(meetingId: String, attendeeId: String, present: Bool) async throws {
        try await write { try $0.setAttendance(id: meetingId, attendeeId: attendeeId, present: present) }
    }

    /// Saves the whole minutes text; the core turns it into a minimal edit that merges by character.
    public func replaceMinutes(meetingId: String, text: String) async throws {
        try await write { try $0.minutesReplace(id: meetingId, text: text) }
    }

    public func addDecision(meetingId: String, text: String) async throws -> String {
        try await write { try $0.addDecision(id: meetingId, text: text) }
    }

    public func listActions(meetingId: String?, openOnly: Bool, limit: UInt32 = 200) async throws -> [RecordRow] {
        let query = ActionQuery(scope: nil, owner: nil, meetingId: meetingId, openOnly: openOnly, overdueOn: nil, limit: limit)
        return try await read { try $0.listActions(query: query) }
    }

    public func action(id: String) async throws -> ActionView {
        try await read { try $0.action(id: id) }
    }

    public func createAction(meetingId: String?, title: String, owner: String, due: String?, notes: String) async throws -> String {
        let scope = try currentScope()
        let input = ActionInput(scope: scope, meetingId: meetingId, title: title, owner: owner, due: due, notes: notes)
        let id: String = try await write { try $0.createAction(a: input) }
        onLocalChange?()
        return id
    }

    public func setActionStatus(id: String, status: ActionStatus) async throws {
        let changes = ActionChanges(title: nil, owner: nil, due: nil, clearDue: false, status: status, notes: nil)
        try await write { try $0.updateAction(id: id, changes: changes) }
    }

    // MARK: conflicts and history

    /// Every record on this phone holding concurrent values (responses, subjects, meetings, actions).
    public func recordsWithConflicts() async throws -> [RecordRow] {
        try await read { (st: SangamStore) -> [RecordRow] in
            let responses = try st.listResponses(query: ResponseQuery(
                formId: nil, formVersion: nil, status: nil, subjectId: nil, scope: nil,
                updatedSinceMs: nil, hasConflicts: true, limit: 1000, offset: nil
            ))
            let subjects = try st.searchSubjects(query: SubjectSearch(
                scope: nil, subjectType: nil, namePrefix: nil, villagePrefix: nil, phonePrefix: nil, limit: 10000
            ))
            let meetings = try st.listMeetings(scope: nil, limit: 10000)
            let actions = try st.listActions(query: ActionQuery(
                scope: nil, owner: nil, meetingId: nil, openOnly: false, overdueOn: nil, limit: 10000
            ))
            let all: [RecordRow] = responses + subjects + meetings + actions
            return all.filter { $0.conflicts > 0 }.sorted { $0.updatedAtMs > $1.updatedAtMs }
        }
    }

    public func conflicts(id: String) async throws -> [FieldConflictView] {
        try await read { try $0.conflicts(id: id) }
    }

    /// Writes the chosen value over every concurrent one (coordinators only); recorded in history.
    public func resolveConflict(id: String, path: String, value: AnswerValue) async throws {
        try await write { try $0.resolveConflict(id: id, path: path, value: value) }
        onLocalChange?()
    }

    /// Keeps the value at `index` of a conflict's values over every other (coordinators only);
    /// recorded in history.
    public func resolveConflictPick(id: String, path: String, index: UInt32) async throws {
        try await write { try $0.resolveConflictPick(id: id, path: path, index: index) }
        onLocalChange?()
    }

    public func history(id: String) async throws -> [HistoryEntryView] {
        try await read { try $0.history(id: id) }
    }

    // MARK: sync and bundles

    public func unsyncedCount() async throws -> Int64 {
        try await read { try $0.unsyncedCount() }
    }

    /// When a sync last finished and the failure since, kept across restarts (see SyncStatus).
    public func syncStatus() async throws -> SyncStatus {
        try await read { SyncStatus(try $0.syncStatus()) }
    }

    /// Syncs with the enrolled hub, publishing progress after every round trip. Cancelling the
    /// calling Task cancels the sync between round trips (what was acknowledged stays).
    @discardableResult
    public func sync() async throws -> SyncResult {
        guard let s = settings, s.isComplete else { throw SangamKitError.notEnrolled }
        if syncRunning { throw SangamKitError.syncAlreadyRunning }
        let st = try store()
        syncRunning = true
        progress = nil
        defer {
            syncRunning = false
            changes += 1
        }
        let token = CancelToken()
        let relay = ProgressRelay { [weak self] p in
            Task { @MainActor in self?.progress = p }
        }
        let hubUrl = s.hubUrl
        let deviceToken = s.token
        do {
            let result: SyncResult = try await withTaskCancellationHandler {
                try await queues.run(.sync) { try st.sync(hubUrl: hubUrl, token: deviceToken, listener: relay, cancel: token) }
            } onCancel: {
                token.cancel()
            }
            // Then the photos, signatures and recordings the records name: after the answers,
            // so a slow link never holds them up; a cut resumes next time where it stopped.
            let download = downloadOthersMedia
            var outcome = SyncOutcome(at: Date(), result: result, error: nil)
            do {
                outcome.media = try await queues.run(.sync) {
                    let moved = try st.syncMedia(hubUrl: hubUrl, token: deviceToken, download: download, listener: nil, cancel: token)
                    // Files no record has named for a week (retaken, or left in a discarded draft).
                    _ = try st.collectMedia()
                    return moved
                }
            } catch {
                outcome.mediaError = userMessage(error)
            }
            lastSync = outcome
            return result
        } catch {
            lastSync = SyncOutcome(at: Date(), result: nil, error: userMessage(error))
            throw error
        }
    }

    /// Whether this device fetches photos and recordings other devices attached (a
    /// coordinator's iPad does; a field worker's phone on a small data plan may not).
    public var downloadOthersMedia = true

    /// Attaches a captured file (a photo already downscaled to the question's max-pixels, a
    /// signature, an audio clip) to an answer: stored durably, then the answer saved. Returns
    /// the file's name, which is the answer's value. With `repeat` and `rowId`, the answer is
    /// that repeat row's.
    public func attachMedia(responseId: String, field: String, bytes: Data, ext: String, mime: String,
                            repeat: String? = nil, rowId: String? = nil) async throws -> String {
        try await write {
            try $0.attachMedia(responseId: responseId, field: field, repeat: `repeat`, rowId: rowId, bytes: bytes, ext: ext, mime: mime)
        }
    }

    /// The files a response names, with what this device has of each and whether the hub has it.
    public func mediaOf(responseId: String) async throws -> [MediaStateInfo] {
        try await read { try $0.mediaOf(responseId: responseId) }
    }

    /// A bundle file's bytes for carrying by hand: only what the hub lacks, or everything.
    public func exportBundle(onlyUnsynced: Bool) async throws -> Data {
        let scopes = [try currentScope()]
        return try await read { try $0.exportBundle(onlyUnsynced: onlyUnsynced, scopes: scopes) }
    }

    /// What the hub lacks, sealed so that only the hub can read it (a lost card shows nothing).
    /// Before the first sync the phone does not know its hub's key: then it goes unsealed, and
    /// `sealed` says so.
    public func exportBundleForHub() async throws -> (bytes: Data, sealed: Bool) {
        let scopes = [try currentScope()]
        return try await read { st in
            do {
                return (try st.exportSealedBundle(onlyUnsynced: true, scopes: scopes), true)
            } catch ApiError.InvalidInput {
                return (try st.exportBundle(onlyUnsynced: true, scopes: scopes), false)
            }
        }
    }

    /// Re-encrypts the store under a new key (the old one is kept until this has finished).
    public func rotateStoreKey() async throws {
        guard let vault = keyVault else { return }
        let st = try store()
        try await queues.run(.write) { try StoreKeys.rotate(st, vault: vault) }
    }

    /// Imports a bundle; a damaged one is refused whole. Importing twice changes nothing.
    public func importBundle(_ bytes: Data) async throws -> BundleResult {
        try await write { try $0.importBundle(bytes: bytes) }
    }
}
