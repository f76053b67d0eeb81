// Coalition meetings and the action items that outlive them: the list of meetings, a new
// meeting, every open action item with its status; and one meeting with its agenda, attendance
// checklist, minutes editor (several people may write at once: each change is saved with
// minutesReplace, which the core turns into a minimal character edit that merges), decisions
// and action items.
import SangamKit
import SwiftUI

struct MeetingsView: View {
    @EnvironmentObject var model: SangamModel
    @State private var meetings: [RecordRow] = []
    @State private var openActions: [RecordRow] = []
    @State private var mine: [RecordRow] = []
    @State private var today = ""
    @State private var message: String?
    @State private var creating = false

    var body: some View {
        List {
            MessageBanner(message: $message)
            // What this person has to do, before everything else.
            Section(header: Text(L("my_actions"))) {
                if mine.isEmpty { Text(L("my_actions_none")).foregroundColor(.secondary) }
                ForEach(mine, id: \.id) { (a: RecordRow) in
                    if MyActions.isOverdue(a, today: today) { Text(L("overdue")).font(.caption).foregroundColor(.red) }
                    ActionRowView(row: a) { (state: ActionStatus) in setStatus(a.id, state) }
                }
            }
            Section(header: Text(L("tab_meetings"))) {
                if meetings.isEmpty { Text(L("meetings_empty")).foregroundColor(.secondary) }
                ForEach(meetings, id: \.id) { (m: RecordRow) in
                    NavigationLink(value: Route.meeting(m.id)) {
                        VStack(alignment: .leading) {
                            Text(m.title ?? L("kind_meeting"))
                            Text("\(m.scope) · \(ago(m.updatedAtMs))\(m.conflicts > 0 ? " · " + P("conflicts_count", Int(m.conflicts), String(m.conflicts)) : "")")
                                .font(.caption).foregroundColor(.secondary)
                        }
                    }
                }
            }
            Section(header: Text(L("open_action_items"))) {
                if openActions.isEmpty { Text(L("no_open_actions")).foregroundColor(.secondary) }
                ForEach(openActions, id: \.id) { (a: RecordRow) in
                    ActionRowView(row: a) { (state: ActionStatus) in setStatus(a.id, state) }
                }
            }
        }
        .toolbar {
            ToolbarItem(placement: .primaryAction) {
                Button { creating = true } label: { Image(systemName: "plus") }.accessibilityLabel(L("new_meeting"))
            }
        }
        .task(id: model.changes) { await load() }
        .sheet(isPresented: $creating) { NewMeetingSheet() }
    }

    private func load() async {
        do {
            meetings = try await model.listMeetings()
            openActions = try await model.listActions(meetingId: nil, openOnly: true)
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.dateFormat = "yyyy-MM-dd"
            today = f.string(from: Date())
            mine = try await model.myActions(today: today)
        } catch {
            message = errorText(error)
        }
    }

    private func setStatus(_ id: String, _ state: ActionStatus) {
        Task {
            do { try await model.setActionStatus(id: id, status: state) } catch { message = errorText(error) }
        }
    }
}

/// One action item with its owner, due date and a button that moves its status on.
struct ActionRowView: View {
    let row: RecordRow
    let onStatus: (ActionStatus) -> Void

    var body: some View {
        HStack {
            VStack(alignment: .leading) {
                Text(row.title ?? L("kind_action"))
                Text(L("action_row", row.owner ?? "—", row.due ?? "—", statusLabel(.action(status: status))))
                    .font(.caption).foregroundColor(.secondary)
            }
            Spacer()
            switch status {
            case .open: Button(L("action_start")) { onStatus(.inProgress) }.buttonStyle(.borderless)
            case .inProgress: Button(L("action_finish")) { onStatus(.done) }.buttonStyle(.borderless)
            case .done, .dropped: Button(L("action_reopen")) { onStatus(.open) }.buttonStyle(.borderless)
            }
        }
    }

    private var status: ActionStatus {
        switch row.status {
        case .action(let s)?: return s
        default: return .open
        }
    }
}

