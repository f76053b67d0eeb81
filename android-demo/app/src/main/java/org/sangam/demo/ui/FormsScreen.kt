// The published forms this phone has (they arrive with sync), and starting a survey, optionally
// about a household or person from the subject registry.
package org.sangam.demo.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.ListItem
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.viewModelScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import org.sangam.RecordRow
import org.sangam.demo.R
import org.sangam.demo.data.SangamRepository

class FormsViewModel(repo: SangamRepository) : SangamViewModel(repo) {
    private val _forms = MutableStateFlow<List<RecordRow>>(emptyList())
    val forms: StateFlow<List<RecordRow>> = _forms.asStateFlow()

    init {
        viewModelScope.launch { repo.changes.collect { load() } }
    }

    private fun load() = launchSafely { _forms.value = repo.listForms() }

    suspend fun findSubjects(name: String): List<RecordRow> =
        runCatching { repo.searchSubjects(name, "", "", 20u) }.getOrDefault(emptyList())

    fun start(form: RecordRow, subjectId: String?, then: (String) -> Unit) = launchSafely {
        then(repo.createResponse(form, subjectId))
    }
}

@Composable
fun FormsScreen(openSurvey: (String) -> Unit) {
    val vm: FormsViewModel = sangamViewModel("forms") { FormsViewModel(it) }
    val forms: List<RecordRow> by vm.forms.collectAsState()
    val message by vm.message.collectAsState()
    var starting by remember { mutableStateOf<RecordRow?>(null) }

    LazyColumn(Modifier.fillMaxSize().padding(horizontal = 16.dp)) {
        item { MessageCard(message) { vm.dismissMessage() } }
        if (forms.isEmpty()) {
            item { EmptyNote(stringResource(R.string.forms_empty)) }
        }
        items(forms, key = { it.id }) { form ->
            ListItem(
                headlineContent = { Text(form.title ?: form.formId ?: form.id) },
                supportingContent = { Text(stringResource(R.string.form_row, form.formId ?: "", form.formVersion ?: "?", form.scope)) },
                modifier = Modifier.clickable { starting = form },
            )
            HorizontalDivider()
        }
    }
    val chosen = starting
    if (chosen != null) {
        StartSurveyDialog(
            form = chosen,
            findSubjects = { vm.findSubjects(it) },
            onStart = { subjectId ->
                starting = null
                vm.start(chosen, subjectId, openSurvey)
            },
            onDismiss = { starting = null },
        )
    }
}

/** Asks which household or person (if any) a new survey is about. */
@Composable
fun StartSurveyDialog(
    form: RecordRow,
    findSubjects: suspend (String) -> List<RecordRow>,
    onStart: (String?) -> Unit,
    onDismiss: () -> Unit,
) {
    var query by remember { mutableStateOf("") }
    var matches by remember { mutableStateOf<List<RecordRow>>(emptyList()) }
    LaunchedEffect(query) { matches = if (query.isBlank()) emptyList() else findSubjects(query) }
    AlertDialog(
        onDismissRequest = onDismiss,
        title = { Text(stringResource(R.string.new_survey_title, form.title ?: form.formId ?: "")) },
        text = {
            Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                Text(stringResource(R.string.new_survey_about))
                OutlinedTextField(query, { query = it }, label = { Text(stringResource(R.string.name_starts_with)) }, singleLine = true, modifier = Modifier.fillMaxWidth())
                LazyColumn(Modifier.heightIn(max = 240.dp)) {
                    items(matches, key = { it.id }) { s ->
                        ListItem(
                            headlineContent = { Text(s.title ?: s.id) },
                            supportingContent = { Text(s.formId ?: "") },
                            modifier = Modifier.clickable { onStart(s.id) },
                        )
                    }
                }
            }
        },
        confirmButton = { Button(onClick = { onStart(null) }) { Text(stringResource(R.string.start_without)) } },
        dismissButton = { TextButton(onClick = onDismiss) { Text(stringResource(R.string.cancel)) } },
    )
}
