// SangamKit's model and helpers against the real Rust library and a real hub: built and run by
// `swift test` on Linux (ios-demo/linux/run.sh), with the hub's address and a device token in
// SANGAM_TEST_HUB_URL and SANGAM_TEST_TOKEN, and the XLSForm it publishes beforehand.
import Foundation
import XCTest
import SangamKit

private func env(_ name: String) throws -> String {
    guard let v = ProcessInfo.processInfo.environment[name], !v.isEmpty else {
        XCTFail("\(name) is not set: run these tests with ios-demo/linux/run.sh")
        throw SangamKitError.notEnrolled
    }
    return v
}

private func tempDir() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sangamkit-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

private func contains(_ data: Data, _ text: String) -> Bool {
    data.range(of: Data(text.utf8)) != nil
}

final class AnswersTests: XCTestCase {
    func testTheLanguageSwitchOffersTheFormsOwnLanguages() {
        XCTAssertTrue(FormLanguages.same("Hindi (hi)", "Hindi"))
        XCTAssertTrue(FormLanguages.same("hi", "हिन्दी (hi)"))
        XCTAssertFalse(FormLanguages.same("Hindi (hi)", "English (en)"))
        XCTAssertEqual(FormLanguages.choices(["Bangla (bn)", "English (en)"]), ["Bangla (bn)", "English (en)"])
        XCTAssertEqual(FormLanguages.choices([]), FormLanguages.all)
        XCTAssertEqual(FormLanguages.shortName("Hindi"), "हिन्दी")
        XCTAssertEqual(FormLanguages.shortName("Bangla (bn)"), "Bangla")
        XCTAssertEqual(FormLanguages.code("Dari (prs)"), "prs")
    }

    func testMediaQuestionsOpenTheirCaptureAndPhotosFitMaxPixels() {
        XCTAssertEqual(Capture.forKind(.image, appearance: nil), .photo)
        XCTAssertEqual(Capture.forKind(.image, appearance: "signature"), .signature)
        XCTAssertEqual(Capture.forKind(.image, appearance: "annotate new-front"), .drawing)
        XCTAssertEqual(Capture.forKind(.audio, appearance: nil), .audio)
        XCTAssertNil(Capture.forKind(.text, appearance: nil))
        XCTAssertEqual([Capture.signature.ext, Capture.photo.mime, Capture.audio.ext], ["png", "image/jpeg", "m4a"])
        let landscape = PhotoSizing.target(width: 4160, height: 3120, maxPixels: 1024)
        XCTAssertEqual([landscape.width, landscape.height], [1024, 768])
        let portrait = PhotoSizing.target(width: 3120, height: 4160, maxPixels: 1024)
        XCTAssertEqual([portrait.width, portrait.height], [768, 1024])
        let small = PhotoSizing.target(width: 800, height: 600, maxPixels: 1024)
        XCTAssertEqual([small.width, small.height], [800, 600], "never enlarged")
        let unset = PhotoSizing.target(width: 4000, height: 3000, maxPixels: nil)
        XCTAssertEqual([unset.width, unset.height], [1280, 960])
        var pad = SignatureStrokes(minStep: 2)
        XCTAssertTrue(pad.isEmpty)
        XCTAssertNil(pad.bounds())
        pad.begin(StrokePoint(x: 10, y: 10))
        pad.lineTo(StrokePoint(x: 10.5, y: 10.5))
        pad.lineTo(StrokePoint(x: 20, y: 30))
        pad.end()
        pad.begin(StrokePoint(x: 5, y: 40))
        pad.end()
        XCTAssertEqual(pad.strokes.map(\.count), [2, 1], "moved points and dots, not a resting finger")
        let b = pad.bounds()!
        XCTAssertEqual([b.minX, b.minY, b.maxX, b.maxY], [5, 10, 20, 40])
        pad.clear()
        XCTAssertTrue(pad.isEmpty)
    }

