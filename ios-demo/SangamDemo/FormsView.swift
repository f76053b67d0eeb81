// The published forms this phone has (they arrive with sync), and starting a survey, optionally
// about a household or person from the subject registry.
import SangamKit
import SwiftUI

struct FormsView: View {
    @EnvironmentObject var model: SangamModel
    @State private var forms: [RecordRow] = []
    @State private var message: String?
    @State private var starting: RecordRow?
    @State private var opened: String?

    var body: some View {
        List {
            MessageBanner(message: $message)
            if forms.isEmpty {
                Text("No forms yet. Forms arrive with the first sync (Sync tab).").foregroundColor(.secondary)
            }
            ForEach(forms, id: \.id) { (form: RecordRow) in
                Button {
                    starting = form
                } label: {
                    VStack(alignment: .leading) {
                        Text(form.title ?? form.formId ?? form.id)
                        Text("\(form.formId ?? "") · version \(form.formVersion ?? "?") · \(form.scope)")
                            .font(.caption).foregroundColor(.secondary)
                    }
                }
            }
        }
        .task(id: model.changes) { await load() }
        .sheet(item: $starting) { (form: RecordRow) in
            StartSurveySheet(form: form) { responseId in
                starting = nil
                opened = responseId
            }
        }
        .navigationDestination(isPresented: Binding(get: { opened != nil }, set: { if !$0 { opened = nil } })) {
            if let id = opened { SurveyView(responseId: id) }
        }
    }

    private func load() async {
        do {
            forms = try await model.listForms()
        } catch {
            message = userMessage(error)
        }
    }
}

extension RecordRow: Identifiable {}

/// Asks which household or person (if any) a new survey is about, then creates the response.
struct StartSurveySheet: View {
    @EnvironmentObject var model: SangamModel
    let form: RecordRow
    let onStarted: (String) -> Void

    @State private var query = ""
    @State private var matches: [RecordRow] = []
    @State private var message: String?
    @Environment(\.dismiss) private var dismiss

    var body: some View {
        NavigationStack {
            List {
                MessageBanner(message: $message)
                Section(footer: Text("About a household or person? Search by name, or start without one.")) {
                    TextField("Name starts with", text: $query)
                }
                ForEach(matches, id: \.id) { (s: RecordRow) in
                    Button(s.title ?? s.id) { start(subjectId: s.id) }
                }
            }
            .navigationTitle(form.title ?? form.formId ?? "New survey")
            .toolbar {
                ToolbarItem(placement: .cancellationAction) { Button("Cancel") { dismiss() } }
                ToolbarItem(placement: .confirmationAction) { Button("Start without") { start(subjectId: nil) } }
            }
            .task(id: query) {
                matches = query.isEmpty ? [] : ((try? await model.searchSubjects(name: query, village: "", phone: "", limit: 20)) ?? [])
            }
        }
    }

    private func start(subjectId: String?) {
        Task {
            do {
                let id = try await model.createResponse(form: form, subjectId: subjectId)
                onStarted(id)
            } catch {
                message = userMessage(error)
            }
        }
    }
}
