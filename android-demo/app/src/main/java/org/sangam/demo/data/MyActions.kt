// "My actions": the open action items a person owns, across every meeting, overdue first. An
// owner is typed by whoever records the item ("Meena", "meena", "Meena Devi"), so an item is this
// user's when its owner names their display name or user id, ignoring case and spacing.
// Pure Kotlin: run on the JVM by android-demo/data-layer-test/run.sh.
package org.sangam.demo.data

import org.sangam.RecordRow

object MyActions {
    private fun norm(s: String): String = s.trim().lowercase().split(Regex("\\s+")).filter { it.isNotEmpty() }.joinToString(" ")

    /** Whether `owner` names this user (display name or user id). */
    fun isMine(owner: String?, settings: EnrolmentSettings): Boolean {
        val o = owner?.let(::norm)?.takeIf { it.isNotEmpty() } ?: return false
        return o == norm(settings.displayName) || o == norm(settings.userId)
    }

    /** Due before `today` (a `YYYY-MM-DD` date). */
    fun isOverdue(row: RecordRow, today: String): Boolean = row.due?.let { it < today } == true

    /** Overdue first, then by due date, undated last; then by title. */
    fun ordered(rows: List<RecordRow>, today: String): List<RecordRow> =
        rows.sortedWith(compareBy<RecordRow>({ !isOverdue(it, today) }, { it.due == null }, { it.due ?: "" }, { it.title ?: "" }))
}
