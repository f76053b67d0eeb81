// Secrets wrapped by the Android Keystore: the store key and the enrolment token. The wrapping
// key (AES-256-GCM) is made inside the Keystore and never leaves it (hardware-backed where the
// phone has it); only wrapped bytes reach the disk, in the app's no-backup directory.
package org.sangam.demo.platform

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.util.Base64
import java.io.File
import java.io.FileOutputStream
import java.security.KeyStore
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import org.sangam.demo.data.StoreKeyVault

class KeystoreSecrets {
    private fun wrappingKey(): SecretKey {
        val ks = KeyStore.getInstance(KEYSTORE).apply { load(null) }
        (ks.getKey(ALIAS, null) as? SecretKey)?.let { return it }
        val gen = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, KEYSTORE)
        gen.init(
            KeyGenParameterSpec.Builder(ALIAS, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .build(),
        )
        return gen.generateKey()
    }

    /** `iv (12 bytes) | AES-GCM(secret)`, under the Keystore's key. */
    fun wrap(secret: ByteArray): ByteArray {
        val c = Cipher.getInstance(TRANSFORMATION)
        c.init(Cipher.ENCRYPT_MODE, wrappingKey())
        return c.iv + c.doFinal(secret)
    }

    fun unwrap(wrapped: ByteArray): ByteArray {
        require(wrapped.size > IV_BYTES) { "a wrapped secret is cut short" }
        val c = Cipher.getInstance(TRANSFORMATION)
        c.init(Cipher.DECRYPT_MODE, wrappingKey(), GCMParameterSpec(128, wrapped, 0, IV_BYTES))
        return c.doFinal(wrapped, IV_BYTES, wrapped.size - IV_BYTES)
    }

    fun wrapText(text: String): String = Base64.encodeToString(wrap(text.toByteArray(Charsets.UTF_8)), Base64.NO_WRAP)

    fun unwrapText(wrapped: String): String = String(unwrap(Base64.decode(wrapped, Base64.NO_WRAP)), Charsets.UTF_8)

    private companion object {
        const val KEYSTORE = "AndroidKeyStore"
        const val ALIAS = "sangam-secrets-v1"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val IV_BYTES = 12
    }
}

/** The store key, wrapped by the Keystore, in files of the no-backup directory. */
class KeystoreStoreKeyVault(context: Context, private val secrets: KeystoreSecrets = KeystoreSecrets()) : StoreKeyVault {
    private val dir: File = context.noBackupFilesDir

    private fun read(name: String): ByteArray? {
        val f = File(dir, name)
        return if (f.exists()) secrets.unwrap(f.readBytes()) else null
    }

    /** Written beside, synced, then renamed over: never half a key on disk. */
    private fun write(name: String, key: ByteArray?) {
        val f = File(dir, name)
        if (key == null) {
            f.delete()
            return
        }
        val tmp = File(dir, "$name.tmp")
        FileOutputStream(tmp).use { out ->
            out.write(secrets.wrap(key))
            out.fd.sync()
        }
        if (!tmp.renameTo(f)) throw java.io.IOException("could not save the store key")
    }

    override fun current(): ByteArray? = read(CURRENT)
    override fun saveCurrent(key: ByteArray) = write(CURRENT, key)
    override fun pending(): ByteArray? = read(PENDING)
    override fun savePending(key: ByteArray?) = write(PENDING, key)

    private companion object {
        const val CURRENT = "store-key.wrapped"
        const val PENDING = "store-key-next.wrapped"
    }
}
