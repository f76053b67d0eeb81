// Survey responses on this phone: status (draft, submitted, reviewed…), conflicts, and whether
// each has changes the hub does not have yet.
import SangamKit
import SwiftUI

struct ResponsesView: View {
    @EnvironmentObject var model: SangamModel
    @State private var rows: [RecordRow] = []
    @State private var status: ResponseStatus?
    @State private var message: String?

    var body: some View {
        List {
            MessageBanner(message: $message)
            Picker(L("status"), selection: $status) {
                Text(L("filter_all")).tag(ResponseStatus?.none)
                Text(responseStatusLabel(.draft)).tag(ResponseStatus?.some(.draft))
                Text(responseStatusLabel(.submitted)).tag(ResponseStatus?.some(.submitted))
            }
            .pickerStyle(.segmented)
            if rows.isEmpty {
                Text(L("responses_empty")).foregroundColor(.secondary)
            }
            ForEach(rows, id: \.id) { (row: RecordRow) in
                NavigationLink(value: Route.survey(row.id)) {
                    ResponseRowView(row: row)
                }
            }
        }
        .task(id: "\(model.changes)-\(status.map { "\($0)" } ?? "all")") { await load() }
        .refreshable { await load() }
    }

    private func load() async {
        do {
            rows = try await model.listResponses(status: status)
        } catch {
            message = errorText(error)
        }
    }
}

struct ResponseRowView: View {
    let row: RecordRow

    var body: some View {
        HStack {
            VStack(alignment: .leading) {
                Text(row.title ?? row.formId ?? row.id)
                Text("\(responseStatusText(row.status)) · \(row.formId ?? "") v\(row.formVersion ?? "?") · \(ago(row.updatedAtMs))")
                    .font(.caption).foregroundColor(.secondary)
            }
            Spacer()
            if row.conflicts > 0 {
                NavigationLink(value: Route.recordConflicts(row.id)) {
                    Text(P("conflicts_count", Int(row.conflicts), String(row.conflicts))).font(.caption).foregroundColor(.orange)
                }
            }
            Text(row.unsynced ? L("not_sent") : L("sent")).font(.caption2).foregroundColor(row.unsynced ? .red : .secondary)
        }
    }
}