struct NewMeetingSheet: View {
    @EnvironmentObject var model: SangamModel
    @Environment(\.dismiss) private var dismiss
    @State private var coalition = ""
    @State private var when = Date()
    @State private var venue = ""
    @State private var agenda = ""
    @State private var message: String?

    var body: some View {
        NavigationStack {
            Form {
                MessageBanner(message: $message)
                TextField(L("coalition"), text: $coalition)
                DatePicker(L("when"), selection: $when)
                TextField(L("venue"), text: $venue)
                Section(header: Text(L("agenda_lines"))) {
                    TextEditor(text: $agenda).frame(minHeight: 100)
                }
            }
            .navigationTitle(L("new_meeting"))
            .toolbar {
                ToolbarItem(placement: .cancellationAction) { Button(L("cancel")) { dismiss() } }
                ToolbarItem(placement: .confirmationAction) { Button(L("create")) { create() }.disabled(coalition.isEmpty) }
            }
        }
    }

    private func create() {
        let date = Answers.editText(Answers.dateAnswer(when, format: Answers.dateFormat))
        let time = Answers.editText(Answers.dateAnswer(when, format: Answers.timeFormat))
        let items = agenda.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let name = coalition.trimmingCharacters(in: .whitespaces)
        let place = venue.trimmingCharacters(in: .whitespaces)
        Task {
            do {
                _ = try await model.createMeeting(coalition: name, date: date, time: time, venue: place, agenda: items)
                dismiss()
            } catch {
                message = errorText(error)
            }
        }
    }
}

@MainActor
final class MeetingModel: ObservableObject {
    @Published var meeting: MeetingView?
    @Published var actions: [RecordRow] = []
    @Published var minutes = ""
    @Published var message: String?
    let meetingId: String
    private let writes = SerialTasks()
    private var pendingMinutes = 0
    private var settingFromStore = false

    init(meetingId: String) {
        self.meetingId = meetingId
    }

    func load(_ model: SangamModel) async {
        do {
            let m: MeetingView = try await model.meeting(id: meetingId)
            meeting = m
            actions = try await model.listActions(meetingId: meetingId, openOnly: false)
            // Take the stored minutes (which may hold others' merged edits) only when none of
            // this editor's own changes is still on its way to the store.
            if pendingMinutes == 0 && minutes != m.minutes {
                settingFromStore = true
                minutes = m.minutes
            }
        } catch {
            message = errorText(error)
        }
    }

    func minutesChanged(_ model: SangamModel, _ text: String) {
        if settingFromStore {
            settingFromStore = false
            return
        }
        pendingMinutes += 1
        let id = meetingId
        writes.enqueue { [weak self] in
            do {
                try await model.replaceMinutes(meetingId: id, text: text)
            } catch {
                self?.message = errorText(error)
            }
            self?.pendingMinutes -= 1
        }
    }

    func run(_ op: @escaping () async throws -> Void) {
        writes.enqueue { [weak self] in
            do { try await op() } catch { self?.message = errorText(error) }
        }
    }
}

struct MeetingDetailView: View {
    @EnvironmentObject var model: SangamModel
    @StateObject private var meetingModel: MeetingModel
    @State private var newAgendaItem = ""
    @State private var newDecision = ""
    @State private var attendeeName = ""
    @State private var attendeeRole = ""
    @State private var attendeeOrganisation = ""
    @State private var actionTitle = ""
    @State private var actionOwner = ""
    @State private var actionDue = ""

    init(meetingId: String) {
        _meetingModel = StateObject(wrappedValue: MeetingModel(meetingId: meetingId))
    }

