// The one place the app talks to the Rust core. ViewModels call these suspend functions; the UI
// never sees SQL or Automerge, only the records and views of the generated bindings.
//
// Threading: reads run on Dispatchers.IO (the store is thread-safe); writes run one at a time
// on a single writer thread, so quick successive edits (typing, minutes) are applied in order.
// A sync runs under a mutex, so the "Sync now" button and WorkManager never overlap; cancelling
// the calling coroutine cancels the sync between round trips through a CancelToken.
//
// Pure Kotlin + kotlinx.coroutines: compiled and exercised on the JVM by
// android-demo/data-layer-test/run.sh.
package org.sangam.demo.data

import java.util.concurrent.Executors
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.awaitCancellation
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import kotlinx.coroutines.withContext
import org.sangam.ActionChanges
import org.sangam.ActionInput
import org.sangam.ActionQuery
import org.sangam.ActionStatus
import org.sangam.ActionView
import org.sangam.AnswerValue
import org.sangam.AttendeeInput
import org.sangam.BundleResult
import org.sangam.CancelToken
import org.sangam.DuplicatePair
import org.sangam.MergeResult
import org.sangam.FieldConflictView
import org.sangam.MediaStateInfo
import org.sangam.MediaSyncResult
import org.sangam.FormStateView
import org.sangam.HistoryEntryView
import org.sangam.MeetingInput
import org.sangam.MeetingView
import org.sangam.MigrationResult
import org.sangam.RecordRow
import org.sangam.ResponseQuery
import org.sangam.ResponseStatus
import org.sangam.ResponseView
import org.sangam.ReviewItem
import org.sangam.ReviewQuery
import org.sangam.ReviewState
import org.sangam.ReviewView
import org.sangam.SangamStore
import org.sangam.SubjectSearch
import org.sangam.SubjectView
import org.sangam.SyncProgressInfo
import org.sangam.SyncProgressListener
import org.sangam.SyncResult
import org.sangam.UnmergeResult
import org.sangam.ValidationResult

