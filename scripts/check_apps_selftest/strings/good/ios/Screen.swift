// What the apps do, for scripts/check_strings.py: none of it may be reported (never compiled).
import SwiftUI

enum AppLanguage: String {
    case english = "en"

    var ownName: String {
        switch self {
        case .english: return "English" // i18n-ignore: each language's own name
        }
    }
}

struct Screen: View {
    @State private var message: String?
    @State private var code = ""
    @State private var type = "household"
    let row: RecordRow

    var body: some View {
        List {
            TextField("sangam://enrol?hub=…&token=…", text: $code)
            Text(L("last_sync", ago(row.updatedAtMs)))
            Text(L("attendance", "1", "2"))
            Text("\(row.scope)\(row.conflicts > 0 ? " · " + P("rows", Int(row.conflicts), String(row.conflicts)) : "")")
            Text(row.attrs["name"].map { Answers.display($0) } ?? L("quoted"))
            Label(L("ok"), systemImage: "doc.text")
            Button { message = L("ok") } label: { Image(systemName: "plus") }
            if type == "person" { Text("—") }
        }
        .navigationTitle(L("ok"))
        .task(id: "\(row.id)-all") {}
    }
}
