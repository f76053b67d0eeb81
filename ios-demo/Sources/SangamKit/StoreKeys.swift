// The key the phone's store is encrypted under (SQLCipher in the Rust core), kept in the
// Keychain (this device only, after first unlock). `pending` is the key a rotation is moving to:
// saved before the store is re-encrypted, so a crash in between never loses the store's key.
import Foundation
#if canImport(Security)
import Security
#endif

public protocol StoreKeyVault: AnyObject, Sendable {
    func current() -> Data?
    func saveCurrent(_ key: Data)
    func pending() -> Data?
    func savePending(_ key: Data?)
}

/// Keys in memory only (tests and previews).
public final class InMemoryStoreKeyVault: StoreKeyVault, @unchecked Sendable {
    private var cur: Data?
    private var next: Data?
    public init() {}
    public func current() -> Data? { cur }
    public func saveCurrent(_ key: Data) { cur = key }
    public func pending() -> Data? { next }
    public func savePending(_ key: Data?) { next = key }
}

#if canImport(Security)
/// The store key in the Keychain.
public final class KeychainStoreKeyVault: StoreKeyVault, @unchecked Sendable {
    private let service = "org.sangam.demo.store-key"
    public init() {}

    private func query(_ account: String) -> [String: Any] {
        [kSecClass as String: kSecClassGenericPassword, kSecAttrService as String: service, kSecAttrAccount as String: account]
    }

    private func read(_ account: String) -> Data? {
        var q = query(account)
        q[kSecReturnData as String] = true
        q[kSecMatchLimit as String] = kSecMatchLimitOne
        var item: CFTypeRef?
        guard SecItemCopyMatching(q as CFDictionary, &item) == errSecSuccess else { return nil }
        return item as? Data
    }

    private func write(_ account: String, _ key: Data?) {
        SecItemDelete(query(account) as CFDictionary)
        guard let key = key else { return }
        var q = query(account)
        q[kSecValueData as String] = key
        q[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        SecItemAdd(q as CFDictionary, nil)
    }

    public func current() -> Data? { read("current") }
    public func saveCurrent(_ key: Data) { write("current", key) }
    public func pending() -> Data? { read("pending") }
    public func savePending(_ key: Data?) { write("pending", key) }
}
#endif

public enum StoreKeys {
    /// Opens the store at `path` under the vault's key, making the key on first use (a clear
    /// store from before is encrypted in place by the core). If a rotation was cut short,
    /// whichever key opens the store becomes the current one.
    public static func open(path: String, user: UserInfo, vault: StoreKeyVault) throws -> SangamStore {
        let current: Data
        if let k = vault.current() {
            current = k
        } else {
            current = try generateStoreKey()
            vault.saveCurrent(current)
        }
        let pending = vault.pending()
        do {
            let st = try SangamStore.openEncrypted(path: path, user: user, key: current)
            if pending != nil { vault.savePending(nil) }
            return st
        } catch ApiError.Key(let message) {
            guard let next = pending else { throw ApiError.Key(message: message) }
            let st = try SangamStore.openEncrypted(path: path, user: user, key: next)
            vault.saveCurrent(next)
            vault.savePending(nil)
            return st
        }
    }

    /// Re-encrypts `store` under a new key, keeping the old one until the core has finished.
    public static func rotate(_ store: SangamStore, vault: StoreKeyVault) throws {
        let next = try generateStoreKey()
        vault.savePending(next)
        try store.rekey(newKey: next)
        vault.saveCurrent(next)
        vault.savePending(nil)
    }
}
