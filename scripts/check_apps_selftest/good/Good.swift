// Correct uses of the bindings, in the ways the apps use them: must pass without a finding.
import SangamKit

func goodSurvey(store: SangamStore, id: String) throws -> FormStateView {
    try store.setAnswer(id: id, name: "consent", value: .text(value: "yes"))
    let state = try store.formState(responseId: id, language: "Hindi (hi)")
    for q in state.questions where q.relevant {
        print(q.label ?? q.name)
        switch q.value {
        case .text(let t)?: print(t)
        case .choices(let names)?: print(names.joined())
        default: break
        }
    }
    state.repeats.forEach { (rep: RepeatView) in print(rep.rows.count, rep.expectedRows ?? 0) }
    if let first = state.questions.first, first.problem != nil {
        print(first.name)
    }
    return state
}

final class Relay: SyncProgressListener, @unchecked Sendable {
    func onProgress(progress: SyncProgressInfo) { print(progress.roundTrips) }
}

func goodSync(store: SangamStore, hub: String, token: String) -> Int {
    let cancel = CancelToken()
    do {
        let result = try store.sync(hubUrl: hub, token: token, listener: Relay(), cancel: cancel)
        return result.rejected.count
    } catch ApiError.Network(let message) {
        print(message)
        return -1
    } catch {
        return -2
    }
}

func goodOpen(path: String, code: String) throws -> String {
    let store = try SangamStore.open(path: path, user: UserInfo(userId: "u", displayName: "U", role: .coordinator))
    try store.updateAction(id: "a", changes: ActionChanges(title: nil, owner: nil, due: nil, clearDue: false, status: .done, notes: nil))
    let rows: [RecordRow] = try store.listForms(scope: nil).sorted { $0.updatedAtMs > $1.updatedAtMs }
    print(rows.first?.title ?? "")
    let filters: [ResponseStatus?] = [ResponseStatus?.none, ResponseStatus?.some(.draft), .submitted]
    print(filters.count)
    return try parseEnrolment(text: code).hubUrl
}