    func testWhatAPersonTypesBecomesTheCoresValue() {
        XCTAssertEqual(Answers.integer(" 42 "), .int(value: 42))
        XCTAssertEqual(Answers.integer("4x2"), .text(value: "4x2"), "not a number: kept as text for the core to flag")
        XCTAssertNil(Answers.integer("  "))
        XCTAssertEqual(Answers.decimal("3,5"), .decimal(value: 3.5))
        XCTAssertNil(Answers.text(" \n"))
        XCTAssertEqual(Answers.geopoint(latitude: "26,8", longitude: "80.9"), .text(value: "26.8 80.9"))
        XCTAssertEqual(Answers.geopointParts(.text(value: "26.8 80.9 0 5")).0, "26.8")
        XCTAssertEqual(Answers.toggle(.choices(values: ["a"]), choice: "b", on: true), .choices(values: ["a", "b"]))
        XCTAssertNil(Answers.toggle(.choices(values: ["a"]), choice: "a", on: false))
        XCTAssertEqual(Answers.display(.choices(values: ["loan"]), choices: [ChoiceOption(name: "loan", label: "Loan")]), "Loan")
        XCTAssertEqual(userMessage(ApiError.Key(message: "x")), UserMessage(.key, "x"))
        XCTAssertEqual(userMessage(SangamKitError.notEnrolled).kind, .notEnrolled)
        XCTAssertEqual(userMessage(CancellationError()).kind, .taskCancelled)
        XCTAssertEqual(Answers.display(.items(items: [.empty]), empty: "(खाली)"), "[(खाली)]")
        XCTAssertEqual(FormLanguages.forAppLanguage("hi"), FormLanguages.hindi)
        XCTAssertEqual(FormLanguages.forAppLanguage("en"), FormLanguages.english)
    }
}

@MainActor
final class ModelTests: XCTestCase {
    private func settings(user: String = "asha") throws -> EnrolmentSettings {
        EnrolmentSettings(hubUrl: try env("SANGAM_TEST_HUB_URL"), token: try env("SANGAM_TEST_TOKEN"), scope: "UP-SIT", userId: user, displayName: "Asha", role: .fieldWorker)
    }

    func testTheStoreIsEncryptedAndItsKeyRotatesWithoutLosingARecord() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("sangam.db").path
        let vault = InMemoryStoreKeyVault()
        let model = SangamModel(dbPath: path, storage: InMemoryEnrolmentStorage(), keyVault: vault)
        XCTAssertFalse(model.isEnrolled)
        try await model.enrol(try settings())
        let id = try await model.createSubject(type: "household", attrs: ["name": .text(value: "Sunita Kumari Devi"), "phone": .text(value: "9876501234")])
        await model.checkpoint()
        XCTAssertEqual(vault.current()?.count, 32, "the key was made and kept")
        XCTAssertFalse(contains(try Data(contentsOf: URL(fileURLWithPath: path)), "Sunita"), "no name in the store file")

        let old = vault.current()
        try await model.rotateStoreKey()
        XCTAssertNotEqual(vault.current(), old)
        XCTAssertNil(vault.pending())
        let again = SangamModel(dbPath: path, storage: InMemoryEnrolmentStorage(try settings()), keyVault: vault)
        let back = try await again.subject(id: id)
        XCTAssertEqual(back.attrs["phone"], .text(value: "9876501234"))

        // A rotation cut after the rekey: the store is under the pending key, which wins.
        let cut = InMemoryStoreKeyVault()
        cut.saveCurrent(Data(repeating: 9, count: 32))
        cut.savePending(vault.current())
        let recovered = SangamModel(dbPath: path, storage: InMemoryEnrolmentStorage(try settings()), keyVault: cut)
        _ = try await recovered.subject(id: id)
        XCTAssertEqual(cut.current(), vault.current())
        XCTAssertNil(cut.pending())

