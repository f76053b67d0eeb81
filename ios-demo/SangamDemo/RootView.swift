// Enrolment until the phone is enrolled; then tabs for forms, responses, subjects, meetings and
// sync, with conflicts and enrolment reachable from every tab.
import SangamKit
import SwiftUI

enum Route: Hashable {
    case survey(String)
    case subject(String)
    case meeting(String)
    case recordConflicts(String)
    case conflicts
    case review
    case duplicates
    case enrolment
}

struct RootView: View {
    @EnvironmentObject var model: SangamModel
    @Binding var enrolmentCode: String?

    var body: some View {
        if model.isEnrolled && enrolmentCode == nil {
            TabView {
                TabScreen(title: L("tab_forms"), systemImage: "doc.text") { FormsView() }
                TabScreen(title: L("tab_responses"), systemImage: "tray.full") { ResponsesView() }
                TabScreen(title: L("tab_subjects"), systemImage: "person.2") { SubjectsView() }
                TabScreen(title: L("tab_meetings"), systemImage: "calendar") { MeetingsView() }
                TabScreen(title: L("tab_sync"), systemImage: "arrow.triangle.2.circlepath") { SyncView() }
            }
        } else {
            NavigationStack {
                EnrolmentView(initialCode: enrolmentCode) { enrolmentCode = nil }
            }
        }
    }
}

/// One tab: a navigation stack whose screens can open records, conflicts and enrolment.
struct TabScreen<Content: View>: View {
    @EnvironmentObject var model: SangamModel
    let title: String
    let systemImage: String
    @ViewBuilder let content: () -> Content

    var body: some View {
        NavigationStack {
            content()
                .navigationTitle(title)
                .toolbar {
                    ToolbarItemGroup(placement: .navigationBarTrailing) {
                        // Reviewing and merging are a coordinator's work (the core refuses them to field workers).
                        if model.settings?.role == .coordinator || model.settings?.role == .admin {
                            NavigationLink(value: Route.review) { Image(systemName: "checkmark.seal") }.accessibilityLabel(L("title_review"))
                            NavigationLink(value: Route.duplicates) { Image(systemName: "person.2.badge.gearshape") }.accessibilityLabel(L("title_duplicates"))
                        }
                        NavigationLink(value: Route.conflicts) { Image(systemName: "exclamationmark.triangle") }.accessibilityLabel(L("title_conflicts"))
                        NavigationLink(value: Route.enrolment) { Image(systemName: "gearshape") }.accessibilityLabel(L("title_enrol"))
                    }
                }
                .navigationDestination(for: Route.self) { route in
                    destination(route)
                }
        }
        .tabItem { Label(title, systemImage: systemImage) }
    }

    @ViewBuilder
    private func destination(_ route: Route) -> some View {
        switch route {
        case .survey(let id): SurveyView(responseId: id)
        case .subject(let id): SubjectDetailView(subjectId: id)
        case .meeting(let id): MeetingDetailView(meetingId: id)
        case .recordConflicts(let id): RecordConflictsView(recordId: id)
        case .conflicts: ConflictsView()
        case .review: ReviewQueueView()
        case .duplicates: DuplicatesView()
        case .enrolment: EnrolmentView(initialCode: nil, onDone: nil)
        }
    }
}

/// A dismissible message under the navigation bar.
struct MessageBanner: View {
    @Binding var message: String?

    var body: some View {
        if let text = message {
            HStack {
                Text(text).font(.callout)
                Spacer()
                Button(L("ok")) { message = nil }
            }
            .padding(10)
            .background(Color.yellow.opacity(0.2))
            .cornerRadius(8)
        }
    }
}

/// "5 minutes ago" for list rows, in the app's language.
func ago(_ ms: Int64) -> String {
    guard ms > 0 else { return "" }
    let f = RelativeDateTimeFormatter()
    f.locale = AppLanguage.current.locale
    f.unitsStyle = .short
    return f.localizedString(for: Date(timeIntervalSince1970: TimeInterval(ms) / 1000), relativeTo: Date())
}

/// A list row's status as a person reads it ("" when the row has none).
func statusLabel(_ status: RecordStatus?) -> String {
    switch status {
    case .response(let s)?: return responseStatusLabel(s)
    case .action(let s)?: return actionStatusLabel(s)
    case .merged?: return L("status_merged")
    case nil: return ""
    }
}

/// A response's status, a draft when it has none yet.
func responseStatusText(_ status: RecordStatus?) -> String {
    let label = statusLabel(status)
    return label.isEmpty ? L("status_draft") : label
}

/// Who changed something, on which device, when.
func describe(_ by: ChangeBy) -> String {
    let name = by.userName.isEmpty ? by.userId : by.userName
    return L("changed_by", name, String(by.device.prefix(8)), ago(by.timeMs))
}