    var body: some View {
        List {
            MessageBanner(message: $meetingModel.message)
            if let m = meetingModel.meeting {
                Section {
                    Text(m.coalition).font(.title3)
                    Text("\(m.date) \(m.time) · \(m.venue) · \(m.scope)").font(.caption)
                }
                Section(header: Text(L("agenda"))) {
                    ForEach(Array(m.agenda.enumerated()), id: \.offset) { (item: (offset: Int, element: String)) in
                        Text("\(item.offset + 1). \(item.element)")
                    }
                    HStack {
                        TextField(L("new_agenda_item"), text: $newAgendaItem)
                        Button(L("add")) { addAgendaItem(m.id) }.disabled(newAgendaItem.isEmpty)
                    }
                }
                Section(header: Text(L("attendance", String(m.attendees.filter { $0.present == true }.count), String(m.attendees.count)))) {
                    ForEach(m.attendees, id: \.id) { (a: AttendeeView) in
                        Toggle(isOn: Binding(
                            get: { a.present == true },
                            set: { (present: Bool) in setPresent(m.id, a.id, present) }
                        )) {
                            VStack(alignment: .leading) {
                                Text(a.name)
                                Text([a.role, a.organisation].filter { !$0.isEmpty }.joined(separator: " · ")).font(.caption)
                            }
                        }
                    }
                    TextField(L("field_name"), text: $attendeeName)
                    TextField(L("role"), text: $attendeeRole)
                    TextField(L("field_organisation"), text: $attendeeOrganisation)
                    Button(L("add_attendee")) { addAttendee(m.id) }.disabled(attendeeName.isEmpty)
                }
                Section(header: Text(L("minutes")), footer: Text(L("minutes_footer"))) {
                    TextEditor(text: $meetingModel.minutes)
                        .frame(minHeight: 160)
                        .onChange(of: meetingModel.minutes) { (text: String) in meetingModel.minutesChanged(model, text) }
                }
                Section(header: Text(L("decisions"))) {
                    ForEach(m.decisions, id: \.id) { (d: DecisionView) in
                        VStack(alignment: .leading) {
                            Text(d.text)
                            Text(L("decision_by", d.by, ago(d.atMs))).font(.caption).foregroundColor(.secondary)
                        }
                    }
                    HStack {
                        TextField(L("new_decision"), text: $newDecision)
                        Button(L("record")) { addDecision(m.id) }.disabled(newDecision.isEmpty)
                    }
                }
                Section(header: Text(L("action_items"))) {
                    ForEach(meetingModel.actions, id: \.id) { (a: RecordRow) in
                        ActionRowView(row: a) { (state: ActionStatus) in setActionStatus(a.id, state) }
                    }
                    TextField(L("field_what"), text: $actionTitle)
                    TextField(L("field_owner"), text: $actionOwner)
                    TextField(L("field_due"), text: $actionDue)
                    Button(L("add_action_item")) { addAction(m.id) }.disabled(actionTitle.isEmpty)
                }
            }
        }
        .navigationTitle(L("kind_meeting"))
        .task(id: model.changes) { await meetingModel.load(model) }
        .onDisappear { BackgroundSync.schedule(soon: true) }
    }

    private func addAgendaItem(_ id: String) {
        let item = newAgendaItem.trimmingCharacters(in: .whitespaces)
        newAgendaItem = ""
        meetingModel.run { try await model.addAgendaItem(meetingId: id, item: item) }
    }

    private func setPresent(_ id: String, _ attendeeId: String, _ present: Bool) {
        meetingModel.run { try await model.setAttendance(meetingId: id, attendeeId: attendeeId, present: present) }
    }

    private func addAttendee(_ id: String) {
        let name = attendeeName, role = attendeeRole, organisation = attendeeOrganisation
        attendeeName = ""
        attendeeRole = ""
        attendeeOrganisation = ""
        meetingModel.run { _ = try await model.addAttendee(meetingId: id, name: name, role: role, organisation: organisation, contact: "") }
    }

    private func addDecision(_ id: String) {
        let text = newDecision.trimmingCharacters(in: .whitespaces)
        newDecision = ""
        meetingModel.run { _ = try await model.addDecision(meetingId: id, text: text) }
    }

    private func addAction(_ id: String) {
        let title = actionTitle, owner = actionOwner
        let due = actionDue.trimmingCharacters(in: .whitespaces)
        actionTitle = ""
        actionOwner = ""
        actionDue = ""
        meetingModel.run {
            _ = try await model.createAction(meetingId: id, title: title, owner: owner, due: due.isEmpty ? nil : due, notes: "")
        }
    }

    private func setActionStatus(_ id: String, _ state: ActionStatus) {
        meetingModel.run { try await model.setActionStatus(id: id, status: state) }
    }
}
