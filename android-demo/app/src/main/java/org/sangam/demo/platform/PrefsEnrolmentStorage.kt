// Enrolment settings in the app's private SharedPreferences (not backed up: allowBackup=false);
// the device token, which lets anyone sync as this phone, only wrapped by the Android Keystore.
package org.sangam.demo.platform

import android.content.Context
import android.content.SharedPreferences
import org.sangam.UserRole
import org.sangam.demo.data.EnrolmentSettings
import org.sangam.demo.data.EnrolmentStorage

class PrefsEnrolmentStorage(context: Context, private val secrets: KeystoreSecrets = KeystoreSecrets()) : EnrolmentStorage {
    private val prefs: SharedPreferences = context.getSharedPreferences("sangam_enrolment", Context.MODE_PRIVATE)

    override fun load(): EnrolmentSettings? {
        val hubUrl = prefs.getString(HUB_URL, null) ?: return null
        val roleName = prefs.getString(ROLE, null) ?: UserRole.FIELD_WORKER.name
        val role = UserRole.entries.firstOrNull { it.name == roleName } ?: UserRole.FIELD_WORKER
        return EnrolmentSettings(
            hubUrl = hubUrl,
            token = token(),
            scope = prefs.getString(SCOPE, "") ?: "",
            userId = prefs.getString(USER_ID, "") ?: "",
            displayName = prefs.getString(DISPLAY_NAME, "") ?: "",
            role = role,
        )
    }

    override fun save(settings: EnrolmentSettings) {
        // commit(), not apply(): enrolment is rare and must be on disk before the store opens.
        prefs.edit()
            .putString(HUB_URL, settings.hubUrl)
            .putString(WRAPPED_TOKEN, secrets.wrapText(settings.token))
            .remove(TOKEN)
            .putString(SCOPE, settings.scope)
            .putString(USER_ID, settings.userId)
            .putString(DISPLAY_NAME, settings.displayName)
            .putString(ROLE, settings.role.name)
            .commit()
    }

    /** The token, unwrapped; a clear one from before is wrapped now and the clear copy removed. */
    private fun token(): String {
        prefs.getString(WRAPPED_TOKEN, null)?.let { return secrets.unwrapText(it) }
        val clear = prefs.getString(TOKEN, null) ?: return ""
        prefs.edit().putString(WRAPPED_TOKEN, secrets.wrapText(clear)).remove(TOKEN).commit()
        return clear
    }

    private companion object {
        const val HUB_URL = "hub_url"
        const val TOKEN = "token"
        const val WRAPPED_TOKEN = "token_wrapped"
        const val SCOPE = "scope"
        const val USER_ID = "user_id"
        const val DISPLAY_NAME = "display_name"
        const val ROLE = "role"
    }
}
