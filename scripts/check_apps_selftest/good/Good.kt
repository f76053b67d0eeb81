// Correct uses of the bindings, in the ways the apps use them: must pass without a finding.
package selftest

import org.sangam.ActionChanges
import org.sangam.ActionStatus
import org.sangam.AnswerValue
import org.sangam.ApiException
import org.sangam.CancelToken
import org.sangam.FormStateView
import org.sangam.QuestionView
import org.sangam.RecordRow
import org.sangam.SangamStore
import org.sangam.SyncProgressInfo
import org.sangam.SyncProgressListener
import org.sangam.UserInfo
import org.sangam.UserRole
import org.sangam.parseEnrolment

class Good(private val store: SangamStore) {
    fun survey(id: String): FormStateView {
        store.setAnswer(id, "consent", AnswerValue.Text("yes"))
        val state = store.formState(responseId = id, language = "Hindi (hi)")
        state.questions.filter { it.relevant }.forEach { q -> println(q.label ?: q.name) }
        state.repeats.forEach { rep -> rep.rows.forEachIndexed { i, row -> println("$i ${row.rowId} ${rep.expectedRows}") } }
        for (v in state.violations) println(v.message)
        return state
    }

    fun shown(q: QuestionView): String = when (val v = q.value) {
        is AnswerValue.Text -> v.value
        is AnswerValue.Choices -> v.values.joinToString()
        else -> ""
    }

    fun sync(hub: String, token: String): Int {
        val cancel = CancelToken()
        val listener = object : SyncProgressListener {
            override fun onProgress(progress: SyncProgressInfo) = println(progress.roundTrips)
        }
        return try {
            store.sync(hub, token, listener, cancel).rejected.size
        } catch (e: ApiException.Network) {
            -1
        } finally {
            cancel.destroy()
        }
    }

    fun rows(): List<RecordRow> = store.listForms(null).sortedByDescending { it.updatedAtMs }

    fun done(id: String) = store.updateAction(id, ActionChanges(null, null, null, false, ActionStatus.DONE, null))

    companion object {
        fun open(path: String): Good = Good(SangamStore.open(path, UserInfo("u", "U", UserRole.entries.first())))
        fun hub(code: String): String = parseEnrolment(code).hubUrl
    }
}
