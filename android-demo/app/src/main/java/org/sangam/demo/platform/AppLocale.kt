// The language of the app's screens, chosen in the app (English / हिन्दी) and kept in the app's
// SharedPreferences; before a choice, a phone set to Hindi gets Hindi. The activity wraps its
// base context with it (attachBaseContext) and is recreated when the choice changes, so every
// string resource, date picker and "5 minutes ago" follows. No AppCompat needed (API 23+).
package org.sangam.demo.platform

import android.content.Context
import android.content.SharedPreferences
import android.content.res.Configuration
import android.content.res.Resources
import java.util.Locale
import org.sangam.demo.data.AppLanguage

object AppLocale {
    private const val PREFS = "sangam_ui"
    private const val LANGUAGE = "language"

    private fun prefs(context: Context): SharedPreferences = context.getSharedPreferences(PREFS, Context.MODE_PRIVATE)

    /** The chosen language; before any choice, Hindi on a phone set to Hindi, else English. */
    fun current(context: Context): AppLanguage =
        AppLanguage.fromTag(prefs(context).getString(LANGUAGE, null)) ?: phoneLanguage()

    @Suppress("DEPRECATION") // Configuration.locales is API 24; locale is there on API 23 too.
    private fun phoneLanguage(): AppLanguage =
        if (Resources.getSystem().configuration.locale.language == AppLanguage.HINDI.tag) AppLanguage.HINDI else AppLanguage.ENGLISH

    /** Saves the choice; the caller recreates the activity so the screens change language. */
    fun choose(context: Context, language: AppLanguage) {
        prefs(context).edit().putString(LANGUAGE, language.tag).apply()
    }

    /** `base` with the app's language in its configuration, for Activity.attachBaseContext. */
    fun wrap(base: Context): Context {
        val locale = Locale(current(base).tag)
        // DateUtils ("5 minutes ago") and String.format read the default locale.
        Locale.setDefault(locale)
        val config = Configuration(base.resources.configuration)
        config.setLocale(locale)
        return base.createConfigurationContext(config)
    }
}
