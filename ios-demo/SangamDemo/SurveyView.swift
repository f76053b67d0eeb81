// Filling a survey, rendered from the live form state the core computes: only relevant
// questions are shown, constraint and required messages appear under their questions, and the
// state is re-read after every answer, so skip logic and calculations follow at once. Every
// change is saved as it is made (setAnswer / setRowAnswer), one after another in order. The form
// opens in the app's language (its Hindi labels in the Hindi app) and can be switched here.
import SangamKit
import SwiftUI

@MainActor
final class SurveyModel: ObservableObject {
    @Published var form: FormStateView?
    @Published var language = AppLanguage.current.formLanguage
    @Published var status: ResponseStatus?
    @Published var unsynced = false
    @Published var validation: ValidationResult?
    @Published var migration: MigrationResult?
    @Published var message: String?

    let responseId: String
    private let edits = SerialTasks()
    private(set) var edited = false

    init(responseId: String) {
        self.responseId = responseId
    }

    func load(_ model: SangamModel) async {
        do {
            let state: FormStateView = try await model.formState(responseId: responseId, language: language)
            form = state
            let r: ResponseView = try await model.response(id: responseId)
            status = r.status
            unsynced = r.unsynced
        } catch {
            message = errorText(error)
        }
    }

    private func edit(_ model: SangamModel, _ op: @escaping (String) async throws -> FormStateView) {
        edited = true
        edits.enqueue { [weak self] in
            guard let self = self else { return }
            do {
                self.form = try await op(self.language)
                self.unsynced = true
            } catch {
                self.message = errorText(error)
            }
        }
    }

    func answer(_ model: SangamModel, name: String, value: AnswerValue?) {
        let id = responseId
        edit(model) { lang in try await model.answer(responseId: id, name: name, value: value, language: lang) }
    }

    func rowAnswer(_ model: SangamModel, repeatName: String, rowId: String, name: String, value: AnswerValue?) {
        let id = responseId
        edit(model) { lang in
            try await model.rowAnswer(responseId: id, repeatName: repeatName, rowId: rowId, name: name, value: value, language: lang)
        }
    }

    /// Stores a captured photo, signature or clip and makes it the answer (in a repeat row with `rowId`).
    func attach(_ model: SangamModel, name: String, bytes: Data, capture: Capture, repeatName: String? = nil, rowId: String? = nil) {
        let id = responseId
        edit(model) { lang in
            _ = try await model.attachMedia(responseId: id, field: name, bytes: bytes, ext: capture.ext, mime: capture.mime,
                                            repeat: repeatName, rowId: rowId)
            return try await model.formState(responseId: id, language: lang)
        }
    }

    func addRow(_ model: SangamModel, repeatName: String) {
        let id = responseId
        edit(model) { lang in try await model.addRepeatRow(responseId: id, repeatName: repeatName, language: lang) }
    }

    /// A row of a repeat inside a repeat, in row `parentRow` of `parentRepeat` (a member's child).
    func addNestedRow(_ model: SangamModel, repeatName: String, parentRepeat: String, parentRow: String) {
        let id = responseId
        edit(model) { lang in
            try await model.addNestedRepeatRow(responseId: id, repeatName: repeatName, parentRepeat: parentRepeat, parentRow: parentRow, language: lang)
        }
    }

    func removeRow(_ model: SangamModel, repeatName: String, rowId: String) {
        let id = responseId
        edit(model) { lang in try await model.removeRepeatRow(responseId: id, repeatName: repeatName, rowId: rowId, language: lang) }
    }

    func submit(_ model: SangamModel) {
        edits.enqueue { [weak self] in
            guard let self = self else { return }
            do {
                let result: ValidationResult = try await model.submit(responseId: self.responseId, language: self.language)
                self.validation = result
                let problems = result.violations.count
                self.message = result.ok ? L("submitted") : P("submitted_with_problems", problems, String(problems))
                await self.load(model)
            } catch {
                self.message = errorText(error)
            }
        }
    }

    func moveToNewest(_ model: SangamModel) {
        edits.enqueue { [weak self] in
            guard let self = self else { return }
            do {
                self.migration = try await model.moveDraftToNewest(responseId: self.responseId)
                await self.load(model)
            } catch {
                self.message = errorText(error)
            }
        }
    }
}

struct SurveyView: View {
    @EnvironmentObject var model: SangamModel
    @StateObject private var survey: SurveyModel

    init(responseId: String) {
        _survey = StateObject(wrappedValue: SurveyModel(responseId: responseId))
    }