class SangamRepository(
    /** The SQLite file of this phone's store; null keeps the store in memory (tests). */
    private val dbPath: String?,
    private val settingsStorage: EnrolmentStorage,
    /** Keeps the key the store is encrypted under; null keeps the store clear (tests). */
    private val keyVault: StoreKeyVault? = null,
) {
    private val reader: CoroutineDispatcher = Dispatchers.IO
    private val writer: CoroutineDispatcher = Executors.newSingleThreadExecutor { r ->
        Thread(r, "sangam-writer").apply { isDaemon = true }
    }.asCoroutineDispatcher()
    private val syncMutex = Mutex()
    private val openLock = Any()

    @Volatile
    private var opened: SangamStore? = null

    private val _settings = MutableStateFlow(settingsStorage.load())
    /** The enrolment, or null before the phone is enrolled. */
    val settings: StateFlow<EnrolmentSettings?> = _settings.asStateFlow()

    private val _changes = MutableStateFlow(0L)
    /** Bumped after every local write and every sync: list screens reload when it changes. */
    val changes: StateFlow<Long> = _changes.asStateFlow()

    private val _syncRunning = MutableStateFlow(false)
    val syncRunning: StateFlow<Boolean> = _syncRunning.asStateFlow()

    private val _lastSync = MutableStateFlow<SyncOutcome?>(null)
    /** How the last sync (foreground or background) ended. */
    val lastSync: StateFlow<SyncOutcome?> = _lastSync.asStateFlow()

    /** Set by the Android app: asks WorkManager to sync as soon as a network is there. */
    @Volatile
    var backgroundSyncRequester: (() -> Unit)? = null

    fun isEnrolled(): Boolean = _settings.value?.isComplete() == true

    fun settingsOrThrow(): EnrolmentSettings = _settings.value?.takeIf { it.isComplete() } ?: throw NotEnrolledException()

    /** The district new records are created in. */
    fun scope(): String = settingsOrThrow().scope

    private fun store(): SangamStore {
        opened?.let { return it }
        synchronized(openLock) {
            opened?.let { return it }
            val user = settingsOrThrow().userInfo()
            val st: SangamStore = when {
                dbPath == null -> SangamStore.openInMemory(user)
                keyVault != null -> StoreKeys.open(dbPath, user, keyVault)
                else -> SangamStore.open(dbPath, user)
            }
            opened = st
            return st
        }
    }

    private suspend fun <T> read(block: (SangamStore) -> T): T = withContext(reader) { block(store()) }

    private suspend fun <T> write(block: (SangamStore) -> T): T {
        val result = withContext(writer) { block(store()) }
        _changes.update { it + 1 }
        return result
    }

    // ---- enrolment ----

    /** Saves the enrolment and opens the store as this user (or switches the user of an open store). */
    suspend fun enrol(settings: EnrolmentSettings) {
        require(settings.isComplete()) { "every enrolment field is needed" }
        withContext(writer) {
            settingsStorage.save(settings)
            _settings.value = settings
            val st = opened
            if (st != null) st.setUser(settings.userInfo()) else store()
        }
        _changes.update { it + 1 }
    }

    suspend fun deviceId(): String = read { it.deviceId() }

    /** Writes everything to the main database file; called when the app goes to the background. */
    suspend fun checkpoint() {
        if (opened == null) return
        withContext(writer) { opened?.shutdown() }
    }

    // ---- forms and responses ----

    suspend fun listForms(): List<RecordRow> = read { it.listForms(scope()) }

    suspend fun listResponses(formId: String? = null, subjectId: String? = null, status: ResponseStatus? = null, limit: UInt = 200u): List<RecordRow> =
        read {
            it.listResponses(
                ResponseQuery(
                    formId = formId,
                    formVersion = null,
                    status = status,
                    subjectId = subjectId,
                    scope = null,
                    updatedSinceMs = null,
                    hasConflicts = null,
                    limit = limit,
                    offset = null,
                ),
            )
        }

    /** Whether a response has changes the hub does not have yet (reads that one record). */
    suspend fun isUnsynced(responseId: String): Boolean = read { it.response(responseId).unsynced }

    suspend fun response(responseId: String): ResponseView = read { it.response(responseId) }

    suspend fun createResponse(form: RecordRow, subjectId: String?): String {
        val formId = form.formId ?: throw IllegalArgumentException("not a form row")
        val version = form.formVersion ?: throw IllegalArgumentException("form row without a version")
        return write { it.createResponse(formId, version, scope(), subjectId) }
    }

    suspend fun formState(responseId: String, language: String): FormStateView = read { it.formState(responseId, language) }

    /** Saves one answer (null clears it) and returns the recomputed live form state. */
    suspend fun answer(responseId: String, name: String, value: AnswerValue?, language: String): FormStateView = write {
        if (value == null) it.clearAnswer(responseId, name) else it.setAnswer(responseId, name, value)
        it.formState(responseId, language)
    }

    /** Saves one answer in a repeat row (null clears it) and returns the recomputed form state. */
    suspend fun rowAnswer(responseId: String, repeat: String, rowId: String, name: String, value: AnswerValue?, language: String): FormStateView =
        write {
            it.setRowAnswer(responseId, repeat, rowId, name, value)
            it.formState(responseId, language)
        }

    suspend fun addRepeatRow(responseId: String, repeat: String, language: String): FormStateView = write {
        it.addRepeatRow(responseId, repeat)
        it.formState(responseId, language)
    }

    /** Adds a row to a repeat inside a repeat (a member's children), in row `parentRow` of `parentRepeat`. */
    suspend fun addNestedRepeatRow(responseId: String, repeat: String, parentRepeat: String, parentRow: String, language: String): FormStateView = write {
        it.addNestedRepeatRow(responseId, repeat, parentRepeat, parentRow)
        it.formState(responseId, language)
    }

    suspend fun removeRepeatRow(responseId: String, repeat: String, rowId: String, language: String): FormStateView = write {
        it.removeRepeatRow(responseId, repeat, rowId)
        it.formState(responseId, language)
    }

    /** Marks the response submitted; broken rules are flagged in the result, never dropped. */
    suspend fun submit(responseId: String, language: String): ValidationResult {
        val result = write { it.submitResponse(responseId, language) }
        requestBackgroundSync()
        return result
    }

    suspend fun moveDraftToNewest(responseId: String): MigrationResult = write { it.moveDraftToNewest(responseId) }

    // ---- subjects ----

    suspend fun searchSubjects(name: String, village: String, phone: String, limit: UInt = 100u): List<RecordRow> = read {
        it.searchSubjects(
            SubjectSearch(
                scope = null,
                subjectType = null,
                namePrefix = name.trim().ifEmpty { null },
                villagePrefix = village.trim().ifEmpty { null },
                phonePrefix = phone.trim().ifEmpty { null },
                limit = limit,
            ),
        )
    }

    suspend fun subject(id: String): SubjectView = read { it.subject(id) }

    suspend fun createSubject(type: String, attrs: Map<String, AnswerValue>): String {
        val id = write { it.createSubject(type, scope(), attrs) }
        requestBackgroundSync()
        return id
    }

    suspend fun updateSubject(id: String, set: Map<String, AnswerValue>, remove: List<String>) {
        write { it.updateSubject(id, set, remove) }
    }

    // ---- meetings and actions ----

    suspend fun listMeetings(limit: UInt = 100u): List<RecordRow> = read { it.listMeetings(scope(), limit) }

    suspend fun meeting(id: String): MeetingView = read { it.meeting(id) }

    suspend fun createMeeting(coalition: String, date: String, time: String, venue: String, agenda: List<String>): String {
        val input = MeetingInput(coalition = coalition, scope = scope(), date = date, time = time, venue = venue, agenda = agenda)
        val id = write { it.createMeeting(input) }
        requestBackgroundSync()
        return id
    }

    suspend fun addAgendaItem(meetingId: String, item: String) {
        write { it.addAgendaItem(meetingId, item) }
    }

    suspend fun addAttendee(meetingId: String, name: String, role: String, organisation: String, contact: String): String =
        write { it.addAttendee(meetingId, AttendeeInput(name = name, role = role, organisation = organisation, contact = contact)) }

    suspend fun setAttendance(meetingId: String, attendeeId: String, present: Boolean) {
        write { it.setAttendance(meetingId, attendeeId, present) }
    }

    /** Saves the whole minutes text; the core turns it into a minimal edit that merges by character. */
    suspend fun replaceMinutes(meetingId: String, text: String) {
        write { it.minutesReplace(meetingId, text) }
    }

    suspend fun addDecision(meetingId: String, text: String): String = write { it.addDecision(meetingId, text) }

    suspend fun listActions(meetingId: String?, openOnly: Boolean, limit: UInt = 200u): List<RecordRow> = read {
        it.listActions(
            ActionQuery(scope = null, owner = null, meetingId = meetingId, openOnly = openOnly, overdueOn = null, limit = limit),
        )
    }

    suspend fun action(id: String): ActionView = read { it.action(id) }

    /** The open action items this user owns, across meetings, overdue first (see MyActions). */
    suspend fun myActions(today: String): List<RecordRow> {
        val me = settingsOrThrow()
        return MyActions.ordered(listActions(meetingId = null, openOnly = true, limit = 1000u).filter { MyActions.isMine(it.owner, me) }, today)
    }

    suspend fun createAction(meetingId: String?, title: String, owner: String, due: String?, notes: String): String {
        val input = ActionInput(scope = scope(), meetingId = meetingId, title = title, owner = owner, due = due, notes = notes)
        val id = write { it.createAction(input) }
        requestBackgroundSync()
        return id
    }

    suspend fun setActionStatus(id: String, status: ActionStatus) {
        write {
            it.updateAction(id, ActionChanges(title = null, owner = null, due = null, clearDue = false, status = status, notes = null))
        }
    }

    suspend fun updateActionDetails(id: String, owner: String, due: String?, notes: String) {
        write {
            it.updateAction(
                id,
                ActionChanges(title = null, owner = owner, due = due, clearDue = due == null, status = null, notes = notes),
            )
        }
    }

    // ---- conflicts and history ----

    /** Every record on this phone that holds concurrent values (responses, subjects, meetings, actions). */
    suspend fun recordsWithConflicts(): List<RecordRow> = read { st ->
        val responses = st.listResponses(
            ResponseQuery(
                formId = null, formVersion = null, status = null, subjectId = null, scope = null,
                updatedSinceMs = null, hasConflicts = true, limit = 1000u, offset = null,
            ),
        )
        val subjects = st.searchSubjects(
            SubjectSearch(scope = null, subjectType = null, namePrefix = null, villagePrefix = null, phonePrefix = null, limit = 10_000u),
        )
        val meetings = st.listMeetings(null, 10_000u)
        val actions = st.listActions(
            ActionQuery(scope = null, owner = null, meetingId = null, openOnly = false, overdueOn = null, limit = 10_000u),
        )
        (responses + subjects + meetings + actions).filter { row -> row.conflicts > 0 }.sortedByDescending { row -> row.updatedAtMs }
    }

    suspend fun conflicts(id: String): List<FieldConflictView> = read { it.conflicts(id) }

    /** Writes the chosen value over every concurrent one (coordinators only); recorded in history. */
    suspend fun resolveConflict(id: String, path: String, value: AnswerValue) {
        write { it.resolveConflict(id, path, value) }
        requestBackgroundSync()
    }

    /** Keeps the value at `index` of a conflict's values over every other (coordinators only); recorded in history. */
    suspend fun resolveConflictPick(id: String, path: String, index: UInt) {
        write { it.resolveConflictPick(id, path, index) }
        requestBackgroundSync()
    }

    suspend fun history(id: String): List<HistoryEntryView> = read { it.history(id) }

    // ---- review and duplicates (a coordinator's tablet) ----

    /** Submitted responses in review state `state`, most recently updated first. */
    suspend fun reviewQueue(state: ReviewState = ReviewState.RECEIVED, limit: UInt = 200u): List<ReviewItem> = read {
        it.listByReview(ReviewQuery(scope = null, formId = null, status = ResponseStatus.SUBMITTED, state = state, limit = limit))
    }

    suspend fun review(id: String): ReviewView = read { it.review(id) }

    /** Sets a response's review state, with a comment when one is typed (coordinators only). */
    suspend fun setReview(id: String, state: ReviewState, comment: String?) {
        write { it.setReview(id, state, comment?.trim()?.takeIf { c -> c.isNotEmpty() }) }
        requestBackgroundSync()
    }

    suspend fun addReviewComment(id: String, text: String): String {
        val c = write { it.addReviewComment(id, text.trim()) }
        requestBackgroundSync()
        return c
    }

    /** Likely duplicate households and people on this tablet, best first. */
    suspend fun duplicateCandidates(minScore: UInt = 50u): List<DuplicatePair> = read { it.duplicateCandidates(null, minScore) }

    /** Folds `duplicate` into `keep`: its responses move, its details fill gaps (coordinators only). */
    suspend fun mergeSubjects(keep: String, duplicate: String): MergeResult {
        val r = write { it.mergeSubjects(keep, duplicate) }
        requestBackgroundSync()
        return r
    }

    /** Undoes the merge of `duplicate`; what someone edited since stays as it is. */
    suspend fun unmergeSubject(duplicate: String): UnmergeResult {
        val r = write { it.unmergeSubject(duplicate) }
        requestBackgroundSync()
        return r
    }

    // ---- sync and bundles ----

    suspend fun unsyncedCount(): Long = read { it.unsyncedCount() }

    /** When a sync last finished and the failure since, kept across restarts (see SyncStatus). */
    suspend fun syncStatus(): SyncStatus = read { SyncStatus.of(it.syncStatus()) }

    /**
     * Syncs with the enrolled hub, reporting progress after every round trip. Cancelling the
     * calling coroutine cancels the sync between round trips (what was acknowledged stays).
     */
    suspend fun sync(report: (SyncProgressInfo) -> Unit): SyncResult = syncMutex.withLock {
        val enrolment = settingsOrThrow()
        val cancel = CancelToken()
        val listener = object : SyncProgressListener {
            override fun onProgress(progress: SyncProgressInfo) = report(progress)
        }
        _syncRunning.value = true
        try {
            val result: SyncResult = coroutineScope {
                val watcher = launch {
                    try {
                        awaitCancellation()
                    } finally {
                        cancel.cancel()
                    }
                }
                try {
                    withContext(reader) { store().sync(enrolment.hubUrl, enrolment.token, listener, cancel) }
                } finally {
                    watcher.cancel()
                }
            }
            // Then the photos, signatures and recordings the records name: after the answers,
            // so a slow link never holds them up; a cut resumes next time where it stopped.
            val media = CancelToken()
            val (mediaResult, mediaError) = try {
                val moved = withContext(reader) { store().syncMedia(enrolment.hubUrl, enrolment.token, downloadOthersMedia, null, media) }
                // Photos no record has named for a week (retaken, or left in a discarded draft).
                withContext(reader) { store().collectMedia() }
                Pair(moved, null)
            } catch (e: Exception) {
                Pair(null, userMessage(e))
            } finally {
                media.destroy()
            }
            _lastSync.value = SyncOutcome(System.currentTimeMillis(), result, null, mediaResult, mediaError)
            result
        } catch (e: Exception) {
            _lastSync.value = SyncOutcome(System.currentTimeMillis(), null, userMessage(e))
            throw e
        } finally {
            _syncRunning.value = false
            cancel.destroy()
            _changes.update { it + 1 }
        }
    }

    fun requestBackgroundSync() {
        backgroundSyncRequester?.invoke()
    }

    /**
     * Whether this phone fetches photos and recordings other devices attached (a coordinator's
     * tablet does; a field worker's phone on a small data plan may not). Its own always go up.
     */
    @Volatile var downloadOthersMedia: Boolean = true

    /**
     * Attaches a captured file (a photo already downscaled to the question's max-pixels, a
     * signature, an audio clip) to an answer: stored durably, then the answer saved. Returns
     * the file's name, which is the answer's value. With `repeat` and `rowId`, the answer is
     * that repeat row's.
     */
    suspend fun attachMedia(
        responseId: String,
        field: String,
        bytes: ByteArray,
        ext: String,
        mime: String,
        repeat: String? = null,
        rowId: String? = null,
    ): String = write { it.attachMedia(responseId, field, repeat, rowId, bytes, ext, mime) }

    /** The files a response names, with what this phone has of each and whether the hub has it. */
    suspend fun mediaOf(responseId: String): List<MediaStateInfo> = read { it.mediaOf(responseId) }

    /** A bundle file's bytes for carrying by hand: only what the hub lacks, or everything. */
    suspend fun exportBundle(onlyUnsynced: Boolean): ByteArray = read { it.exportBundle(onlyUnsynced, listOf(scope())) }

    /**
     * A bundle for this phone's hub, sealed so that only the hub can read it (a lost SD card
     * shows nothing). Before the first sync the phone does not know the hub's key: then the
     * bundle goes unsealed, and `sealed` in the result says so.
     */
    suspend fun exportBundleForHub(onlyUnsynced: Boolean): ExportedBundle = read {
        try {
            ExportedBundle(it.exportSealedBundle(onlyUnsynced, listOf(scope())), sealed = true)
        } catch (e: org.sangam.ApiException.InvalidInput) {
            ExportedBundle(it.exportBundle(onlyUnsynced, listOf(scope())), sealed = false)
        }
    }

    /** Re-encrypts the store under a new key (the old one is kept until this has finished). */
    suspend fun rotateStoreKey() {
        val vault = keyVault ?: return
        withContext(writer) { StoreKeys.rotate(store(), vault) }
    }

    /** Whether the store's file is encrypted. */
    suspend fun isEncrypted(): Boolean = read { it.isEncrypted() }

    /** Imports a bundle; a damaged one is refused whole. Importing twice changes nothing. */
    suspend fun importBundle(bytes: ByteArray): BundleResult = write { it.importBundle(bytes) }
}

/** A bundle's bytes, and whether they are sealed to the hub. */
class ExportedBundle(val bytes: ByteArray, val sealed: Boolean)

/** How a sync ended: its result, or what stopped it (shown in the app's language). */
data class SyncOutcome(
    val atMs: Long,
    val result: SyncResult?,
    val error: UserMessage?,
    /** What the media sync after the records did, or why it stopped (it resumes next time). */
    val media: MediaSyncResult? = null,
    val mediaError: UserMessage? = null,
)
