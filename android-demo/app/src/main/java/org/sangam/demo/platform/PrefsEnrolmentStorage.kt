// Enrolment settings in the app's private SharedPreferences (not backed up: allowBackup=false).
package org.sangam.demo.platform

import android.content.Context
import android.content.SharedPreferences
import org.sangam.UserRole
import org.sangam.demo.data.EnrolmentSettings
import org.sangam.demo.data.EnrolmentStorage

class PrefsEnrolmentStorage(context: Context) : EnrolmentStorage {
    private val prefs: SharedPreferences = context.getSharedPreferences("sangam_enrolment", Context.MODE_PRIVATE)

    override fun load(): EnrolmentSettings? {
        val hubUrl = prefs.getString(HUB_URL, null) ?: return null
        val roleName = prefs.getString(ROLE, null) ?: UserRole.FIELD_WORKER.name
        val role = UserRole.entries.firstOrNull { it.name == roleName } ?: UserRole.FIELD_WORKER
        return EnrolmentSettings(
            hubUrl = hubUrl,
            token = prefs.getString(TOKEN, "") ?: "",
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
            .putString(TOKEN, settings.token)
            .putString(SCOPE, settings.scope)
            .putString(USER_ID, settings.userId)
            .putString(DISPLAY_NAME, settings.displayName)
            .putString(ROLE, settings.role.name)
            .commit()
    }

    private companion object {
        const val HUB_URL = "hub_url"
        const val TOKEN = "token"
        const val SCOPE = "scope"
        const val USER_ID = "user_id"
        const val DISPLAY_NAME = "display_name"
        const val ROLE = "role"
    }
}
