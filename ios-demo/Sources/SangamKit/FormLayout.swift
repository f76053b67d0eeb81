// Where each part of a survey stands: the questions in form order, with each repeat right after
// the question it follows in the form (RepeatView.after), at the top level and inside each row
// of an enclosing repeat (a household's members, each member's children). The views render these
// entries in order. Built and tested by `swift test` on Linux.
import Foundation

public enum FormEntry: Identifiable {
    case question(QuestionView)
    /// A repeat at this place: its rows here (at the top level all of them; inside a row, that
    /// row's), whether it applies here, and how many rows the form asks for.
    case repeatGroup(RepeatView, rows: [RepeatRowState], relevant: Bool, expectedRows: UInt32?)

    public var id: String {
        switch self {
        case .question(let q): return "q-" + q.name
        case .repeatGroup(let r, _, _, _): return "r-" + r.name
        }
    }
}

public enum FormLayout {
    /// The top level of `form`: relevant questions, and the top-level repeats where they stand.
    public static func top(_ form: FormStateView) -> [FormEntry] {
        place(form.questions, form.repeats.filter { $0.parent == nil }) { r in
            .repeatGroup(r, rows: r.rows, relevant: r.relevant, expectedRows: r.expectedRows)
        }
    }

    /// Row `row` of repeat `repeatView`: its relevant questions, and the repeats inside it where they stand.
    public static func inRow(_ form: FormStateView, _ repeatView: RepeatView, _ row: RepeatRowState) -> [FormEntry] {
        place(row.questions, form.repeats.filter { $0.parent == repeatView.name }) { r in
            let here = row.inner.first { $0.name == r.name }
            return .repeatGroup(r, rows: r.rows.filter { $0.parentRow == row.rowId }, relevant: here?.relevant ?? r.relevant,
                                expectedRows: here?.expectedRows ?? r.expectedRows)
        }
    }

    private static func place(_ questions: [QuestionView], _ repeats: [RepeatView], _ entry: (RepeatView) -> FormEntry) -> [FormEntry] {
        var out: [FormEntry] = []
        // A repeat following no question, or one this level does not list, stands first or last.
        let known = Set(questions.map(\.name))
        out += repeats.filter { $0.after == nil }.map(entry)
        for q in questions {
            if q.relevant { out.append(.question(q)) }
            out += repeats.filter { $0.after == q.name }.map(entry)
        }
        out += repeats.filter { $0.after.map { !known.contains($0) } ?? false }.map(entry)
        return out.filter {
            if case .repeatGroup(_, _, let relevant, _) = $0 { return relevant }
            return true
        }
    }
}

extension SangamModel {
    /// Adds a row to a repeat inside a repeat (a member's children), in row `parentRow` of `parentRepeat`.
    public func addNestedRepeatRow(responseId: String, repeatName: String, parentRepeat: String, parentRow: String, language: String) async throws -> FormStateView {
        try await write { (st: SangamStore) -> FormStateView in
            _ = try st.addNestedRepeatRow(id: responseId, repeat: repeatName, parentRepeat: parentRepeat, parentRow: parentRow)
            return try st.formState(responseId: responseId, language: language)
        }
    }
}
