// The coordinator's conflict screen: every record with concurrent values, and per record each
// conflicting field with every value, who wrote it, on which device and when. The coordinator
// picks one value (or types a new one); that resolution supersedes them all and is recorded in
// the record's history, shown below.
import SangamKit
import SwiftUI

struct ConflictsView: View {
    @EnvironmentObject var model: SangamModel
    @State private var rows: [RecordRow] = []
    @State private var message: String?

    var body: some View {
        List {
            MessageBanner(message: $message)
            if rows.isEmpty { Text(L("conflicts_none")).foregroundColor(.secondary) }
            ForEach(rows, id: \.id) { (row: RecordRow) in
                NavigationLink(value: Route.recordConflicts(row.id)) {
                    VStack(alignment: .leading) {
                        Text(kindLabel(row.kind)).font(.caption).foregroundColor(.secondary)
                        Text(row.title ?? row.id)
                        Text(P("conflict_fields_row", Int(row.conflicts), String(row.conflicts), ago(row.updatedAtMs))).font(.caption)
                    }
                }
            }
        }
        .navigationTitle(L("title_conflicts"))
        .task(id: model.changes) {
            do { rows = try await model.recordsWithConflicts() } catch { message = errorText(error) }
        }
    }
}

struct RecordConflictsView: View {
    @EnvironmentObject var model: SangamModel
    let recordId: String
    @State private var conflicts: [FieldConflictView] = []
    @State private var history: [HistoryEntryView] = []
    @State private var message: String?

    private var canResolve: Bool {
        guard let role = model.settings?.role else { return false }
        return role == .coordinator || role == .admin
    }

    var body: some View {
        List {
            MessageBanner(message: $message)
            if !canResolve {
                Text(L("conflicts_only_coordinator")).font(.caption)
            }
            if conflicts.isEmpty { Text(L("conflicts_none_in_record")).foregroundColor(.secondary) }
            ForEach(conflicts, id: \.path) { (c: FieldConflictView) in
                ConflictSection(
                    conflict: c, canResolve: canResolve,
                    onPick: { (index: Int) in pick(c.path, index) },
                    onResolve: { (value: AnswerValue) in resolve(c.path, value) }
                )
            }
            Section(header: Text(L("history_title"))) {
                ForEach(history.reversed(), id: \.change) { (h: HistoryEntryView) in
                    VStack(alignment: .leading) {
                        Text(h.fields.isEmpty ? L("history_created") : h.fields.joined(separator: ", "))
                        Text(describe(h.by)).font(.caption).foregroundColor(.secondary)
                    }
                }
            }
        }
        .navigationTitle(L("title_resolve"))
        .task(id: model.changes) { await load() }
    }

    private func load() async {
        do {
            conflicts = try await model.conflicts(id: recordId)
            history = try await model.history(id: recordId)
        } catch {
            message = errorText(error)
        }
    }

    private func resolve(_ path: String, _ value: AnswerValue) {
        Task {
            do {
                try await model.resolveConflict(id: recordId, path: path, value: value)
                message = L("resolved")
            } catch {
                message = errorText(error)
            }
        }
    }

    /// Keeps the value at `index` of the field's values (any value: a structure too).
    private func pick(_ path: String, _ index: Int) {
        Task {
            do {
                try await model.resolveConflictPick(id: recordId, path: path, index: UInt32(index))
                message = L("resolved")
            } catch {
                message = errorText(error)
            }
        }
    }
}

struct ConflictSection: View {
    let conflict: FieldConflictView
    let canResolve: Bool
    let onPick: (Int) -> Void
    let onResolve: (AnswerValue) -> Void
    @State private var typed = ""

    var body: some View {
        Section(header: Text(conflict.path)) {
            ForEach(conflict.values.indices, id: \.self) { (i: Int) in
                let v: ConflictValueView = conflict.values[i]
                HStack {
                    VStack(alignment: .leading) {
                        let shown = Answers.display(v.value, empty: L("value_empty"))
                        Text(v.shown ? L("conflict_shown_now", shown) : shown)
                        Text(describe(v.by)).font(.caption).foregroundColor(.secondary)
                    }
                    Spacer()
                    if canResolve {
                        Button(L("use_this")) { onPick(i) }.buttonStyle(.borderless)
                    }
                }
            }
            if canResolve {
                HStack {
                    TextField(L("conflict_type_value"), text: $typed)
                    Button(L("save")) { onResolve(.text(value: typed.trimmingCharacters(in: .whitespaces))) }
                        .disabled(typed.isEmpty)
                        .buttonStyle(.borderless)
                }
            }
        }
    }
}
