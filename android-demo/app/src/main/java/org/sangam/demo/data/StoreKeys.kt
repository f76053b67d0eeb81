// The key the phone's store is encrypted under (SQLCipher in the Rust core). Pure Kotlin: the
// Android app keeps the key wrapped by the Android Keystore (platform/KeystoreSecrets.kt); tests
// keep it in memory.
package org.sangam.demo.data

import org.sangam.ApiException
import org.sangam.SangamStore
import org.sangam.UserInfo
import org.sangam.generateStoreKey

/**
 * Where the store key lives. `pending` is the key a rotation is moving to: it is saved before
 * the store is re-encrypted, so a crash in between never leaves the phone without the key its
 * store is under.
 */
interface StoreKeyVault {
    fun current(): ByteArray?
    fun saveCurrent(key: ByteArray)
    fun pending(): ByteArray?
    fun savePending(key: ByteArray?)
}

/** Keys in memory only (tests and previews). */
class InMemoryStoreKeyVault : StoreKeyVault {
    private var current: ByteArray? = null
    private var pending: ByteArray? = null
    override fun current(): ByteArray? = current?.copyOf()
    override fun saveCurrent(key: ByteArray) { current = key.copyOf() }
    override fun pending(): ByteArray? = pending?.copyOf()
    override fun savePending(key: ByteArray?) { pending = key?.copyOf() }
}

object StoreKeys {
    /**
     * Opens the store at `path` encrypted under the vault's key, making the key on first use
     * (a store from before encryption is encrypted in place by the core, losing nothing). If a
     * rotation was cut short, whichever of the two keys opens the store becomes the current one.
     */
    fun open(path: String, user: UserInfo, vault: StoreKeyVault): SangamStore {
        val current = vault.current() ?: generateStoreKey().also { vault.saveCurrent(it) }
        val pending = vault.pending()
        return try {
            SangamStore.openEncrypted(path, user, current).also { if (pending != null) vault.savePending(null) }
        } catch (e: ApiException.Key) {
            if (pending == null) throw e
            SangamStore.openEncrypted(path, user, pending).also {
                vault.saveCurrent(pending)
                vault.savePending(null)
            }
        }
    }

    /** Re-encrypts `store` under a new key, keeping the old one until the core has finished. */
    fun rotate(store: SangamStore, vault: StoreKeyVault) {
        val next = generateStoreKey()
        vault.savePending(next)
        store.rekey(next)
        vault.saveCurrent(next)
        vault.savePending(null)
    }
}
