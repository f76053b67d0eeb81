// Runs the Android app's data layer (org.sangam.demo.data: repository, answer conversions,
// conflict values, errors) on a plain JVM against the built library and a real `sangam-hub
// serve` on loopback. The Compose screens only call this layer, so what they do is exercised
// here; the binding itself is tested by android-demo/kotlin-tests. Run by ./run.sh.

import java.io.File
import java.nio.file.Files
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import org.sangam.AnswerValue
import org.sangam.ApiException
import org.sangam.ActionStatus
import org.sangam.FormStateView
import org.sangam.QuestionType
import org.sangam.RecordStatus
import org.sangam.QuestionView
import org.sangam.ResponseStatus
import org.sangam.ReviewState
import org.sangam.StoredValue
import org.sangam.SyncProgressInfo
import org.sangam.UserRole
import org.sangam.demo.data.AppLanguage
import org.sangam.demo.data.Answers
import org.sangam.demo.data.Capture
import org.sangam.demo.data.DuplicateReview
import org.sangam.demo.data.ReviewKey
import org.sangam.demo.data.ReviewQueue
import org.sangam.demo.data.PhotoSizing
import org.sangam.demo.data.SignatureStrokes
import org.sangam.demo.data.EnrolmentSettings
import org.sangam.demo.data.FormEntry
import org.sangam.demo.data.FormLanguages
import org.sangam.demo.data.FormLayout
import org.sangam.demo.data.InMemoryEnrolmentStorage
import org.sangam.demo.data.InMemoryStoreKeyVault
import org.sangam.demo.data.MyActions
import org.sangam.demo.data.NotEnrolledException
import org.sangam.demo.data.SangamRepository
import org.sangam.demo.data.UserMessage
import org.sangam.demo.data.userMessage

private var failures = 0
private var passes = 0

private fun check(cond: Boolean, what: String) {
    if (cond) { println("  ok   $what"); passes++ } else { println("  FAIL $what"); failures++ }
}

private class Hub(private val exe: String, val data: File) : AutoCloseable {
    private var process: Process? = null
    lateinit var url: String

    fun cli(vararg args: String): String {
        val p = ProcessBuilder(listOf(exe) + args.toList()).redirectErrorStream(true).start()
        val out = p.inputStream.bufferedReader().readText()
        check(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) { "sangam-hub ${args.firstOrNull()} failed" }
        return out
    }

    fun enrol(name: String, role: String, scope: String): String =
        cli("device", "add", "--data", data.path, "--name", name, "--role", role, "--scope", scope).trim().lines().last()

    fun start() {
        val p = ProcessBuilder(exe, "serve", "--data", data.path, "--listen", "127.0.0.1:0")
            .redirectError(ProcessBuilder.Redirect.DISCARD).start()
        process = p
        val reader = p.inputStream.bufferedReader()
        while (true) {
            val line = reader.readLine() ?: error("hub exited before listening")
            if (line.startsWith("listening on ")) { url = line.removePrefix("listening on ").trim(); break }
        }
        Thread { reader.readLines() }.apply { isDaemon = true }.start()
    }

    override fun close() { process?.destroyForcibly()?.waitFor() }
}

private fun FormStateView.q(name: String): QuestionView = questions.first { it.name == name }

