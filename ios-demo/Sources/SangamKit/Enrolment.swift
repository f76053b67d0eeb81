// Who uses this phone and which hub it syncs with. The device token lives in the Keychain; the
// rest in UserDefaults.
import Foundation
#if canImport(Security)
import Security
#endif

public struct EnrolmentSettings: Equatable {
    public var hubUrl: String
    public var token: String
    /// The district code (scope) new records are created in, e.g. "UP-SIT".
    public var scope: String
    public var userId: String
    public var displayName: String
    public var role: UserRole

    public init(hubUrl: String, token: String, scope: String, userId: String, displayName: String, role: UserRole) {
        self.hubUrl = hubUrl
        self.token = token
        self.scope = scope
        self.userId = userId
        self.displayName = displayName
        self.role = role
    }

    public static let blank = EnrolmentSettings(hubUrl: "", token: "", scope: "", userId: "", displayName: "", role: .fieldWorker)

    public var isComplete: Bool {
        ![hubUrl, token, scope, userId, displayName].contains { $0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    public var userInfo: UserInfo {
        UserInfo(userId: userId, displayName: displayName, role: role)
    }
}

/// Every role, in the order the enrolment screen offers them.
public let allRoles: [UserRole] = [.fieldWorker, .coordinator, .admin]

public func roleName(_ role: UserRole) -> String {
    switch role {
    case .fieldWorker: return "field-worker"
    case .coordinator: return "coordinator"
    case .admin: return "admin"
    }
}

public protocol EnrolmentStorage {
    func load() -> EnrolmentSettings?
    func save(_ settings: EnrolmentSettings)
}

/// Settings in memory only (previews and tests).
public final class InMemoryEnrolmentStorage: EnrolmentStorage {
    private var settings: EnrolmentSettings?
    public init(_ settings: EnrolmentSettings? = nil) { self.settings = settings }
    public func load() -> EnrolmentSettings? { settings }
    public func save(_ settings: EnrolmentSettings) { self.settings = settings }
}

#if canImport(Security)
/// UserDefaults for the plain fields, the Keychain for the device token.
public final class DefaultsEnrolmentStorage: EnrolmentStorage {
    private let defaults: UserDefaults
    private let service = "org.sangam.demo.enrolment"

    public init(defaults: UserDefaults = .standard) {
        self.defaults = defaults
    }

    public func load() -> EnrolmentSettings? {
        guard let hubUrl = defaults.string(forKey: "hubUrl") else { return nil }
        let roleText = defaults.string(forKey: "role") ?? "field-worker"
        let role = allRoles.first { roleName($0) == roleText } ?? .fieldWorker
        return EnrolmentSettings(
            hubUrl: hubUrl,
            token: readToken() ?? "",
            scope: defaults.string(forKey: "scope") ?? "",
            userId: defaults.string(forKey: "userId") ?? "",
            displayName: defaults.string(forKey: "displayName") ?? "",
            role: role
        )
    }

    public func save(_ settings: EnrolmentSettings) {
        defaults.set(settings.hubUrl, forKey: "hubUrl")
        defaults.set(settings.scope, forKey: "scope")
        defaults.set(settings.userId, forKey: "userId")
        defaults.set(settings.displayName, forKey: "displayName")
        defaults.set(roleName(settings.role), forKey: "role")
        writeToken(settings.token)
    }

    private func query() -> [String: Any] {
        [kSecClass as String: kSecClassGenericPassword, kSecAttrService as String: service, kSecAttrAccount as String: "device-token"]
    }

    private func readToken() -> String? {
        var q = query()
        q[kSecReturnData as String] = true
        q[kSecMatchLimit as String] = kSecMatchLimitOne
        var item: CFTypeRef?
        guard SecItemCopyMatching(q as CFDictionary, &item) == errSecSuccess, let data = item as? Data else { return nil }
        return String(data: data, encoding: .utf8)
    }

    private func writeToken(_ token: String) {
        SecItemDelete(query() as CFDictionary)
        var q = query()
        q[kSecValueData as String] = Data(token.utf8)
        q[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        SecItemAdd(q as CFDictionary, nil)
    }
}
#endif
