// The subject registry (households, people, enterprises): search by name, village or phone
// prefix, register a new one, and open one to see and edit its attributes and its surveys.
import SangamKit
import SwiftUI

struct SubjectsView: View {
    @EnvironmentObject var model: SangamModel
    @State private var name = ""
    @State private var village = ""
    @State private var phone = ""
    @State private var rows: [RecordRow] = []
    @State private var message: String?
    @State private var creating = false

    var body: some View {
        List {
            MessageBanner(message: $message)
            Section {
                TextField(L("name_starts_with"), text: $name)
                TextField(L("village"), text: $village)
                TextField(L("phone"), text: $phone).keyboardType(.phonePad)
            }
            if rows.isEmpty {
                Text(L("subjects_empty")).foregroundColor(.secondary)
            }
            ForEach(rows, id: \.id) { (row: RecordRow) in
                NavigationLink(value: Route.subject(row.id)) {
                    VStack(alignment: .leading) {
                        Text(row.title ?? row.id)
                        Text("\(subjectTypeLabel(row.formId)) · \(row.scope) · \(ago(row.updatedAtMs))\(row.conflicts > 0 ? " · " + P("conflicts_count", Int(row.conflicts), String(row.conflicts)) : "")")
                            .font(.caption).foregroundColor(.secondary)
                    }
                }
            }
        }
        .toolbar {
            ToolbarItem(placement: .primaryAction) {
                Button { creating = true } label: { Image(systemName: "plus") }.accessibilityLabel(L("register"))
            }
        }
        .task(id: "\(model.changes)|\(name)|\(village)|\(phone)") { await search() }
        .sheet(isPresented: $creating) { NewSubjectSheet() }
    }

    private func search() async {
        do {
            rows = try await model.searchSubjects(name: name, village: village, phone: phone)
        } catch {
            message = errorText(error)
        }
    }
}

struct NewSubjectSheet: View {
    @EnvironmentObject var model: SangamModel
    @Environment(\.dismiss) private var dismiss
    @State private var type = "household"
    @State private var name = ""
    @State private var village = ""
    @State private var phone = ""
    @State private var age = ""
    @State private var message: String?

    var body: some View {
        NavigationStack {
            Form {
                MessageBanner(message: $message)
                Picker(L("type"), selection: $type) {
                    ForEach(subjectTypes, id: \.self) { (t: String) in Text(subjectTypeLabel(t)).tag(t) }
                }
                .pickerStyle(.segmented)
                TextField(L("field_name"), text: $name)
                TextField(L("village"), text: $village)
                TextField(L("phone"), text: $phone).keyboardType(.phonePad)
                if type == "person" {
                    TextField(L("age"), text: $age).keyboardType(.numberPad)
                }
            }
            .navigationTitle(L("register"))
            .toolbar {
                ToolbarItem(placement: .cancellationAction) { Button(L("cancel")) { dismiss() } }
                ToolbarItem(placement: .confirmationAction) { Button(L("save")) { save() }.disabled(name.isEmpty) }
            }
        }
    }

    private func save() {
        var attrs: [String: AnswerValue] = ["name": .text(value: name.trimmingCharacters(in: .whitespaces))]
        if !village.isEmpty { attrs["village"] = .text(value: village.trimmingCharacters(in: .whitespaces)) }
        if !phone.isEmpty { attrs["phone"] = .text(value: phone.trimmingCharacters(in: .whitespaces)) }
        if let a = Answers.integer(age) { attrs["age"] = a }
        let subjectType = type
        Task {
            do {
                _ = try await model.createSubject(type: subjectType, attrs: attrs)
                dismiss()
            } catch {
                message = errorText(error)
            }
        }
    }
}

struct SubjectDetailView: View {
    @EnvironmentObject var model: SangamModel
    let subjectId: String
    @State private var subject: SubjectView?
    @State private var responses: [RecordRow] = []
    @State private var forms: [RecordRow] = []
    @State private var message: String?
    @State private var editKey = ""
    @State private var editValue = ""
    @State private var editing = false
    @State private var opened: String?

    var body: some View {
        List {
            MessageBanner(message: $message)
            if let s = subject {
                Section(header: Text("\(subjectTypeLabel(s.subjectType)) · \(s.scope)")) {
                    if let merged = s.mergedInto {
                        Text(L("merged_into", merged))
                    }
                    ForEach(s.attrs.keys.sorted(), id: \.self) { (key: String) in
                        Button {
                            editKey = key
                            editValue = Answers.editText(s.attrs[key])
                            editing = true
                        } label: {
                            VStack(alignment: .leading) {
                                Text(key).font(.caption).foregroundColor(.secondary)
                                Text(Answers.display(s.attrs[key]))
                            }
                        }
                    }
                    Button(L("add_attribute")) {
                        editKey = ""
                        editValue = ""
                        editing = true
                    }
                }
                Section(header: Text(L("surveys_about", s.attrs["name"].map { Answers.display($0) } ?? L("this_record")))) {
                    ForEach(responses, id: \.id) { (r: RecordRow) in
                        NavigationLink(value: Route.survey(r.id)) {
                            Text("\(r.title ?? r.formId ?? r.id) · \(responseStatusText(r.status)) · \(ago(r.updatedAtMs))")
                        }
                    }
                }
                Section(header: Text(L("start_survey"))) {
                    ForEach(forms, id: \.id) { (f: RecordRow) in
                        Button(f.title ?? f.formId ?? f.id) { start(f) }
                    }
                }
            }
        }
        .navigationTitle(L("title_subject"))
        .task(id: model.changes) { await load() }
        .alert(L("attribute"), isPresented: $editing) {
            TextField(L("attribute_name"), text: $editKey)
            TextField(L("attribute_value"), text: $editValue)
            Button(L("save")) { saveAttribute() }
            Button(L("cancel"), role: .cancel) {}
        }
        .navigationDestination(isPresented: Binding(get: { opened != nil }, set: { if !$0 { opened = nil } })) {
            if let id = opened { SurveyView(responseId: id) }
        }
    }

    private func load() async {
        do {
            let s: SubjectView = try await model.subject(id: subjectId)
            subject = s
            responses = try await model.listResponses(subjectId: subjectId)
            forms = try await model.listForms()
        } catch {
            message = errorText(error)
        }
    }

    /// Sets one attribute; an empty value removes it.
    private func saveAttribute() {
        let key = editKey.trimmingCharacters(in: .whitespaces)
        let value = editValue.trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty else { return }
        Task {
            do {
                if value.isEmpty {
                    try await model.updateSubject(id: subjectId, set: [:], remove: [key])
                } else {
                    try await model.updateSubject(id: subjectId, set: [key: .text(value: value)], remove: [])
                }
            } catch {
                message = errorText(error)
            }
        }
    }

    private func start(_ form: RecordRow) {
        Task {
            do {
                opened = try await model.createResponse(form: form, subjectId: subjectId)
            } catch {
                message = errorText(error)
            }
        }
    }
}