/** The coordinator's tablet: the review queue and the duplicates, on the data layer `c` (a coordinator). */
private suspend fun coordinatorTablet(a: SangamRepository, c: SangamRepository, form: org.sangam.RecordRow, hh: String, r: String) {
    // The coordinator's tablet: the review queue, decided in turn; the field worker learns it.
    val r2 = a.createResponse(form, hh)
    a.answer(r2, "consent", AnswerValue.Text("no"), FormLanguages.ENGLISH)
    a.submit(r2, FormLanguages.ENGLISH)
    a.sync { }
    c.sync { }
    var queue = ReviewQueue(c.reviewQueue(ReviewState.RECEIVED))
    check(queue.items.map { it.record.id }.containsAll(listOf(r, r2)) && queue.current != null, "both submitted responses wait for review")
    try {
        a.setReview(r, ReviewState.APPROVED, null)
        check(false, "a field worker may not review")
    } catch (e: ApiException.Forbidden) {
        check(userMessage(e).kind == UserMessage.Kind.FORBIDDEN, "a field worker may not review")
    }
    val first = queue.current!!.record.id
    check(ReviewKey.of('A') == ReviewKey.APPROVE && ReviewKey.of('j') == ReviewKey.NEXT && ReviewKey.of('x') == null && ReviewKey.REJECT.state == ReviewState.REJECTED, "review keys as on the console")
    c.setReview(first, ReviewKey.APPROVE.state!!, "  ")
    val shown = queue.decided(first)
    check(shown != null && shown.record.id != first && queue.items.none { it.record.id == first }, "a decided response leaves the queue and the next is shown")
    c.setReview(shown!!.record.id, ReviewState.HAS_ISSUES, "Consent was refused: check with the household")
    check(queue.decided(shown.record.id) == null || queue.items.none { it.record.id == shown.record.id }, "the queue empties as responses are decided")
    check(c.reviewQueue(ReviewState.APPROVED).any { it.record.id == first } && c.reviewQueue(ReviewState.HAS_ISSUES).single { it.record.id == shown.record.id }.comments == 1u, "the states are stored, with the comment (a blank one is none)")
    c.sync { }
    a.sync { }
    check(a.review(shown.record.id).state == ReviewState.HAS_ISSUES && a.review(shown.record.id).comments.single().text.startsWith("Consent was refused"), "the field worker sees the review and its comment")
    queue = ReviewQueue(listOf(), null)
    check(queue.isEmpty && queue.next() == null && queue.previous() == null && queue.decided("none") == null, "an empty queue")

    // Duplicates: the same household registered twice, merged keeping the older, then undone.
    val twin = a.createSubject("household", mapOf("name" to AnswerValue.Text("Sunita Devi"), "village" to AnswerValue.Text("Rampur"), "phone" to AnswerValue.Text("9876543210")))
    a.sync { }
    c.sync { }
    val dupes = DuplicateReview(c.duplicateCandidates())
    val pair = dupes.pairs.firstOrNull { setOf(it.keep, it.duplicate) == setOf(hh, twin) }
    check(pair != null && pair.reasons.isNotEmpty(), "the twin households are a candidate pair, with reasons")
    val mg = dupes.merge(pair!!, hh)
    check(mg.keep == hh && mg.duplicate == twin, "merging keeps the side chosen")
    val merged = c.mergeSubjects(mg.keep, mg.duplicate)
    dupes.mergedDone(mg)
    check(dupes.pairs.none { it.keep == twin || it.duplicate == twin } && dupes.merged.first() == mg, "the pair leaves the list; the merge can be undone")
    check(merged.responsesMoved.isEmpty(), "the twin had no responses to move")
    dupes.refreshed(c.duplicateCandidates())
    check(dupes.pairs.none { it.keep == twin || it.duplicate == twin }, "a refresh does not bring a merged pair back")
    c.unmergeSubject(mg.duplicate)
    dupes.unmergedDone(mg, c.duplicateCandidates())
    check(dupes.merged.isEmpty() && dupes.pairs.any { setOf(it.keep, it.duplicate) == setOf(hh, twin) }, "undone: the pair is a candidate again")
}

/** A household roster with members and each member's children: nested rows laid out in place. */
private suspend fun nestedRoster(a: SangamRepository, form: org.sangam.RecordRow) {
    val r = a.createResponse(form, null)
    var st = a.addRepeatRow(r, "members", FormLanguages.ENGLISH)
    val member = st.repeats.first { it.name == "members" }.rows.single()
    st = a.rowAnswer(r, "members", member.rowId, "age", Answers.integer("34"), FormLanguages.ENGLISH)
    st = a.addNestedRepeatRow(r, "children", "members", member.rowId, FormLanguages.ENGLISH)
    val members = st.repeats.first { it.name == "members" }
    val row = members.rows.single()
    val inRow = FormLayout.inRow(st, members, row)
    val at = inRow.indexOfFirst { it is FormEntry.Repeat && it.repeat.name == "children" }
    check(at > 0 && (inRow[at - 1] as? FormEntry.Question)?.question?.name == "age", "the children repeat stands after the member's age, inside the member's row")
    val children = inRow[at] as FormEntry.Repeat
    check(children.rows.size == 1 && children.rows.single().parentRow == row.rowId && children.relevant, "the member's own child row, the repeat relevant for an adult")
    check(FormLayout.top(st).none { it is FormEntry.Repeat && it.repeat.name == "children" }, "a nested repeat is not shown at the top level")
    st = a.rowAnswer(r, "members", row.rowId, "age", Answers.integer("12"), FormLanguages.ENGLISH)
    val again = st.repeats.first { it.name == "members" }
    check(FormLayout.inRow(st, again, again.rows.single()).none { it is FormEntry.Repeat && it.repeat.name == "children" }, "not relevant for a child: hidden in that row")
}

