// Who uses this phone and which hub it syncs with. Pure Kotlin (no Android types), so the data
// layer compiles and runs on a plain JVM too (android-demo/data-layer-test).
package org.sangam.demo.data

import org.sangam.UserInfo
import org.sangam.UserRole

/** What enrolment leaves on the phone: the hub, the device token, the district and the user. */
data class EnrolmentSettings(
    val hubUrl: String,
    val token: String,
    /** The district code (scope) new records are created in, e.g. "UP-SIT". */
    val scope: String,
    val userId: String,
    val displayName: String,
    val role: UserRole,
) {
    fun userInfo(): UserInfo = UserInfo(userId = userId, displayName = displayName, role = role)

    /** Whether every field needed to sync and create records is filled in. */
    fun isComplete(): Boolean =
        hubUrl.isNotBlank() && token.isNotBlank() && scope.isNotBlank() && userId.isNotBlank() && displayName.isNotBlank()
}

/** Where the settings live (SharedPreferences on Android, a map in tests). */
interface EnrolmentStorage {
    fun load(): EnrolmentSettings?
    fun save(settings: EnrolmentSettings)
}

/** Keeps settings in memory only (tests and previews). */
class InMemoryEnrolmentStorage(private var settings: EnrolmentSettings? = null) : EnrolmentStorage {
    override fun load(): EnrolmentSettings? = settings
    override fun save(settings: EnrolmentSettings) {
        this.settings = settings
    }
}
