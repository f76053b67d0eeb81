// Converting between what a person types or taps and the core's AnswerValue, and showing
// a conflict's values. Pure Kotlin.
package org.sangam.demo.data

import org.sangam.AnswerValue
import org.sangam.ChoiceOption
import org.sangam.StoredValue

object Answers {
    /** A value as a person reads it; choice names are shown by their labels when known. */
    fun display(value: AnswerValue?, choices: List<ChoiceOption>? = null): String {
        fun label(name: String): String = choices?.firstOrNull { it.name == name }?.label ?: name
        return when (value) {
            null -> ""
            is AnswerValue.Bool -> if (value.value) "✓" else "✗"
            is AnswerValue.Int -> value.value.toString()
            is AnswerValue.Decimal -> value.value.toString()
            is AnswerValue.Text -> if (choices != null) label(value.value) else value.value
            is AnswerValue.Choices -> value.values.joinToString(", ") { label(it) }
        }
    }

    /** The raw text to put back into an input field. */
    fun editText(value: AnswerValue?): String = when (value) {
        null -> ""
        is AnswerValue.Bool -> if (value.value) "true" else ""
        is AnswerValue.Int -> value.value.toString()
        is AnswerValue.Decimal -> value.value.toString()
        is AnswerValue.Text -> value.value
        is AnswerValue.Choices -> value.values.joinToString(" ")
    }

    /** The chosen names of a select question. */
    fun chosen(value: AnswerValue?): Set<String> = when (value) {
        is AnswerValue.Choices -> value.values.toSet()
        is AnswerValue.Text -> value.value.split(' ').filter { it.isNotBlank() }.toSet()
        else -> emptySet()
    }

    /** A typed integer; text that is not a number is kept as text, so the core flags it. */
    fun integer(raw: String): AnswerValue? {
        val t = raw.trim()
        if (t.isEmpty()) return null
        return t.toLongOrNull()?.let { AnswerValue.Int(it) } ?: AnswerValue.Text(t)
    }

    /** A typed decimal; text that is not a number is kept as text, so the core flags it. */
    fun decimal(raw: String): AnswerValue? {
        val t = raw.trim().replace(',', '.')
        if (t.isEmpty()) return null
        return t.toDoubleOrNull()?.takeIf { it.isFinite() }?.let { AnswerValue.Decimal(it) } ?: AnswerValue.Text(raw.trim())
    }

    /** Free text; an empty field clears the answer. */
    fun text(raw: String): AnswerValue? = if (raw.isBlank()) null else AnswerValue.Text(raw)

    /** A geopoint as the core stores it: "lat lon" (ODK order); null when both parts are empty. */
    fun geopoint(latitude: String, longitude: String): AnswerValue? {
        val lat = latitude.trim().replace(',', '.')
        val lon = longitude.trim().replace(',', '.')
        if (lat.isEmpty() && lon.isEmpty()) return null
        return AnswerValue.Text("$lat $lon".trim())
    }

    /** Splits a stored geopoint into latitude and longitude text. */
    fun geopointParts(value: AnswerValue?): Pair<String, String> {
        val parts = editText(value).split(' ').filter { it.isNotBlank() }
        return Pair(parts.getOrElse(0) { "" }, parts.getOrElse(1) { "" })
    }

    /** A multi-select answer after toggling one choice. */
    fun toggle(value: AnswerValue?, choice: String, on: Boolean): AnswerValue? {
        val now = chosen(value).toMutableSet()
        if (on) now.add(choice) else now.remove(choice)
        return if (now.isEmpty()) null else AnswerValue.Choices(now.sorted())
    }

    /** "2026-11-29" from calendar fields (month 1..12). */
    fun date(year: Int, month: Int, day: Int): AnswerValue.Text =
        AnswerValue.Text("%04d-%02d-%02d".format(year, month, day))

    /** "10:30" from clock fields. */
    fun time(hour: Int, minute: Int): AnswerValue.Text = AnswerValue.Text("%02d:%02d".format(hour, minute))

    /** "2026-11-29T10:30:00" from calendar and clock fields. */
    fun dateTime(year: Int, month: Int, day: Int, hour: Int, minute: Int): AnswerValue.Text =
        AnswerValue.Text("%04d-%02d-%02dT%02d:%02d:00".format(year, month, day, hour, minute))

    /**
     * One of a conflict's values as a person reads it; a structure shows its parts by name.
     * `empty` is how a missing value reads, in the app's language.
     */
    fun display(value: StoredValue, empty: String = "(empty)"): String = when (value) {
        is StoredValue.Field -> display(value.value)
        is StoredValue.Empty -> empty
        is StoredValue.Items -> value.items.joinToString(", ", "[", "]") { display(it, empty) }
        is StoredValue.Parts -> value.parts.entries.sortedBy { it.key }.joinToString(", ", "{", "}") { "${it.key}: ${display(it.value, empty)}" }
    }
}
