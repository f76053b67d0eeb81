// Filling a survey, rendered from the live form state the core computes: only relevant
// questions are shown, constraint and required messages appear under their questions, and the
// state is re-read after every answer, so skip logic and calculations follow at once. Every
// change is saved as it is made (setAnswer / setRowAnswer); there is no "save" button. The form
// opens in the app's language (its Hindi labels in the Hindi app) and can be switched here.
package org.sangam.demo.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import org.sangam.AnswerValue
import org.sangam.FormStateView
import org.sangam.MigrationResult
import org.sangam.QuestionView
import org.sangam.RepeatRowState
import org.sangam.RepeatView
import org.sangam.ResponseStatus
import org.sangam.ValidationResult
import org.sangam.demo.R
import org.sangam.demo.data.Capture
import org.sangam.demo.data.FormEntry
import org.sangam.demo.data.FormLanguages
import org.sangam.demo.data.FormLayout
import org.sangam.demo.data.SangamRepository
import org.sangam.demo.platform.AppLocale

data class SurveyUiState(
    val form: FormStateView? = null,
    val language: String = FormLanguages.ENGLISH,
    val status: ResponseStatus? = null,
    val unsynced: Boolean = false,
    val validation: ValidationResult? = null,
    val migration: MigrationResult? = null,
)

/** `language`: the form language to open in (FormLanguages.forApp of the app's language). */
class SurveyViewModel(repo: SangamRepository, private val responseId: String, language: String) : SangamViewModel(repo) {
    private val _state = MutableStateFlow(SurveyUiState(language = language))
    val state: StateFlow<SurveyUiState> = _state.asStateFlow()

    // Results of quick successive edits are applied in the order the edits were made.
    private var issued = 0L
    private var applied = 0L
    private var edited = false

    init {
        reload()
    }

    private fun show(seq: Long, form: FormStateView) {
        if (seq < applied) return
        applied = seq
        _state.update { it.copy(form = form) }
    }

    fun reload() {
        val seq = ++issued
        launchSafely {
            val form: FormStateView = repo.formState(responseId, _state.value.language)
            show(seq, form)
            val r = repo.response(responseId)
            _state.update { it.copy(status = r.status, unsynced = r.unsynced) }
        }
    }

    fun setLanguage(language: String) {
        _state.update { it.copy(language = language) }
        reload()
    }

    private fun edit(block: suspend (String) -> FormStateView) {
        val seq = ++issued
        edited = true
        launchSafely {
            val form: FormStateView = block(_state.value.language)
            show(seq, form)
            _state.update { it.copy(unsynced = true) }
        }
    }

    fun answer(name: String, value: AnswerValue?) = edit { lang -> repo.answer(responseId, name, value, lang) }

    fun rowAnswer(repeat: String, rowId: String, name: String, value: AnswerValue?) =
        edit { lang -> repo.rowAnswer(responseId, repeat, rowId, name, value, lang) }

    /** Stores a captured photo, signature or clip and makes it the answer (in a repeat row with `rowId`). */
    fun attach(name: String, bytes: ByteArray, capture: Capture, repeat: String? = null, rowId: String? = null) = edit { lang ->
        repo.attachMedia(responseId, name, bytes, capture.ext, capture.mime, repeat, rowId)
        repo.formState(responseId, lang)
    }

    fun addRow(repeat: String) = edit { lang -> repo.addRepeatRow(responseId, repeat, lang) }

    /** A row of a repeat inside a repeat, in row `parentRow` of `parentRepeat` (a member's child). */
    fun addNestedRow(repeat: String, parentRepeat: String, parentRow: String) =
        edit { lang -> repo.addNestedRepeatRow(responseId, repeat, parentRepeat, parentRow, lang) }

    fun removeRow(repeat: String, rowId: String) = edit { lang -> repo.removeRepeatRow(responseId, repeat, rowId, lang) }

    fun submit() = launchSafely {
        val result: ValidationResult = repo.submit(responseId, _state.value.language)
        _state.update { it.copy(validation = result) }
        say(
            if (result.ok) UiText.Res(R.string.submitted)
            else UiText.Plural(R.plurals.submitted_with_problems, result.violations.size, result.violations.size),
        )
        reload()
    }

    fun moveToNewest() = launchSafely {
        val result: MigrationResult = repo.moveDraftToNewest(responseId)
        _state.update { it.copy(migration = result) }
        reload()
    }

    override fun onCleared() {
        if (edited) repo.requestBackgroundSync()
    }
}

