// Converting between what a person types or taps and the core's AnswerValue, showing a
// conflict's values, and the kinds of problem a person can act on (the app says them in the
// language chosen in it: SangamDemo/Localization.swift).
import Foundation

public enum FormLanguages {
    public static let english = "English (en)"
    public static let hindi = "Hindi (hi)"
    public static let all = [english, hindi]

    /// A language as a switch shows it: Hindi and English by their own names, others as the
    /// form names them (without the code).
    public static func shortName(_ language: String) -> String {
        if same(language, hindi) { return "हिन्दी" }
        if same(language, english) { return "English" }
        let plain = plainName(language)
        return plain.isEmpty ? language : plain
    }

    /// The languages a survey's switch offers: the form's own (its default first), or these two
    /// before the form is read.
    public static func choices(_ formLanguages: [String]?) -> [String] {
        guard let l = formLanguages, !l.isEmpty else { return all }
        return l
    }

    /// The code a language name carries: "hi" in "Hindi (hi)", or a bare two- or three-letter code.
    public static func code(_ language: String) -> String? {
        func isCode(_ s: Substring) -> Bool { (2...3).contains(s.count) && s.allSatisfy { $0.isASCII && $0.isLetter } }
        let t = language.trimmingCharacters(in: .whitespaces)
        if t.hasSuffix(")"), let open = t.lastIndex(of: "(") {
            let inner = t[t.index(after: open)..<t.index(before: t.endIndex)]
            if isCode(inner) { return inner.lowercased() }
        }
        return isCode(Substring(t)) ? t.lowercased() : nil
    }

    /// Whether two names mean one language, as the core matches them: the same name, the same
    /// code, or the same name before the code ("Hindi (hi)", "hi" and a form's "Hindi" column).
    public static func same(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        if let ca = code(a), ca == code(b) { return true }
        return plainName(a).lowercased() == plainName(b).lowercased()
    }

    private static func plainName(_ language: String) -> String {
        let before = language.components(separatedBy: " (").first ?? language
        return before.trimmingCharacters(in: .whitespaces)
    }

    /// The form language a survey opens in for the app's language ("hi", "en"): the form's
    /// Hindi labels in the Hindi app. A form without them is shown in its default language (the
    /// core falls back), and the survey screen can still switch.
    public static func forAppLanguage(_ code: String) -> String {
        code == "hi" ? hindi : english
    }
}

public enum Answers {
    /// A value as a person reads it; choice names are shown by their labels when known.
    public static func display(_ value: AnswerValue?, choices: [ChoiceOption]? = nil) -> String {
        func label(_ name: String) -> String {
            choices?.first { $0.name == name }?.label ?? name
        }
        guard let value = value else { return "" }
        switch value {
        case .bool(let b): return b ? "✓" : "✗"
        case .int(let i): return String(i)
        case .decimal(let d): return String(d)
        case .text(let t): return choices == nil ? t : label(t)
        case .choices(let names): return names.map(label).joined(separator: ", ")
        }
    }

    /// The raw text to put back into an input field.
    public static func editText(_ value: AnswerValue?) -> String {
        guard let value = value else { return "" }
        switch value {
        case .bool(let b): return b ? "true" : ""
        case .int(let i): return String(i)
        case .decimal(let d): return String(d)
        case .text(let t): return t
        case .choices(let names): return names.joined(separator: " ")
        }
    }

    /// The chosen names of a select question.
    public static func chosen(_ value: AnswerValue?) -> Set<String> {
        switch value {
        case .choices(let names)?: return Set(names)
        case .text(let t)?: return Set(t.split(separator: " ").map(String.init))
        default: return []
        }
    }

    /// A typed integer; text that is not a number is kept as text, so the core flags it.
    public static func integer(_ raw: String) -> AnswerValue? {
        let t = raw.trimmingCharacters(in: .whitespaces)
        if t.isEmpty { return nil }
        if let i = Int64(t) { return .int(value: i) }
        return .text(value: t)
    }