    var body: some View {
        List {
            Section {
                // The form's own languages; a form in one language needs no switch.
                let choices = FormLanguages.choices(survey.form?.languages)
                if choices.count > 1 {
                    Picker(L("form_language"), selection: Binding(
                        get: { choices.first { FormLanguages.same($0, survey.form?.language ?? survey.language) } ?? survey.language },
                        set: { (lang: String) in survey.language = lang }
                    )) {
                        ForEach(choices, id: \.self) { (lang: String) in
                            Text(FormLanguages.shortName(lang)).tag(lang)
                        }
                    }
                    .pickerStyle(.segmented)
                }
                if let form = survey.form, !FormLanguages.same(form.language, survey.language) {
                    Text(L("form_no_language", FormLanguages.shortName(survey.language), FormLanguages.shortName(form.language)))
                        .font(.caption)
                }
                Text(L("survey_status", survey.status.map { responseStatusLabel($0) } ?? "…", survey.unsynced ? L("not_yet_synced") : L("synced")))
                    .font(.caption)
                MessageBanner(message: $survey.message)
            }
            if let form = survey.form {
                // Questions in form order, each repeat right where it stands among them.
                ForEach(FormLayout.top(form)) { (entry: FormEntry) in
                    switch entry {
                    case .question(let q):
                        QuestionField(question: q, fieldKey: survey.responseId + "/" + q.name,
                                      onMedia: { (bytes: Data, capture: Capture) in
                                          survey.attach(model, name: q.name, bytes: bytes, capture: capture)
                                      }) { (value: AnswerValue?) in
                            survey.answer(model, name: q.name, value: value)
                        }
                    case .repeatGroup(let rep, let rows, _, let expected):
                        Section(header: Text(rep.label ?? rep.name)) {
                            RepeatRows(survey: survey, form: form, repeatView: rep, rows: rows, expectedRows: expected, parent: nil)
                        }
                    }
                }
                SubmitSection(survey: survey)
            }
        }
        .navigationTitle(L("title_survey"))
        .task { await survey.load(model) }
        .onChange(of: survey.language) { _ in
            Task { await survey.load(model) }
        }
        .onDisappear {
            if survey.edited { BackgroundSync.schedule(soon: true) }
        }
    }
}

/// A repeat's rows where it stands (each with its own questions and the repeats inside it, in
/// place) and a button for another row. `parent` is the enclosing repeat and row, for a repeat
/// inside a repeat; nesting is as deep as the published form's.
struct RepeatRows: View {
    @EnvironmentObject var model: SangamModel
    @ObservedObject var survey: SurveyModel
    let form: FormStateView
    let repeatView: RepeatView
    let rows: [RepeatRowState]
    let expectedRows: UInt32?
    let parent: (repeatName: String, rowId: String)?

    var body: some View {
        VStack(alignment: .leading, spacing: 8) {
            if let expected = expectedRows {
                Text(L("expected_rows", String(expected), String(rows.count))).font(.caption)
            }
            ForEach(rows, id: \.rowId) { (row: RepeatRowState) in
                VStack(alignment: .leading, spacing: 8) {
                    HStack {
                        Text("\(repeatView.label ?? repeatView.name) \(position(of: row))").font(.headline)
                        Spacer()
                        Button(L("remove"), role: .destructive) {
                            survey.removeRow(model, repeatName: repeatView.name, rowId: row.rowId)
                        }
                        .buttonStyle(.borderless)
                    }
                    ForEach(FormLayout.inRow(form, repeatView, row)) { (entry: FormEntry) in
                        switch entry {
                        case .question(let q):
                            QuestionField(question: q, fieldKey: survey.responseId + "/" + row.rowId + "/" + q.name,
                                          onMedia: { (bytes: Data, capture: Capture) in
                                              survey.attach(model, name: q.name, bytes: bytes, capture: capture,
                                                            repeatName: repeatView.name, rowId: row.rowId)
                                          }) { (value: AnswerValue?) in
                                survey.rowAnswer(model, repeatName: repeatView.name, rowId: row.rowId, name: q.name, value: value)
                            }
                        case .repeatGroup(let inner, let innerRows, _, let expected):
                            Text(inner.label ?? inner.name).font(.subheadline)
                            RepeatRows(survey: survey, form: form, repeatView: inner, rows: innerRows, expectedRows: expected,
                                       parent: (repeatView.name, row.rowId))
                                .padding(.leading, 12)
                        }
                    }
                }
            }
            Button(L("add_repeat", repeatView.label ?? repeatView.name)) {
                if let p = parent {
                    survey.addNestedRow(model, repeatName: repeatView.name, parentRepeat: p.repeatName, parentRow: p.rowId)
                } else {
                    survey.addRow(model, repeatName: repeatView.name)
                }
            }
        }
    }

    private func position(of row: RepeatRowState) -> Int {
        (rows.firstIndex { $0.rowId == row.rowId } ?? 0) + 1
    }
}

struct SubmitSection: View {
    @EnvironmentObject var model: SangamModel
    @ObservedObject var survey: SurveyModel

    var body: some View {
        Section(footer: Text(L("autosave_note_ios"))) {
            if let validation = survey.validation, !validation.ok {
                Text(L("needs_attention")).font(.headline)
                ForEach(validation.violations, id: \.self) { (v: Violation) in
                    Text(v.rowId == nil ? "• \(v.question): \(v.message)" : L("violation_in_row", v.question, v.message)).foregroundColor(.red)
                }
            }
            if let migration = survey.migration {
                Text(L("migrated", migration.fromVersion, migration.toVersion, String(migration.kept), String(migration.converted.count)))
                ForEach(migration.leftOut, id: \.self) { (l: LeftOutAnswer) in
                    Text("• \(l.question): \(l.reason)").font(.caption)
                }
            }
            Button(L("submit")) { survey.submit(model) }
            Button(L("use_newest")) { survey.moveToNewest(model) }
        }
    }
}
