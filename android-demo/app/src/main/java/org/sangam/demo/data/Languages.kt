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

    /** A language as a switch shows it: Hindi and English by their own names, others as the form names them (without the code). */
    fun shortName(language: String): String = when {
        same(language, HINDI) -> "हिन्दी"
        same(language, ENGLISH) -> "English"
        else -> language.substringBefore(" (").trim().ifEmpty { language }
    }

    /** The languages a survey's switch offers: the form's own (its default first), or these two before the form is read. */
    fun choices(formLanguages: List<String>?): List<String> = formLanguages?.takeIf { it.isNotEmpty() } ?: all

    /** The code a language name carries: "hi" in "Hindi (hi)", or a bare two- or three-letter code. */
    fun code(language: String): String? {
        val inParens = Regex("""\(([A-Za-z]{2,3})\)\s*$""").find(language)?.groupValues?.get(1)
        val bare = language.trim().takeIf { Regex("[A-Za-z]{2,3}").matches(it) }
        return (inParens ?: bare)?.lowercase()
    }

    /**
     * Whether two names mean one language, as the core matches them: the same name, the same
     * code, or the same name before the code ("Hindi (hi)", "hi" and a form's "Hindi" column).
     */
    fun same(a: String, b: String): Boolean {
        if (a == b) return true
        val ca = code(a)
        if (ca != null && ca == code(b)) return true
        return a.substringBefore(" (").trim().equals(b.substringBefore(" (").trim(), ignoreCase = true)
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
