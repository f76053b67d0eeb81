// End-to-end test of the generated Kotlin bindings on a plain JVM, against the built library
// and a real `sangam-hub serve` on loopback. Thin on purpose: it proves the binding works end
// to end (the logic is tested in Rust). Run by android-demo/kotlin-tests/run.sh.

import org.sangam.*
import java.io.File
import java.nio.file.Files
import java.util.concurrent.TimeUnit

private var failures = 0

private fun check(cond: Boolean, what: String) {
    if (cond) println("  ok   $what") else { println("  FAIL $what"); failures++ }
}

private inline fun <reified E : Throwable> expectThrows(what: String, block: () -> Unit) {
    try {
        block()
        println("  FAIL $what: nothing thrown"); failures++
    } catch (e: Throwable) {
        if (e is E) println("  ok   $what (${e::class.simpleName})") else { println("  FAIL $what: got ${e::class.qualifiedName}: ${e.message}"); failures++ }
    }
}

class Hub(private val exe: String, val data: File) : AutoCloseable {
    private var process: Process? = null
    lateinit var url: String

    fun cli(vararg args: String): String {
        val p = ProcessBuilder(listOf(exe) + args.toList()).redirectErrorStream(true).start()
        val out = p.inputStream.bufferedReader().readText()
        check(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) { "sangam-hub ${args.joinToString(" ")} failed: $out" }
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

fun main(args: Array<String>) {
    val hubExe = args.getOrNull(0) ?: error("usage: SangamBindingTest <sangam-hub binary> <form.xlsx>")
    val formXlsx = args.getOrNull(1) ?: error("usage: SangamBindingTest <sangam-hub binary> <form.xlsx>")
    val dir = Files.createTempDirectory("sangam-kotlin").toFile()
    val scope = "UP-SIT"
    Hub(hubExe, File(dir, "hub")).use { hub ->
        val tokA = hub.enrol("asha-phone", "field-worker", scope)
        val tokB = hub.enrol("bina-phone", "field-worker", scope)
        val tokC = hub.enrol("chitra-tablet", "coordinator", scope)
        hub.cli("form", "publish", "--data", hub.data.path, formXlsx, "--scope", scope)
        hub.start()
        println("hub at ${hub.url}")

        val a = SangamStore.open(File(dir, "a.db").path, UserInfo("asha", "Asha", UserRole.FIELD_WORKER))
        val b = SangamStore.open(File(dir, "b.db").path, UserInfo("bina", "Bina", UserRole.FIELD_WORKER))
        val c = SangamStore.open(File(dir, "c.db").path, UserInfo("chitra", "Chitra", UserRole.COORDINATOR))

        // Both phones get the published form; progress callbacks arrive during sync.
        val progress = mutableListOf<SyncProgressInfo>()
        val listener = object : SyncProgressListener {
            override fun onProgress(progress: SyncProgressInfo) { synchronized(progress) { }; progressAdd(progress) }
            fun progressAdd(p: SyncProgressInfo) { synchronized(progress) { progress.add(p) } }
        }
        a.sync(hub.url, tokA, listener, CancelToken())
        check(progress.isNotEmpty() && progress.last().roundTrips >= 1u, "progress callbacks arrive during sync")
        b.sync(hub.url, tokB, null, null)
        val forms = a.listForms(scope)
        check(forms.size == 1, "the published form arrived with sync")
        val form = forms.first()

        // A household both phones will edit, and a survey response filled on phone A.
        val hh = a.createSubject("household", scope, mapOf("name" to AnswerValue.Text("Sunita Devi"), "village" to AnswerValue.Text("Rampur")))
        val r = a.createResponse(form.formId!!, form.formVersion!!, scope, hh)
        val state = a.formState(r, "English (en)")
        check(state.questions.isNotEmpty(), "live form state renders (${state.questions.size} questions)")
        check(state.questions.first { it.name == "consent" }.kind == QuestionType.SELECT_ONE, "a question's kind is a QuestionType")
        check(a.response(r).status == ResponseStatus.DRAFT, "a new response's status is a ResponseStatus")
        a.setAnswer(r, "respondent_name", AnswerValue.Text("Sunita"))
        a.sync(hub.url, tokA, null, null)
        b.sync(hub.url, tokB, null, null)
        check(b.response(r).answers["respondent_name"] == AnswerValue.Text("Sunita"), "phone B sees phone A's survey")

        // A photo attached on phone A reaches phone B through the hub, after the records.
        val photo = ByteArray(150_000) { (it * 31 + 7).toByte() }
        val photoName = a.attachMedia(r, "photo", null, null, photo, "jpg", "image/jpeg")
        check(a.response(r).answers["photo"] == AnswerValue.Text(photoName), "the photo's name is the answer")
        check(a.mediaOf(r).single().let { it.complete && !it.uploaded && it.size == 150_000uL }, "the photo is stored, not yet uploaded")
        a.sync(hub.url, tokA, null, null)
        val mediaProgress = mutableListOf<MediaProgressInfo>()
        val up = a.syncMedia(hub.url, tokA, true, object : MediaProgressListener {
            override fun onMediaProgress(progress: MediaProgressInfo) { synchronized(mediaProgress) { mediaProgress.add(progress) } }
        }, CancelToken())
        check(up.uploaded == 1uL && up.bytesUp == 150_000uL && a.mediaOf(r).single().uploaded, "the photo went up ($up)")
        check(mediaProgress.isNotEmpty() && mediaProgress.last().done == 150_000uL, "media progress arrives")
        b.sync(hub.url, tokB, null, null)
        val down = b.syncMedia(hub.url, tokB, true, null, null)
        check(down.downloaded == 1uL && b.mediaBytes(photoName).contentEquals(photo), "phone B has the same photo")

        // Offline, both edit the same household field and different fields of the response.
        a.updateSubject(hh, mapOf("phone" to AnswerValue.Text("98765 43210")), listOf())
        b.updateSubject(hh, mapOf("phone" to AnswerValue.Text("91234 56789"), "members" to AnswerValue.Int(6L)), listOf())
        a.setAnswer(r, "notes_a", AnswerValue.Text("from A"))
        b.setAnswer(r, "notes_b", AnswerValue.Text("from B"))
        a.sync(hub.url, tokA, null, null)
        val rb = b.sync(hub.url, tokB, null, null)
        a.sync(hub.url, tokA, null, null)
        check(rb.newConflicts.contains(hh), "phone B is told about the new conflict")
        val merged = a.response(r)
        check(merged.answers["notes_a"] != null && merged.answers["notes_b"] != null, "both phones' answers merged")
        check(a.subject(hh).attrs["members"] == AnswerValue.Int(6L), "non-conflicting household edit merged")
        val conflicts = a.conflicts(hh)
        check(conflicts.size == 1 && conflicts[0].path == "attrs/phone" && conflicts[0].values.size == 2, "both see the phone conflict with both values")
        check(conflicts[0].values.map { it.by.userId }.toSet() == setOf("asha", "bina"), "each value says who wrote it")
        val both = setOf(StoredValue.Field(AnswerValue.Text("98765 43210")), StoredValue.Field(AnswerValue.Text("91234 56789")))
        check(conflicts[0].values.map { it.value }.toSet() == both, "the values arrive typed")

        // A field worker may not resolve; the coordinator does, and it reaches the phones.
        expectThrows<ApiException.Forbidden>("a field worker resolving a conflict") {
            a.resolveConflict(hh, "attrs/phone", AnswerValue.Text("x"))
        }
        expectThrows<ApiException.Forbidden>("a field worker picking a conflict's value") { a.resolveConflictPick(hh, "attrs/phone", 0u) }
        c.sync(hub.url, tokC, null, null)
        val listed = c.conflictedRecords(scope, 50u, 0u).single { it.record.id == hh }.fields.single()
        check(listed.path == "attrs/phone" && listed.values.map { it.value }.toSet() == both, "the coordinator's worklist has the field with both values")
        expectThrows<ApiException.InvalidInput>("picking a value that is not listed") { c.resolveConflictPick(hh, "attrs/phone", 9u) }
        c.resolveConflict(hh, "attrs/phone", AnswerValue.Text("91234 56789"))
        c.sync(hub.url, tokC, null, null)
        a.sync(hub.url, tokA, null, null)
        check(a.conflicts(hh).isEmpty() && a.subject(hh).attrs["phone"] == AnswerValue.Text("91234 56789"), "the resolution reached phone A")
        check(a.history(hh).any { it.by.userId == "chitra" }, "the resolution stands in history")

        // A bundle carries phone A's records to a third store.
        val bundle = a.exportBundle(false, listOf())
        val d = SangamStore.openInMemory(UserInfo("dev", "Dev", UserRole.FIELD_WORKER))
        val imported = d.importBundle(bundle)
        // Another phone's bundle carries the field workers' records; the form (an admin's) and the
        // coordinator's resolution are refused: a phone's bundle never carries their authority.
        check(imported.changed >= 1uL && d.response(r).answers["notes_b"] != null, "a bundle carried the records (${imported.changed})")
        check(d.importBundle(bundle).changed == 0uL, "importing the bundle twice changes nothing")

        // Bad input arrives as typed exceptions, and the store keeps working.
        expectThrows<ApiException.InvalidInput>("malformed bundle bytes") { d.importBundle(bundle.copyOf(bundle.size / 2)) }
        expectThrows<ApiException.NotFound>("a form state for an unknown record") { d.formState("01890000-0000-7000-8000-000000000000", null) }
        val orphan = d.createResponse("no_such_form", "1", scope, null)
        expectThrows<ApiException>("a form state for an unknown form") { d.formState(orphan, null) }
        expectThrows<ApiException.Auth>("a wrong token") { d.sync(hub.url, "sgm_wrong", null, null) }
        expectThrows<ApiException.Network>("an unreachable hub") { d.sync("http://127.0.0.1:9", "sgm_x", null, null) }
        expectThrows<ApiException.InvalidInput>("an answer name with an empty path step") { d.setAnswer(orphan, "a//b", AnswerValue.Int(1L)) }
        val cancel = CancelToken(); cancel.cancel()
        expectThrows<ApiException.Cancelled>("a cancelled sync") { a.sync(hub.url, tokA, null, cancel) }
        d.setAnswer(orphan, "still_works", AnswerValue.Bool(true))
        check(d.response(orphan).answers["still_works"] == AnswerValue.Bool(true), "the store keeps working after errors")

        // An encrypted store: opens with its key, refuses a wrong one (file untouched), rekeys.
        val key = generateStoreKey()
        val sealedPath = File(dir, "sealed.db").path
        val e1 = SangamStore.openEncrypted(sealedPath, UserInfo("asha", "Asha", UserRole.FIELD_WORKER), key)
        val secret = e1.createSubject("household", scope, mapOf("name" to AnswerValue.Text("Sunita Kumari Devi")))
        check(e1.isEncrypted(), "a store opened with a key is encrypted")
        e1.shutdown()
        e1.close()
        val onDisk = File(sealedPath).readBytes()
        check(!String(onDisk, Charsets.ISO_8859_1).contains("Sunita Kumari"), "no name in the encrypted file")
        expectThrows<ApiException.Key>("a wrong store key") { SangamStore.openEncrypted(sealedPath, UserInfo("asha", "Asha", UserRole.FIELD_WORKER), generateStoreKey()) }
        expectThrows<ApiException.Key>("an encrypted store opened without its key") { SangamStore.open(sealedPath, UserInfo("asha", "Asha", UserRole.FIELD_WORKER)) }
        check(File(sealedPath).readBytes().contentEquals(onDisk), "a refused key leaves the file as it was")
        val e2 = SangamStore.openEncrypted(sealedPath, UserInfo("asha", "Asha", UserRole.FIELD_WORKER), key)
        val newKey = generateStoreKey()
        e2.rekey(newKey)
        e2.close()
        expectThrows<ApiException.Key>("the old key after a rekey") { SangamStore.openEncrypted(sealedPath, UserInfo("asha", "Asha", UserRole.FIELD_WORKER), key) }
        val e3 = SangamStore.openEncrypted(sealedPath, UserInfo("asha", "Asha", UserRole.FIELD_WORKER), newKey)
        check(e3.subject(secret).attrs["name"] == AnswerValue.Text("Sunita Kumari Devi"), "the record reads back under the new key")
        e3.close()

        // Meetings and actions through the binding.
        val m = a.createMeeting(MeetingInput("District Entrepreneurship Coalition", scope, "2026-11-29", "10:30", "Block office", listOf("Loans")))
        val att = a.addAttendee(m, AttendeeInput("Meena", "entrepreneur", "SHG", ""))
        a.setAttendance(m, att, true)
        a.minutesReplace(m, "Opened at 10:30.")
        a.minutesInsert(m, 0uL, "[A] ")
        a.addDecision(m, "Hold a loan camp")
        val act = a.createAction(ActionInput(scope, m, "Book the hall", "meena", "2026-12-01", ""))
        a.updateAction(act, ActionChanges(null, null, null, false, ActionStatus.IN_PROGRESS, "called the office"))
        val mv = a.meeting(m)
        check(mv.minutes == "[A] Opened at 10:30." && mv.attendees[0].present == true && mv.decisions.size == 1, "meeting minutes, attendance and decisions")
        check(a.listActions(ActionQuery(null, "meena", null, true, null, null)).size == 1, "open actions by owner")
        check(parseEnrolment("sangam://enrol?hub=http%3A%2F%2F10.0.0.2%3A8787&token=sgm_t").hubUrl == "http://10.0.0.2:8787", "enrolment codes parse")
        // The coordinator's tablet: review, the conflict worklist, duplicates and a reversible merge.
        c.setReview(r, ReviewState.HAS_ISSUES, "Please add the respondent's age")
        c.sync(hub.url, tokC, null, null)
        a.sync(hub.url, tokA, null, null)
        val rv = a.review(r)
        check(rv.state == ReviewState.HAS_ISSUES && rv.comments.size == 1 && !rv.conflicted, "the field worker sees the review and its comment")
        check(c.listByReview(ReviewQuery(scope, null, null, ReviewState.HAS_ISSUES, null)).any { it.record.id == r && it.comments == 1u }, "the review worklist by state")
        check(c.reviewHistory(r).map { it.state to it.by.userId } == listOf(ReviewState.HAS_ISSUES to "chitra"), "the review's history")
        expectThrows<ApiException.Forbidden>("a field worker setting a review") { a.setReview(r, ReviewState.APPROVED, null) }
        check(c.conflictedRecords(scope, 50u, 0u).none { it.record.id == hh }, "a resolved record leaves the conflict worklist")
        val dup = a.createSubject("household", scope, mapOf("name" to AnswerValue.Text("सुनीता देवी"), "village" to AnswerValue.Text("Rampur")))
        a.sync(hub.url, tokA, null, null)
        c.sync(hub.url, tokC, null, null)
        val pairs = c.duplicateCandidates(scope, 0u)
        check(pairs.any { setOf(it.keep, it.duplicate) == setOf(hh, dup) }, "the coordinator sees the duplicate household (Devanagari and Latin names)")
        val merge = c.mergeSubjects(hh, dup)
        check(c.subject(dup).mergedInto == hh && !merge.refreshed, "merged")
        check(c.mergeFollowUps(scope).isEmpty(), "nothing left to fold in")
        val unmerge = c.unmergeSubject(dup)
        check(c.subject(dup).mergedInto == null && unmerge.leftAsEdited.isEmpty(), "and unmerged")
        check(a.enrolledScopes() == listOf(scope), "the device knows its enrolled scopes")
        listOf(a, b, c, d).forEach { it.shutdown() }
    }
    dir.deleteRecursively()
    if (failures > 0) { println("$failures check(s) failed"); kotlin.system.exitProcess(1) }
    println("all Kotlin binding checks passed")
}