        // A wrong key is refused, typed, and the store still opens with the right one.
        let wrong = InMemoryStoreKeyVault()
        wrong.saveCurrent(Data(repeating: 1, count: 32))
        let refused = SangamModel(dbPath: path, storage: InMemoryEnrolmentStorage(try settings()), keyVault: wrong)
        do {
            _ = try await refused.subject(id: id)
            XCTFail("a wrong key opened the store")
        } catch ApiError.Key {
        }
        _ = try await again.subject(id: id)
    }

    func testAFieldWorkerSyncsASurveyAndSealsABundleForTheHub() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = SangamModel(dbPath: dir.appendingPathComponent("sangam.db").path, storage: InMemoryEnrolmentStorage(), keyVault: InMemoryStoreKeyVault())
        try await model.enrol(try settings())
        // Before the first sync the phone does not know its hub's key: the bundle goes unsealed.
        let early = try await model.exportBundleForHub()
        XCTAssertFalse(early.sealed)

        let first = try await model.sync()
        XCTAssertGreaterThanOrEqual(first.progress.roundTrips, 1)
        let forms = try await model.listForms()
        XCTAssertEqual(forms.count, 2, "the published forms arrived")
        let hh = try await model.createSubject(type: "household", attrs: ["name": .text(value: "Meena")])
        let survey = try XCTUnwrap(forms.first { $0.formId == "deep_listening" })
        let r = try await model.createResponse(form: survey, subjectId: hh)
        let state = try await model.formState(responseId: r, language: FormLanguages.english)
        XCTAssertFalse(state.questions.isEmpty, "the live form renders")
        let unsyncedBefore = try await model.unsyncedCount()
        XCTAssertGreaterThanOrEqual(unsyncedBefore, 2)
        try await model.sync()
        let unsyncedAfter = try await model.unsyncedCount()
        XCTAssertEqual(unsyncedAfter, 0, "the sync sent everything")
        let kept = try await model.syncStatus()
        XCTAssertNotNil(kept.lastOkMs, "the store keeps when the last sync finished")
        XCTAssertNil(kept.failure)
        var offline = try settings(user: "asha-offline")
        offline.hubUrl = "http://127.0.0.1:9"
        let away = SangamModel(dbPath: nil, storage: InMemoryEnrolmentStorage(offline))
        do {
            _ = try await away.sync()
            XCTFail("an unreachable hub synced")
        } catch {}
        let failed = try await away.syncStatus()
        XCTAssertEqual(failed.failure?.kind, .network, "the failure is kept by the store, for after a restart")
        XCTAssertNil(failed.lastOkMs)
        XCTAssertNil(model.lastSync?.error)

        let sealed = try await model.exportBundleForHub()
        XCTAssertTrue(sealed.sealed, "after a sync the bundle is sealed to the hub")
        XCTAssertFalse(contains(sealed.bytes, "Meena"))
        // Another phone cannot read it.
        let other = SangamModel(dbPath: nil, storage: InMemoryEnrolmentStorage(try settings(user: "bina")))
        do {
            _ = try await other.importBundle(sealed.bytes)
            XCTFail("another phone read a bundle sealed to the hub")
        } catch let e as ApiError {
            XCTAssertNotEqual(userMessage(e).kind, .unexpected)
        }
    }

    func testACoordinatorWorksThroughTheReviewQueueAndMergesAndUnmergesDuplicates() async throws {
        let phone = SangamModel(dbPath: nil, storage: InMemoryEnrolmentStorage())
        try await phone.enrol(try settings(user: "asha-review"))
        try await phone.sync()
        let forms = try await phone.listForms().filter { $0.formId == "deep_listening" }
        let hh = try await phone.createSubject(type: "household", attrs: ["name": .text(value: "Sunita Devi"), "village": .text(value: "Rampur"), "phone": .text(value: "9876543210")])
        let twin = try await phone.createSubject(type: "household", attrs: ["name": .text(value: "Sunita Devi"), "village": .text(value: "Rampur"), "phone": .text(value: "9876543210")])
        var ids: [String] = []
        for _ in 0..<2 {
            let r = try await phone.createResponse(form: forms[0], subjectId: hh)
            _ = try await phone.submit(responseId: r, language: FormLanguages.english)
            ids.append(r)
        }
        try await phone.sync()

        let tablet = SangamModel(dbPath: nil, storage: InMemoryEnrolmentStorage())
        try await tablet.enrol(EnrolmentSettings(hubUrl: try env("SANGAM_TEST_HUB_URL"), token: try env("SANGAM_TEST_COORDINATOR_TOKEN"), scope: "UP-SIT", userId: "chitra", displayName: "Chitra", role: .coordinator))
        try await tablet.sync()
        var queue = ReviewQueue(try await tablet.reviewQueue())
        XCTAssertTrue(Set(queue.items.map(\.record.id)).isSuperset(of: ids), "both responses wait for review")
        XCTAssertEqual(ReviewKey("A"), .approve)
        XCTAssertEqual(ReviewKey("j"), .next)
        XCTAssertNil(ReviewKey("x"))
        XCTAssertEqual(ReviewKey.reject.state, .rejected)
        do {
            try await phone.setReview(id: ids[0], state: .approved, comment: nil)
            XCTFail("a field worker reviewed")
        } catch let e as ApiError {
            XCTAssertEqual(userMessage(e).kind, .forbidden)
        }
        let first = try XCTUnwrap(queue.current).record.id
        try await tablet.setReview(id: first, state: .approved, comment: "  ")
        let shown = try XCTUnwrap(queue.decided(first))
        XCTAssertNotEqual(shown.record.id, first, "the next response is shown at once")
        try await tablet.setReview(id: shown.record.id, state: .hasIssues, comment: "Ask the household again")
        queue.decided(shown.record.id)
        XCTAssertFalse(queue.items.contains { $0.record.id == first || $0.record.id == shown.record.id })
        let flagged = try await tablet.reviewQueue(.hasIssues)
        XCTAssertEqual(flagged.first { $0.record.id == shown.record.id }?.comments, 1, "the comment is kept; a blank one is none")
        try await tablet.sync()
        try await phone.sync()
        let seen = try await phone.review(id: shown.record.id)
        XCTAssertEqual(seen.state, .hasIssues, "the field worker sees the review")
        XCTAssertEqual(seen.comments.first?.text, "Ask the household again")

        var dupes = DuplicateReview(try await tablet.duplicateCandidates())
        let pair = try XCTUnwrap(dupes.pairs.first { Set([$0.keep, $0.duplicate]) == Set([hh, twin]) }, "the twin households are a candidate pair")
        XCTAssertFalse(pair.reasons.isEmpty)
        let m = try XCTUnwrap(dupes.merge(pair, keeping: hh))
        XCTAssertEqual(m.duplicate, twin)
        XCTAssertNil(dupes.merge(pair, keeping: "someone else"))
        try await tablet.mergeSubjects(keep: m.keep, duplicate: m.duplicate)
        dupes.mergedDone(m)
        XCTAssertFalse(dupes.pairs.contains { $0.keep == twin || $0.duplicate == twin })
        dupes.refreshed(try await tablet.duplicateCandidates())
        XCTAssertFalse(dupes.pairs.contains { $0.keep == twin || $0.duplicate == twin }, "a refresh does not bring a merged pair back")
        try await tablet.unmergeSubject(duplicate: m.duplicate)
        dupes.unmergedDone(m, fresh: try await tablet.duplicateCandidates())
        XCTAssertTrue(dupes.merged.isEmpty)
        XCTAssertTrue(dupes.pairs.contains { Set([$0.keep, $0.duplicate]) == Set([hh, twin]) }, "undone: a candidate again")
        // "My actions": the coordinator's own, across meetings, overdue first.
        let meeting = try await tablet.createMeeting(coalition: "District Entrepreneurship Coalition", date: "2026-11-29", time: "10:30", venue: "Block office", agenda: ["Loans"])
        let late = try await tablet.createAction(meetingId: meeting, title: "Book the hall", owner: " CHITRA ", due: "2026-01-05", notes: "")
        let later = try await tablet.createAction(meetingId: nil, title: "Call the bank", owner: "Chitra", due: nil, notes: "")
        _ = try await tablet.createAction(meetingId: meeting, title: "Someone else's", owner: "Meena", due: "2026-01-01", notes: "")
        let mine = try await tablet.myActions(today: "2026-06-01")
        XCTAssertEqual(mine.map(\.id), [late, later], "mine only, overdue first")
        XCTAssertTrue(MyActions.isOverdue(mine[0], today: "2026-06-01"))
        try await tablet.setActionStatus(id: late, status: .done)
        let left = try await tablet.myActions(today: "2026-06-01")
        XCTAssertEqual(left.map(\.id), [later], "a done item leaves my actions")
        var empty = ReviewQueue([])
        XCTAssertTrue(empty.isEmpty)
        XCTAssertNil(empty.next())
        XCTAssertNil(empty.decided("none"))
    }

    func testRepeatsStandWhereTheFormPutsThemAndAMembersChildrenInsideTheMembersRow() async throws {
        let model = SangamModel(dbPath: nil, storage: InMemoryEnrolmentStorage())
        try await model.enrol(try settings(user: "asha-roster"))
        try await model.sync()
        let forms = try await model.listForms()
        let roster = try XCTUnwrap(forms.first { $0.formId == "roster" })
        let r = try await model.createResponse(form: roster, subjectId: nil)
        var st = try await model.addRepeatRow(responseId: r, repeatName: "members", language: FormLanguages.english)
        let top = FormLayout.top(st)
        let at = try XCTUnwrap(top.firstIndex { $0.id == "r-members" })
        XCTAssertEqual(top[at - 1].id, "q-village", "the members repeat follows the village question")
        let member = try XCTUnwrap(st.repeats.first { $0.name == "members" }?.rows.first)
        st = try await model.rowAnswer(responseId: r, repeatName: "members", rowId: member.rowId, name: "age", value: .int(value: 34), language: FormLanguages.english)
        st = try await model.addNestedRepeatRow(responseId: r, repeatName: "children", parentRepeat: "members", parentRow: member.rowId, language: FormLanguages.english)
        let members = try XCTUnwrap(st.repeats.first { $0.name == "members" })
        let inRow = FormLayout.inRow(st, members, try XCTUnwrap(members.rows.first))
        let c = try XCTUnwrap(inRow.firstIndex { $0.id == "r-children" })
        XCTAssertEqual(inRow[c - 1].id, "q-age", "the children follow the member's age, inside the member's row")
        if case .repeatGroup(_, let rows, let relevant, _) = inRow[c] {
            XCTAssertEqual(rows.count, 1)
            XCTAssertTrue(relevant)
        } else {
            XCTFail("not a repeat")
        }
        XCTAssertFalse(FormLayout.top(st).contains { $0.id == "r-children" }, "not at the top level")
    }
}
