// The app's own languages (its screens) and the form languages a survey is shown in. Pure
// Kotlin: the choice is kept by the Android app (platform/AppLocale.kt).
package org.sangam.demo.data

/** The languages the app's screens come in; `tag` names the resource folder (values-hi). */
enum class AppLanguage(val tag: String, val ownName: String) {
    ENGLISH("en", "English"),
    HINDI("hi", "हिन्दी");

    companion object {
        fun fromTag(tag: String?): AppLanguage? = entries.firstOrNull { it.tag == tag }
    }
}

/** The form languages the demo offers (labels in XLSForm columns `label::English (en)` etc.). */
object FormLanguages {
    const val ENGLISH = "English (en)"
    const val HINDI = "Hindi (hi)"
    val all = listOf(ENGLISH, HINDI)

    fun shortName(language: String): String = when (language) {
        HINDI -> "हिन्दी"
        ENGLISH -> "English"
        else -> language
    }

    /**
     * The form language a survey opens in for the app's language: the form's Hindi labels in
     * the Hindi app. A form without that column is shown in its default language (the core
     * falls back), and the survey screen can still switch.
     */
    fun forApp(language: AppLanguage): String = when (language) {
        AppLanguage.HINDI -> HINDI
        AppLanguage.ENGLISH -> ENGLISH
    }
}
