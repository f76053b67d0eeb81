// "My actions": the open action items a person owns, across every meeting, overdue first. An
// owner is typed by whoever records the item ("Meena", "meena", "Meena Devi"), so an item is this
// user's when its owner names their display name or user id, ignoring case and spacing.
import Foundation

public enum MyActions {
    private static func norm(_ s: String) -> String {
        s.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// Whether `owner` names this user (display name or user id).
    public static func isMine(_ owner: String?, _ settings: EnrolmentSettings) -> Bool {
        guard let o = owner.map(norm), !o.isEmpty else { return false }
        return o == norm(settings.displayName) || o == norm(settings.userId)
    }

    /// Due before `today` (a `YYYY-MM-DD` date).
    public static func isOverdue(_ row: RecordRow, today: String) -> Bool {
        guard let due = row.due else { return false }
        return due < today
    }

    /// Overdue first, then by due date, undated last; then by title.
    public static func ordered(_ rows: [RecordRow], today: String) -> [RecordRow] {
        rows.sorted { a, b in
            let (oa, ob) = (isOverdue(a, today: today), isOverdue(b, today: today))
            if oa != ob { return oa }
            if (a.due == nil) != (b.due == nil) { return a.due != nil }
            if a.due != b.due { return (a.due ?? "") < (b.due ?? "") }
            return (a.title ?? "") < (b.title ?? "")
        }
    }
}

extension SangamModel {
    /// The open action items this user owns, across meetings, overdue first (see MyActions).
    public func myActions(today: String) async throws -> [RecordRow] {
        guard let me = settings else { throw SangamKitError.notEnrolled }
        let open = try await listActions(meetingId: nil, openOnly: true, limit: 1000)
        return MyActions.ordered(open.filter { MyActions.isMine($0.owner, me) }, today: today)
    }
}
