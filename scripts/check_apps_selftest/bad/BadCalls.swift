// Planted mistakes: scripts/check_apps.py must report every one (see SELFTEST_EXPECTED).
import SangamKit

func bad(store: SangamStore, id: String) throws {
    _ = try store.listForm(scope: nil)
    _ = try store.formState(id: id, language: nil)
    try store.setAnswer(id: id, name: "x", value: .txt(value: "y"))
    let state = try store.formState(responseId: id, language: nil)
    _ = state.question
    let status: ActionStatus = .finished
    let missing: FormStatView? = nil
    _ = MeetingInput(coalition: "c", scope: "s", date: "d", time: "t", venue: "v")
    print(status, missing as Any)
    do {
        _ = try store.unsyncedCount()
    } catch ApiError.Netwrk(let message) {
        print(message)
    }
    if let first = state.questions.first {
        print(first.labl)
    }
}