@Composable
fun SurveyScreen(responseId: String, onClose: () -> Unit) {
    val context = LocalContext.current
    val vm: SurveyViewModel = sangamViewModel("survey-$responseId") {
        SurveyViewModel(it, responseId, FormLanguages.forApp(AppLocale.current(context)))
    }
    val ui: SurveyUiState by vm.state.collectAsState()
    val message by vm.message.collectAsState()
    val form: FormStateView? = ui.form

    LazyColumn(
        Modifier.fillMaxSize().padding(horizontal = 16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        item {
            Column {
                Row(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalAlignment = Alignment.CenterVertically) {
                    // The form's own languages; a form in one language needs no switch.
                    val choices = FormLanguages.choices(form?.languages)
                    if (choices.size > 1) {
                        choices.forEach { lang ->
                            val shown = form?.language ?: ui.language
                            FilterChip(selected = FormLanguages.same(shown, lang), onClick = { vm.setLanguage(lang) }, label = { Text(FormLanguages.shortName(lang)) })
                        }
                    }
                }
                if (form != null && !FormLanguages.same(form.language, ui.language)) {
                    Text(
                        stringResource(R.string.form_no_language, FormLanguages.shortName(ui.language), FormLanguages.shortName(form.language)),
                        style = MaterialTheme.typography.bodySmall,
                    )
                }
                Text(
                    stringResource(
                        R.string.survey_status,
                        ui.status?.let { stringResource(responseStatusLabel(it)) } ?: "…",
                        stringResource(if (ui.unsynced) R.string.not_yet_synced else R.string.synced),
                    ),
                    style = MaterialTheme.typography.bodySmall,
                )
            }
        }
        item { MessageCard(message) { vm.dismissMessage() } }
        if (form != null) {
            // Questions in form order, each repeat right where it stands among them.
            FormLayout.top(form).forEach { entry ->
                when (entry) {
                    is FormEntry.Question -> item(key = "q-" + entry.question.name) {
                        val q = entry.question
                        QuestionField(
                            q,
                            fieldKey = responseId + "/" + q.name,
                            onMedia = { bytes, capture -> vm.attach(q.name, bytes, capture) },
                        ) { value -> vm.answer(q.name, value) }
                    }
                    is FormEntry.Repeat -> item(key = "repeat-" + entry.repeat.name) {
                        RepeatSection(responseId, form, entry, null, vm)
                    }
                }
            }
            item { SubmitSection(ui, vm, onClose) }
        }
    }
}

/**
 * A repeat where it stands: its title, its rows (each a card with its own questions and the
 * repeats inside it, in place), and a button for another row. `parent` is the enclosing repeat
 * and row, for a repeat inside a repeat. Nesting is as deep as the published form's.
 */
@Composable
private fun RepeatSection(responseId: String, form: FormStateView, entry: FormEntry.Repeat, parent: Pair<String, String>?, vm: SurveyViewModel) {
    val rep = entry.repeat
    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
        SectionTitle(rep.label ?: rep.name)
        val expected = entry.expectedRows
        if (expected != null) {
            Text(stringResource(R.string.expected_rows, expected.toInt(), entry.rows.size), style = MaterialTheme.typography.bodySmall)
        }
        entry.rows.forEachIndexed { index, row -> RepeatRowCard(responseId, form, rep, index, row, vm) }
        OutlinedButton(onClick = {
            if (parent == null) vm.addRow(rep.name) else vm.addNestedRow(rep.name, parent.first, parent.second)
        }) { Text(stringResource(R.string.add_repeat, rep.label ?: rep.name)) }
    }
}

@Composable
private fun RepeatRowCard(responseId: String, form: FormStateView, rep: RepeatView, index: Int, row: RepeatRowState, vm: SurveyViewModel) {
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Row(verticalAlignment = Alignment.CenterVertically) {
                Text("${rep.label ?: rep.name} ${index + 1}", style = MaterialTheme.typography.titleSmall, modifier = Modifier.weight(1f))
                TextButton(onClick = { vm.removeRow(rep.name, row.rowId) }) { Text(stringResource(R.string.remove)) }
            }
            FormLayout.inRow(form, rep, row).forEach { entry ->
                when (entry) {
                    is FormEntry.Question -> {
                        val q: QuestionView = entry.question
                        QuestionField(
                            q,
                            fieldKey = responseId + "/" + row.rowId + "/" + q.name,
                            onMedia = { bytes, capture -> vm.attach(q.name, bytes, capture, rep.name, row.rowId) },
                        ) { value ->
                            vm.rowAnswer(rep.name, row.rowId, q.name, value)
                        }
                    }
                    is FormEntry.Repeat -> RepeatSection(responseId, form, entry, Pair(rep.name, row.rowId), vm)
                }
            }
        }
    }
}

@Composable
private fun SubmitSection(ui: SurveyUiState, vm: SurveyViewModel, onClose: () -> Unit) {
    Column(verticalArrangement = Arrangement.spacedBy(8.dp), modifier = Modifier.padding(bottom = 24.dp)) {
        val validation = ui.validation
        if (validation != null && !validation.ok) {
            SectionTitle(stringResource(R.string.needs_attention))
            validation.violations.forEach { v ->
                Text(
                    if (v.rowId != null) stringResource(R.string.violation_in_row, v.question, v.message) else "• ${v.question}: ${v.message}",
                    color = MaterialTheme.colorScheme.error,
                )
            }
        }
        val migration = ui.migration
        if (migration != null) {
            Text(stringResource(R.string.migrated, migration.fromVersion, migration.toVersion, migration.kept.toLong(), migration.converted.size))
            migration.leftOut.forEach { l -> Text("• ${l.question}: ${l.reason}", style = MaterialTheme.typography.bodySmall) }
        }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Button(onClick = { vm.submit() }) { Text(stringResource(R.string.submit)) }
            OutlinedButton(onClick = { vm.moveToNewest() }) { Text(stringResource(R.string.use_newest)) }
            TextButton(onClick = onClose) { Text(stringResource(R.string.close)) }
        }
        Text(stringResource(R.string.autosave_note), style = MaterialTheme.typography.bodySmall)
    }
}
