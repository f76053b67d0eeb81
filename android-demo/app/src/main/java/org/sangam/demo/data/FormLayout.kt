// Where each part of a survey stands: the questions in form order, with each repeat right after
// the question it follows in the form (RepeatView.after), at the top level and inside each row
// of an enclosing repeat (a household's members, each member's children). The screens render
// these entries in order. Pure Kotlin: run on the JVM by android-demo/data-layer-test/run.sh.
package org.sangam.demo.data

import org.sangam.FormStateView
import org.sangam.QuestionView
import org.sangam.RepeatRowState
import org.sangam.RepeatView

sealed class FormEntry {
    data class Question(val question: QuestionView) : FormEntry()

    /**
     * A repeat at this place: its rows here (at the top level all of them; inside a row, those
     * of that row), whether it applies here, and how many rows the form asks for.
     */
    data class Repeat(val repeat: RepeatView, val rows: List<RepeatRowState>, val relevant: Boolean, val expectedRows: UInt?) : FormEntry()
}

object FormLayout {
    /** The top level of `form`: relevant questions, and the top-level repeats where they stand. */
    fun top(form: FormStateView): List<FormEntry> {
        val repeats = form.repeats.filter { it.parent == null }
        return place(form.questions, repeats) { r -> FormEntry.Repeat(r, r.rows, r.relevant, r.expectedRows) }
    }

    /** Row `row` of repeat `repeat`: its relevant questions, and the repeats inside it where they stand. */
    fun inRow(form: FormStateView, repeat: RepeatView, row: RepeatRowState): List<FormEntry> {
        val inner = form.repeats.filter { it.parent == repeat.name }
        return place(row.questions, inner) { r ->
            val here = row.inner.firstOrNull { it.name == r.name }
            FormEntry.Repeat(r, r.rows.filter { it.parentRow == row.rowId }, here?.relevant ?: r.relevant, here?.expectedRows ?: r.expectedRows)
        }
    }

    private fun place(questions: List<QuestionView>, repeats: List<RepeatView>, entry: (RepeatView) -> FormEntry.Repeat): List<FormEntry> {
        val out = mutableListOf<FormEntry>()
        // A repeat following no question, or one this level does not list, stands first or last.
        val known = questions.map { it.name }.toSet()
        repeats.filter { it.after == null }.forEach { out.add(entry(it)) }
        for (q in questions) {
            if (q.relevant) out.add(FormEntry.Question(q))
            repeats.filter { it.after == q.name }.forEach { out.add(entry(it)) }
        }
        repeats.filter { it.after != null && it.after !in known }.forEach { out.add(entry(it)) }
        return out.filter { it !is FormEntry.Repeat || it.relevant }
    }
}
