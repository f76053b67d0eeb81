// Planted mistakes for scripts/check_strings.py (never compiled; it only has to parse).
import SwiftUI

struct Screen: View {
    @State private var message: String?
    let done: Bool

    var body: some View {
        List {
            Button("Sync now") { message = "Bundle written." }
            Text(done ? "in progress" : L("ok"))
            Text(L("sync_later"))
            Text(P("rows", 2, "2"))
            Text(L("last_sync", "a", "b"))
            Text(L("only_english"))
        }
        .navigationTitle("Conflicts")
    }
}
