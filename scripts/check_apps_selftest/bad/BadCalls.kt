// Planted mistakes: scripts/check_apps.py must report every one (see SELFTEST_EXPECTED).
package selftest

import org.sangam.ActionStatus
import org.sangam.AnswerValue
import org.sangam.FormStatView
import org.sangam.QuestionView
import org.sangam.RecordRow
import org.sangam.ResponseQuery
import org.sangam.SangamStore

class Bad(private val store: SangamStore) {
    fun calls(id: String) {
        store.formStat(id, "English (en)")
        store.setAnswer(id, "respondent_name")
        val v = AnswerValue.Txt("x")
        store.listResponses(
            ResponseQuery(
                formid = null, formVersion = null, status = null, subjectId = null, scope = null,
                updatedSinceMs = null, hasConflicts = null, limit = 10u, offset = null,
            ),
        )
        val s = ActionStatus.FINISHED
    }

    fun readOnly(q: QuestionView): Boolean = q.readonly

    fun stale(rows: List<RecordRow>) = rows.filter { it.stale }

    fun shown(v: AnswerValue): String = when (v) {
        is AnswerValue.Text -> v.valu
        else -> ""
    }

    fun named(id: String) = store.formState(responseID = id, language = null)
}