fun main(args: Array<String>) = runBlocking {
    val hubExe = args.getOrNull(0) ?: error("usage: DataLayerSmoke <sangam-hub> <form.xlsx>")
    val formXlsx = args.getOrNull(1) ?: error("usage: DataLayerSmoke <sangam-hub> <form.xlsx>")
    val dir = Files.createTempDirectory("sangam-data-layer").toFile()
    val scope = "UP-SIT"

    // Pure helpers first.
    check(Answers.display(StoredValue.Field(AnswerValue.Text("98765 43210"))) == "98765 43210", "a conflict value that is an answer shows as one")
    val review = StoredValue.Parts(mapOf("state" to StoredValue.Field(AnswerValue.Text("approved")), "comments" to StoredValue.Parts(mapOf()), "tags" to StoredValue.Items(listOf(StoredValue.Empty))))
    check(Answers.display(review) == "{comments: {}, state: approved, tags: [(empty)]}", "a structure shows its parts by name")
    check(Answers.display(review, empty = "(खाली)").endsWith("tags: [(खाली)]}"), "a missing value reads in the app's language")
    check(FormLanguages.forApp(AppLanguage.HINDI) == FormLanguages.HINDI && FormLanguages.forApp(AppLanguage.ENGLISH) == FormLanguages.ENGLISH, "the app's language picks the form's")
    check(FormLanguages.same("Hindi (hi)", "Hindi") && FormLanguages.same("hi", "हिन्दी (hi)") && !FormLanguages.same("Hindi (hi)", "English (en)"), "one language by name or code, as the core matches them")
    check(FormLanguages.choices(listOf("Bangla (bn)", "English (en)")) == listOf("Bangla (bn)", "English (en)") && FormLanguages.choices(emptyList()) == FormLanguages.all, "the switch offers the form's own languages")
    check(FormLanguages.shortName("Hindi") == "हिन्दी" && FormLanguages.shortName("Bangla (bn)") == "Bangla", "languages as a switch shows them")
    check(AppLanguage.fromTag("hi") == AppLanguage.HINDI && AppLanguage.fromTag("fr") == null, "app languages by resource tag")
    check(userMessage(NotEnrolledException()) == UserMessage(UserMessage.Kind.NOT_ENROLLED), "not enrolled is a message kind")
    check(userMessage(IllegalStateException("x")) == UserMessage(UserMessage.Kind.UNEXPECTED, "IllegalStateException"), "an unexpected error names its class only")
    check(Answers.integer("12") == AnswerValue.Int(12L) && Answers.integer("1x") == AnswerValue.Text("1x") && Answers.integer(" ") == null, "integer input")
    check(Answers.geopoint("26.8", "80.9") == AnswerValue.Text("26.8 80.9") && Answers.geopointParts(AnswerValue.Text("26.8 80.9 0 5")) == Pair("26.8", "80.9"), "geopoint input")
    check(Answers.toggle(AnswerValue.Choices(listOf("a")), "b", true) == AnswerValue.Choices(listOf("a", "b")) && Answers.toggle(AnswerValue.Choices(listOf("a")), "a", false) == null, "multi-select toggling")
    check(Answers.dateTime(2026, 11, 29, 10, 5) == AnswerValue.Text("2026-11-29T10:05:00"), "datetime input")
    // Media capture: which screen a question opens, and the photo and signature arithmetic.
    check(Capture.forKind(QuestionType.IMAGE, null) == Capture.PHOTO && Capture.forKind(QuestionType.IMAGE, "signature") == Capture.SIGNATURE, "an image question opens the camera, or the pad when it asks for a signature")
    check(Capture.forKind(QuestionType.IMAGE, "annotate new-front") == Capture.DRAWING && Capture.forKind(QuestionType.AUDIO, null) == Capture.AUDIO && Capture.forKind(QuestionType.TEXT, null) == null, "draw/annotate, audio, and non-media questions")
    check(Capture.SIGNATURE.ext == "png" && Capture.PHOTO.mime == "image/jpeg" && Capture.AUDIO.ext == "m4a", "stored file types")
    check(PhotoSizing.target(4160, 3120, 1024) == Pair(1024, 768) && PhotoSizing.target(3120, 4160, 1024) == Pair(768, 1024), "max-pixels bounds the longer side, the aspect kept")
    check(PhotoSizing.target(800, 600, 1024) == Pair(800, 600) && PhotoSizing.target(4000, 3000, null) == Pair(1280, 960), "never enlarged; about 1 MP without max-pixels")
    check(PhotoSizing.sampleSize(4160, 3120, 1024, 768) == 4 && PhotoSizing.sampleSize(800, 600, 800, 600) == 1, "decoded at the largest power-of-two reduction that still covers the target")
    val pad = SignatureStrokes(minStep = 2f)
    check(pad.isEmpty && pad.bounds() == null, "an empty pad")
    pad.begin(10f, 10f); pad.lineTo(10.5f, 10.5f); pad.lineTo(20f, 30f); pad.end()
    pad.begin(5f, 40f); pad.end()
    check(pad.strokes.map { it.size } == listOf(2, 1) && pad.bounds()!!.toList() == listOf(5f, 10f, 20f, 40f), "strokes keep moved points and dots, not a resting finger")
    pad.clear()
    check(pad.isEmpty, "clearing the pad")

    Hub(hubExe, File(dir, "hub")).use { hub ->
        val tokA = hub.enrol("asha-phone", "field-worker", scope)
        val tokB = hub.enrol("bina-phone", "field-worker", scope)
        val tokC = hub.enrol("chitra-tablet", "coordinator", scope)
        hub.cli("form", "publish", "--data", hub.data.path, formXlsx, "--scope", scope)
        hub.cli("form", "publish", "--data", hub.data.path, File(File(formXlsx).parentFile, "nested_repeats.xlsx").path, "--scope", scope)
        hub.start()

        val a = SangamRepository(File(dir, "a.db").path, InMemoryEnrolmentStorage())
        check(!a.isEnrolled(), "a new phone is not enrolled")
        a.enrol(EnrolmentSettings(hub.url, tokA, scope, "asha", "Asha", UserRole.FIELD_WORKER))
        val progress = mutableListOf<SyncProgressInfo>()
        a.sync { p -> synchronized(progress) { progress.add(p) } }
        check(progress.isNotEmpty(), "sync reports progress")
        val forms = a.listForms()
        check(forms.size == 2, "the published forms arrived")

        // A household and a survey about it, with live skip logic, repeats and constraints.
        val hh = a.createSubject("household", mapOf("name" to AnswerValue.Text("Sunita Devi"), "village" to AnswerValue.Text("Rampur"), "phone" to AnswerValue.Text("9876543210")))
        check(a.searchSubjects("sun", "", "").any { it.id == hh } && a.searchSubjects("", "ram", "").any { it.id == hh }, "subjects are found by name and village prefix")
        val survey = forms.first { it.formId == "deep_listening" }
        val r = a.createResponse(survey, hh)
        var st = a.formState(r, FormLanguages.ENGLISH)
        check(FormLanguages.choices(st.languages).any { FormLanguages.same(it, FormLanguages.HINDI) } && st.languages.size >= 2, "the form lists its own languages for the switch, Hindi among them: ${st.languages}")
        check(!st.q("village").relevant, "household questions hidden before consent")
        check(st.q("hh_size").kind == QuestionType.INTEGER && st.q("concerns").kind == QuestionType.SELECT_MULTIPLE, "question kinds arrive as QuestionType")
        check(a.response(r).status == ResponseStatus.DRAFT, "a new response is a draft")
        st = a.answer(r, "consent", AnswerValue.Text("yes"), FormLanguages.ENGLISH)
        check(st.q("village").relevant, "skip logic: consent shows the household questions")
        st = a.answer(r, "hh_size", Answers.integer("2"), FormLanguages.ENGLISH)
        check(st.repeats.first { it.name == "members" }.expectedRows == 2u, "repeat_count follows the household size")
        // The members repeat stands right after the question it follows in the form.
        val members = st.repeats.first { it.name == "members" }
        val top = FormLayout.top(st)
        val at = top.indexOfFirst { it is FormEntry.Repeat && it.repeat.name == "members" }
        check(members.after != null && at > 0 && (top[at - 1] as? FormEntry.Question)?.question?.name == members.after, "a repeat is laid out after its question (${members.after})")
        st = a.addRepeatRow(r, "members", FormLanguages.ENGLISH)
        val row = st.repeats.first { it.name == "members" }.rows.single()
        st = a.rowAnswer(r, "members", row.rowId, "member_age", Answers.integer("200"), FormLanguages.ENGLISH)
        val age = st.repeats.first { it.name == "members" }.rows.single().questions.first { it.name == "member_age" }
        check(age.problem == "Age must be between 0 and 120.", "a repeat row's constraint message is shown")
        st = a.answer(r, "hh_size", Answers.integer("many"), FormLanguages.ENGLISH)
        check(st.q("hh_size").problem != null, "text in a number question is kept and flagged")
        st = a.answer(r, "hh_size", null, FormLanguages.ENGLISH)
        check(st.q("hh_size").value == null, "clearing an answer")
        st = a.answer(r, "concerns", Answers.toggle(null, "other", true), FormLanguages.ENGLISH)
        check(st.q("concerns_other").relevant, "selected() skip logic on a multi-select")
        st = a.answer(r, "location", Answers.geopoint("26.85", "80.95"), FormLanguages.ENGLISH)
        check(st.q("location").problem == null, "a geopoint answer fits")
        st = a.answer(r, "confirm", AnswerValue.Bool(true), FormLanguages.ENGLISH)
        check(st.q("confirm").problem == null, "an acknowledge answer")
        val hindi = a.formState(r, FormLanguages.HINDI)
        check(hindi.language == FormLanguages.HINDI && hindi.q("village").label == "गाँव", "the Hindi switch renders Hindi labels")
        st = a.removeRepeatRow(r, "members", row.rowId, FormLanguages.ENGLISH)
        check(st.repeats.first { it.name == "members" }.rows.isEmpty(), "removing a repeat row")
        val submitted = a.submit(r, FormLanguages.ENGLISH)
        check(!submitted.ok && submitted.violations.isNotEmpty(), "submitting flags what is missing, keeps the data")
        check(a.listResponses().any { it.id == r && it.status == RecordStatus.Response(ResponseStatus.SUBMITTED) }, "the responses list shows the response and its status")
        check(a.response(r).status == ResponseStatus.SUBMITTED, "the response is submitted")
        check(a.listResponses(status = ResponseStatus.SUBMITTED).any { it.id == r } && a.listResponses(status = ResponseStatus.DRAFT).none { it.id == r }, "the status filter")
        check(a.isUnsynced(r) && a.unsyncedCount() > 0, "the new response is unsynced")
        check(a.listResponses().first { it.id == r }.unsynced, "the responses list marks it not sent")
        a.sync { }
        check(!a.isUnsynced(r), "after sync the response is synced")
        check(a.syncStatus().let { it.lastOkMs != null && it.failure == null }, "the store keeps when the last sync finished")
        check(!a.listResponses().first { it.id == r }.unsynced, "and the list marks it sent")

        // A meeting with attendance, minutes, a decision and an action item.
        val m = a.createMeeting("District Entrepreneurship Coalition", "2026-11-29", "10:30", "Block office", listOf("Loans"))
        a.addAgendaItem(m, "Market days")
        val att = a.addAttendee(m, "Meena", "entrepreneur", "SHG", "")
        a.setAttendance(m, att, true)
        a.replaceMinutes(m, "Opened at 10:30.")
        a.replaceMinutes(m, "Opened at 10:30. Loans discussed.")
        a.addDecision(m, "Hold a loan camp")
        val act = a.createAction(m, "Book the hall", "meena", "2026-12-01", "")
        a.setActionStatus(act, ActionStatus.IN_PROGRESS)
        a.updateActionDetails(act, "meena", null, "called the office")
        val mv = a.meeting(m)
        check(mv.minutes == "Opened at 10:30. Loans discussed." && mv.attendees.single().present == true && mv.decisions.size == 1 && mv.agenda.size == 2, "meeting: attendance, minutes, decisions, agenda")
        val av = a.action(act)
        check(av.status == ActionStatus.IN_PROGRESS && av.due == null && av.notes == "called the office", "action item updates")
        check(a.listActions(m, true).size == 1 && a.listMeetings().any { it.id == m }, "meeting and open-action lists")
        check(a.listActions(m, true).single().status == RecordStatus.Action(ActionStatus.IN_PROGRESS), "an action row's status is typed")
        // "My actions": asha's across meetings (owner typed as her name, any case), overdue first.
        val late = a.createAction(m, "Collect the loan forms", "  ASHA ", "2026-01-05", "")
        val later = a.createAction(null, "Visit the bank", "asha", "2099-01-01", "")
        a.createAction(m, "Someone else's", "Meena", "2026-01-01", "")
        val mine = a.myActions("2026-06-01")
        check(mine.map { it.id } == listOf(late, later), "my actions: mine only, overdue first (${mine.map { it.title }})")
        check(MyActions.isOverdue(mine.first(), "2026-06-01") && !MyActions.isOverdue(mine.last(), "2026-06-01"), "overdue is due before today")
        a.setActionStatus(late, ActionStatus.DONE)
        check(a.myActions("2026-06-01").map { it.id } == listOf(later), "a done item leaves my actions")

        // Two phones edit one field offline; the coordinator resolves by picking a value.
        // Phone B keeps its store encrypted, its key in a vault (the Keystore on Android).
        val vaultB = InMemoryStoreKeyVault()
        val b = SangamRepository(File(dir, "b.db").path, InMemoryEnrolmentStorage(), vaultB)
        b.enrol(EnrolmentSettings(hub.url, tokB, scope, "bina", "Bina", UserRole.FIELD_WORKER))
        a.sync { }
        b.sync { }
        a.updateSubject(hh, mapOf("phone" to AnswerValue.Text("9000000001")), listOf())
        b.updateSubject(hh, mapOf("phone" to AnswerValue.Text("9000000002")), listOf())
        a.sync { }
        val rb = b.sync { }
        check(rb.newConflicts.contains(hh), "the second phone is told about the new conflict")
        val c = SangamRepository(null, InMemoryEnrolmentStorage())
        c.enrol(EnrolmentSettings(hub.url, tokC, scope, "chitra", "Chitra", UserRole.COORDINATOR))
        c.sync { }
        check(c.recordsWithConflicts().any { it.id == hh }, "the conflict screen lists the household")
        val conflict = c.conflicts(hh).single()
        try {
            a.resolveConflict(hh, conflict.path, AnswerValue.Text("x"))
            check(false, "a field worker may not resolve")
        } catch (e: ApiException.Forbidden) {
            check(userMessage(e).kind == UserMessage.Kind.FORBIDDEN && userMessage(e).detail.isNotEmpty(), "a field worker may not resolve (${e::class.simpleName})")
        }
        val bina = conflict.values.indexOfFirst { it.by.userId == "bina" }
        check(conflict.values[bina].value == StoredValue.Field(AnswerValue.Text("9000000002")), "conflict values arrive typed")
        try {
            a.resolveConflictPick(hh, conflict.path, bina.toUInt())
            check(false, "a field worker may not pick")
        } catch (e: ApiException.Forbidden) {
            check(userMessage(e).kind == UserMessage.Kind.FORBIDDEN, "a field worker may not pick either")
        }
        c.resolveConflictPick(hh, conflict.path, bina.toUInt())
        c.sync { }
        a.sync { }
        check(a.conflicts(hh).isEmpty() && a.subject(hh).attrs["phone"] == AnswerValue.Text("9000000002"), "the picked value reached the phone")
        check(a.history(hh).any { it.by.userId == "chitra" }, "the resolution is in history")

        // B's store is encrypted: no household text in its file; a key rotation keeps every record.
        check(b.isEncrypted() && vaultB.current()?.size == 32, "phone B's store is encrypted under the vault's key")
        b.checkpoint()
        check(!String(File(dir, "b.db").readBytes(), Charsets.ISO_8859_1).contains("9000000002"), "no phone number in B's store file")
        val oldKey = vaultB.current()!!
        // (B still holds the conflict on the phone; which value shows is Automerge's pick.)
        val phoneOnB = b.subject(hh).attrs["phone"]
        b.rotateStoreKey()
        check(!vaultB.current()!!.contentEquals(oldKey) && vaultB.pending() == null, "the rotation saved the new key and dropped the pending one")
        val b2 = SangamRepository(File(dir, "b.db").path, InMemoryEnrolmentStorage(EnrolmentSettings(hub.url, tokB, scope, "bina", "Bina", UserRole.FIELD_WORKER)), vaultB)
        check(phoneOnB != null && b2.subject(hh).attrs["phone"] == phoneOnB, "the store reads back under the rotated key")
        // A rotation cut short (new key saved as pending, store still under the old one) recovers.
        val cut = InMemoryStoreKeyVault().apply { saveCurrent(vaultB.current()!!); savePending(ByteArray(32) { 7 }) }
        val b3 = SangamRepository(File(dir, "b.db").path, InMemoryEnrolmentStorage(EnrolmentSettings(hub.url, tokB, scope, "bina", "Bina", UserRole.FIELD_WORKER)), cut)
        check(b3.isEncrypted() && cut.pending() == null, "a rotation cut short before the rekey opens with the old key")
        val real = vaultB.current()!!
        val after = InMemoryStoreKeyVault().apply { saveCurrent(ByteArray(32) { 9 }); savePending(real) }
        val b4 = SangamRepository(File(dir, "b.db").path, InMemoryEnrolmentStorage(EnrolmentSettings(hub.url, tokB, scope, "bina", "Bina", UserRole.FIELD_WORKER)), after)
        check(b4.isEncrypted() && after.current()!!.contentEquals(real) && after.pending() == null, "a rotation cut short after the rekey opens with the new key and keeps it")

        // Cancelling the calling coroutine cancels the sync; the store keeps working.
        a.createSubject("household", mapOf("name" to AnswerValue.Text("Kamla")))
        lateinit var job: Job
        job = launch(Dispatchers.Default) { a.sync { job.cancel() } }
        job.join()
        check(job.isCancelled && !a.syncRunning.value, "cancelling the coroutine ends the sync")
        a.sync { }
        check(a.unsyncedCount() == 0L, "the next sync sends everything")

        // Bundles: the same changes carried on a file; the one for the hub sealed to it.
        val forHub = a.exportBundleForHub(true)
        check(forHub.sealed, "a phone that has synced seals its bundle to its hub")
        val bytes = a.exportBundle(false)
        val d = SangamRepository(null, InMemoryEnrolmentStorage())
        d.enrol(EnrolmentSettings("http://127.0.0.1:9", "sgm_x", scope, "dev", "Dev", UserRole.FIELD_WORKER))
        check(d.importBundle(bytes).changed > 0uL && d.response(r).answers["consent"] == AnswerValue.Text("yes"), "a bundle carries the records")
        try {
            d.importBundle(forHub.bytes)
            check(false, "another phone reads a bundle sealed to the hub")
        } catch (e: ApiException) {
            check(true, "a bundle sealed to the hub is unreadable on another phone (${e::class.simpleName})")
        }
        try {
            d.sync { }
            check(false, "an unreachable hub is reported")
        } catch (e: ApiException.Network) {
            check(d.lastSync.value?.error?.kind == UserMessage.Kind.NETWORK, "an unreachable hub is reported and remembered (${e::class.simpleName})")
            val kept = d.syncStatus()
            check(kept.lastOkMs == null && kept.failure?.kind == UserMessage.Kind.NETWORK && kept.failedAtMs != null, "the failure is kept by the store, for after a restart")
        }
        coordinatorTablet(a, c, survey, hh, r)
        nestedRoster(a, forms.first { it.formId == "roster" })
        listOf(a, c, d, b3).forEach { it.checkpoint() }
    }
    dir.deleteRecursively()
    println("$passes passed, $failures failed")
    if (failures > 0) kotlin.system.exitProcess(1)
}