    /// A typed decimal; text that is not a number is kept as text, so the core flags it.
    public static func decimal(_ raw: String) -> AnswerValue? {
        let t = raw.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: ".")
        if t.isEmpty { return nil }
        if let d = Double(t), d.isFinite { return .decimal(value: d) }
        return .text(value: raw.trimmingCharacters(in: .whitespaces))
    }

    /// Free text; an empty field clears the answer.
    public static func text(_ raw: String) -> AnswerValue? {
        raw.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : .text(value: raw)
    }

    /// A geopoint as the core stores it: "lat lon" (ODK order); nil when both parts are empty.
    public static func geopoint(latitude: String, longitude: String) -> AnswerValue? {
        let lat = latitude.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: ".")
        let lon = longitude.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: ".")
        if lat.isEmpty && lon.isEmpty { return nil }
        return .text(value: "\(lat) \(lon)".trimmingCharacters(in: .whitespaces))
    }

    /// A stored geopoint split into latitude and longitude text.
    public static func geopointParts(_ value: AnswerValue?) -> (String, String) {
        let parts = editText(value).split(separator: " ").map(String.init)
        return (parts.count > 0 ? parts[0] : "", parts.count > 1 ? parts[1] : "")
    }

    /// A multi-select answer after toggling one choice.
    public static func toggle(_ value: AnswerValue?, choice: String, on: Bool) -> AnswerValue? {
        var now = chosen(value)
        if on { now.insert(choice) } else { now.remove(choice) }
        return now.isEmpty ? nil : .choices(values: now.sorted())
    }

    private static func formatter(_ format: String) -> DateFormatter {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.calendar = Calendar(identifier: .gregorian)
        f.dateFormat = format
        return f
    }

    public static let dateFormat = "yyyy-MM-dd"
    public static let timeFormat = "HH:mm"
    public static let dateTimeFormat = "yyyy-MM-dd'T'HH:mm:ss"

    /// A picked date as the core stores a date, time or datetime answer.
    public static func dateAnswer(_ date: Date, format: String) -> AnswerValue {
        .text(value: formatter(format).string(from: date))
    }

    /// A stored date, time or datetime answer as a Date (nil when empty or unreadable).
    public static func date(from value: AnswerValue?, format: String) -> Date? {
        let t = editText(value)
        if t.isEmpty { return nil }
        if let d = formatter(format).date(from: t) { return d }
        // a datetime saved with less precision, or a date only
        return formatter("yyyy-MM-dd'T'HH:mm").date(from: t) ?? formatter(dateFormat).date(from: String(t.prefix(10)))
    }

    /// One of a conflict's values as a person reads it; a structure shows its parts by name.
    /// `empty` is how a missing value reads, in the app's language.
    public static func display(_ value: StoredValue, empty: String = "(empty)") -> String {
        switch value {
        case .field(let v): return display(v)
        case .empty: return empty
        case .items(let items): return "[" + items.map { display($0, empty: empty) }.joined(separator: ", ") + "]"
        case .parts(let parts):
            return "{" + parts.keys.sorted().map { "\($0): \(display(parts[$0] ?? .empty, empty: empty))" }.joined(separator: ", ") + "}"
        }
    }
}

public enum SangamKitError: Error, LocalizedError {
    case notEnrolled
    case syncAlreadyRunning
    case notAForm

    /// Developer text (logs); a person is shown `userMessage(error)` in the app's language.
    public var errorDescription: String? {
        switch self {
        case .notEnrolled: return "This phone is not enrolled yet."
        case .syncAlreadyRunning: return "A sync is already running."
        case .notAForm: return "That row is not a form."
        }
    }
}

/// A message a field worker can act on: its kind, which the app says in the person's language,
/// and the core's detail. Never includes answers (the core's messages do not).
/// How the syncs have gone, kept by the core across restarts: when one last finished, and the
/// failure since then as a message kind with the core's detail.
public struct SyncStatus: Equatable {
    public let lastOkMs: Int64?
    public let failedAtMs: Int64?
    public let failure: UserMessage?

    public init(_ v: SyncStatusView) {
        lastOkMs = v.lastOkMs
        failedAtMs = v.failedAtMs
        let kind: UserMessage.Kind?
        switch v.failureKind {
        case nil: kind = nil
        case "network": kind = .network
        case "auth": kind = .auth
        case "forbidden": kind = .forbidden
        case "storage": kind = .storage
        default: kind = .other
        }
        failure = kind.map { UserMessage($0, v.failureMessage ?? "") }
    }
}

public struct UserMessage: Equatable {
    public enum Kind: Equatable {
        /// The hub could not be reached; the work is kept and sync retries.
        case network
        /// The hub refused the device token: enrol again.
        case auth
        case forbidden, cancelled, validation, invalidInput, notFound, storage, key, other
        case notEnrolled, syncAlreadyRunning, notAForm
        /// The calling task was cancelled.
        case taskCancelled
        /// Not an error of the core's or SangamKit's; `detail` is the error's type name.
        case unexpected
    }

    public let kind: Kind
    public let detail: String

    public init(_ kind: Kind, _ detail: String = "") {
        self.kind = kind
        self.detail = detail
    }
}

public func userMessage(_ error: Error) -> UserMessage {
    if let e = error as? ApiError {
        switch e {
        case .Network: return UserMessage(.network)
        case .Auth: return UserMessage(.auth)
        case .Forbidden(let message): return UserMessage(.forbidden, message)
        case .Cancelled: return UserMessage(.cancelled)
        case .Validation(let message): return UserMessage(.validation, message)
        case .InvalidInput(let message): return UserMessage(.invalidInput, message)
        case .NotFound(let message): return UserMessage(.notFound, message)
        case .Storage(let message): return UserMessage(.storage, message)
        case .Key(let message): return UserMessage(.key, message)
        case .Other(let message): return UserMessage(.other, message)
        }
    }
    if let e = error as? SangamKitError {
        switch e {
        case .notEnrolled: return UserMessage(.notEnrolled)
        case .syncAlreadyRunning: return UserMessage(.syncAlreadyRunning)
        case .notAForm: return UserMessage(.notAForm)
        }
    }
    if error is CancellationError { return UserMessage(.taskCancelled) }
    return UserMessage(.unexpected, "\(type(of: error))")
}
