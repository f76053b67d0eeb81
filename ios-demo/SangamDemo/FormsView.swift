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
                Text(L("forms_empty")).foregroundColor(.secondary)
            }
            ForEach(forms, id: \.id) { (form: RecordRow) in
                Button {
                    starting = form
                } label: {
                    VStack(alignment: .leading) {
                        Text(form.title ?? form.formId ?? form.id)
                        Text(L("form_row", form.formId ?? "", form.formVersion ?? "?", form.scope))
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
            message = errorText(error)
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
                Section(footer: Text(L("new_survey_about"))) {
                    TextField(L("name_starts_with"), text: $query)
                }
                ForEach(matches, id: \.id) { (s: RecordRow) in
                    Button(s.title ?? s.id) { start(subjectId: s.id) }
                }
            }
            .navigationTitle(form.title ?? form.formId ?? L("new_survey"))
            .toolbar {
                ToolbarItem(placement: .cancellationAction) { Button(L("cancel")) { dismiss() } }
                ToolbarItem(placement: .confirmationAction) { Button(L("start_without")) { start(subjectId: nil) } }
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
                message = errorText(error)
            }
        }
    }
}
