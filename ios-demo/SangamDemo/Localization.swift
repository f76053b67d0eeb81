// The words on the screens, in the language chosen in the app (English / हिन्दी, kept in
// UserDefaults; before a choice, a phone set to Hindi gets Hindi). L("key") reads the chosen
// language's Localizable.strings (en.lproj, hi.lproj), falling back to English for a key the
// other has not got; P("key", n) picks the key's _one or _other form for a count. The app's root
// view is rebuilt when the choice changes (SangamDemoApp), with the locale set for dates.
// SangamKit reports problems as UserMessage kinds; L(message) says them here.
import Foundation
import SangamKit

enum AppLanguage: String, CaseIterable, Identifiable {
    case english = "en"
    case hindi = "hi"

    /// The UserDefaults key of the choice (also read through @AppStorage).
    static let storageKey = "appLanguage"

    var id: String { rawValue }

    /// The language's name in its own script, as the switch shows it (never translated).
    var ownName: String {
        switch self {
        case .english: return "English" // i18n-ignore: each language's own name
        case .hindi: return "हिन्दी"
        }
    }

    var locale: Locale { Locale(identifier: rawValue) }

    /// The form language surveys open in (the form's Hindi labels in the Hindi app).
    var formLanguage: String { FormLanguages.forAppLanguage(rawValue) }

    /// The chosen language; before any choice, Hindi on a phone set to Hindi, else English.
    static var current: AppLanguage {
        if let saved = UserDefaults.standard.string(forKey: storageKey), let language = AppLanguage(rawValue: saved) {
            return language
        }
        return Locale.preferredLanguages.first?.hasPrefix("hi") == true ? .hindi : .english
    }

    fileprivate var bundle: Bundle? {
        Bundle.main.path(forResource: rawValue, ofType: "lproj").flatMap { Bundle(path: $0) }
    }
}

/// The text of `key` in the app's language, with `args` put in for %1$@, %2$@… (numbers are
/// passed as text: String(n)).
func L(_ key: String, _ args: String...) -> String {
    localized(key, args)
}

/// The text of a count: `key`_one for one (and for zero in Hindi), else `key`_other.
func P(_ key: String, _ count: Int, _ args: String...) -> String {
    let one = count == 1 || (count == 0 && AppLanguage.current == .hindi)
    return localized(key + (one ? "_one" : "_other"), args)
}

private func localized(_ key: String, _ args: [String]) -> String {
    let language = AppLanguage.current
    let english = AppLanguage.english.bundle?.localizedString(forKey: key, value: key, table: nil) ?? key
    let text = language == .english ? english : (language.bundle?.localizedString(forKey: key, value: english, table: nil) ?? english)
    if args.isEmpty { return text }
    return String(format: text, locale: language.locale, arguments: args.map { $0 as CVarArg })
}

/// A SangamKit problem in the app's language.
func L(_ message: UserMessage) -> String {
    switch message.kind {
    case .network: return L("error_network")
    case .auth: return L("error_auth")
    case .forbidden: return L("error_forbidden", message.detail)
    case .cancelled: return L("error_cancelled")
    case .validation: return L("error_validation", message.detail)
    case .invalidInput: return L("error_invalid_input", message.detail)
    case .notFound: return L("error_not_found", message.detail)
    case .storage: return L("error_storage", message.detail)
    case .key: return L("error_key", message.detail)
    case .other: return L("error_other", message.detail)
    case .notEnrolled: return L("error_not_enrolled")
    case .syncAlreadyRunning: return L("error_sync_running")
    case .notAForm: return L("error_not_a_form")
    case .taskCancelled: return L("error_task_cancelled")
    case .unexpected: return L("error_unexpected", message.detail)
    }
}

/// What went wrong, for a message banner.
func errorText(_ error: Error) -> String {
    L(errorText(error))
}

func roleLabel(_ role: UserRole) -> String {
    switch role {
    case .fieldWorker: return L("role_field_worker")
    case .coordinator: return L("role_coordinator")
    case .admin: return L("role_admin")
    }
}

func kindLabel(_ kind: RecordKind) -> String {
    switch kind {
    case .form: return L("kind_form")
    case .response: return L("kind_response")
    case .subject: return L("kind_subject")
    case .meeting: return L("kind_meeting")
    case .action: return L("kind_action")
    }
}

func responseStatusLabel(_ status: ResponseStatus) -> String {
    switch status {
    case .draft: return L("status_draft")
    case .submitted: return L("status_submitted")
    }
}

func actionStatusLabel(_ status: ActionStatus) -> String {
    switch status {
    case .open: return L("action_open")
    case .inProgress: return L("action_in_progress")
    case .done: return L("action_done")
    case .dropped: return L("action_dropped")
    }
}

/// The subject types the registry offers (the stored type stays the English name).
let subjectTypes = ["household", "person", "enterprise"]

/// A subject type as a person reads it; a type the app does not know shows as stored.
func subjectTypeLabel(_ type: String?) -> String {
    switch type {
    case nil: return L("title_subject")
    case "household"?: return L("type_household")
    case "person"?: return L("type_person")
    case "enterprise"?: return L("type_enterprise")
    case let other?: return other
    }
}
