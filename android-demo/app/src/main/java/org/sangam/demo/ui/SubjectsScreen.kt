// The subject registry (households, people, enterprises): search by name, village or phone
// prefix, register a new one, and open one to see and edit its attributes and its surveys.
package org.sangam.demo.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Add
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.FilterChip
import androidx.compose.material3.FloatingActionButton
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.ListItem
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import androidx.lifecycle.viewModelScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import org.sangam.AnswerValue
import org.sangam.RecordRow
import org.sangam.SubjectView
import org.sangam.demo.R
import org.sangam.demo.data.Answers
import org.sangam.demo.data.SangamRepository

data class SubjectQueryText(val name: String = "", val village: String = "", val phone: String = "")

class SubjectsViewModel(repo: SangamRepository) : SangamViewModel(repo) {
    private val _query = MutableStateFlow(SubjectQueryText())
    val query: StateFlow<SubjectQueryText> = _query.asStateFlow()
    private val _rows = MutableStateFlow<List<RecordRow>>(emptyList())
    val rows: StateFlow<List<RecordRow>> = _rows.asStateFlow()

    init {
        viewModelScope.launch { repo.changes.collect { search() } }
    }

    fun setQuery(q: SubjectQueryText) {
        _query.value = q
        search()
    }

    private fun search() = launchSafely {
        val q = _query.value
        _rows.value = repo.searchSubjects(q.name, q.village, q.phone)
    }

    fun create(type: String, name: String, village: String, phone: String, age: String, then: (String) -> Unit) = launchSafely {
        val attrs = mutableMapOf<String, AnswerValue>("name" to AnswerValue.Text(name.trim()))
        if (village.isNotBlank()) attrs["village"] = AnswerValue.Text(village.trim())
        if (phone.isNotBlank()) attrs["phone"] = AnswerValue.Text(phone.trim())
        Answers.integer(age)?.let { attrs["age"] = it }
        then(repo.createSubject(type, attrs))
    }
}

@Composable
fun SubjectsScreen(openSubject: (String) -> Unit) {
    val vm: SubjectsViewModel = sangamViewModel("subjects") { SubjectsViewModel(it) }
    val query: SubjectQueryText by vm.query.collectAsState()
    val rows: List<RecordRow> by vm.rows.collectAsState()
    val message by vm.message.collectAsState()
    var creating by remember { mutableStateOf(false) }

    Box(Modifier.fillMaxSize()) {
        LazyColumn(Modifier.fillMaxSize().padding(horizontal = 16.dp)) {
            item {
                Column {
                    MessageCard(message) { vm.dismissMessage() }
                    OutlinedTextField(query.name, { vm.setQuery(query.copy(name = it)) }, label = { Text(stringResource(R.string.name_starts_with)) }, singleLine = true, modifier = Modifier.fillMaxWidth())
                    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                        OutlinedTextField(query.village, { vm.setQuery(query.copy(village = it)) }, label = { Text(stringResource(R.string.village)) }, singleLine = true, modifier = Modifier.weight(1f))
                        OutlinedTextField(
                            query.phone, { vm.setQuery(query.copy(phone = it)) }, label = { Text(stringResource(R.string.phone)) }, singleLine = true,
                            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Phone), modifier = Modifier.weight(1f),
                        )
                    }
                }
            }
            if (rows.isEmpty()) item { EmptyNote(stringResource(R.string.subjects_empty)) }
            items(rows, key = { it.id }) { row ->
                ListItem(
                    headlineContent = { Text(row.title ?: row.id) },
                    supportingContent = { Text("${subjectTypeLabel(row.formId)} · ${row.scope} · ${ago(row.updatedAtMs)}") },
                    trailingContent = { if (row.conflicts > 0) Text(pluralText(R.plurals.conflicts_count, row.conflicts.toInt(), row.conflicts)) },
                    modifier = Modifier.clickable { openSubject(row.id) },
                )
                HorizontalDivider()
            }
        }
        FloatingActionButton(onClick = { creating = true }, modifier = Modifier.align(Alignment.BottomEnd).padding(16.dp)) {
            Icon(Icons.Filled.Add, contentDescription = stringResource(R.string.register))
        }
    }
    if (creating) {
        NewSubjectDialog(
            onCreate = { type, name, village, phone, age ->
                creating = false
                vm.create(type, name, village, phone, age, openSubject)
            },
            onDismiss = { creating = false },
        )
    }
}

@Composable
private fun NewSubjectDialog(onCreate: (String, String, String, String, String) -> Unit, onDismiss: () -> Unit) {
    var type by remember { mutableStateOf("household") }
    var name by remember { mutableStateOf("") }
    var village by remember { mutableStateOf("") }
    var phone by remember { mutableStateOf("") }
    var age by remember { mutableStateOf("") }
    AlertDialog(
        onDismissRequest = onDismiss,
        title = { Text(stringResource(R.string.register)) },
        text = {
            Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    subjectTypes.forEach { t ->
                        FilterChip(selected = type == t, onClick = { type = t }, label = { Text(subjectTypeLabel(t)) })
                    }
                }
                OutlinedTextField(name, { name = it }, label = { Text(stringResource(R.string.field_name)) }, singleLine = true)
                OutlinedTextField(village, { village = it }, label = { Text(stringResource(R.string.village)) }, singleLine = true)
                OutlinedTextField(
                    phone, { phone = it }, label = { Text(stringResource(R.string.phone)) }, singleLine = true,
                    keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Phone),
                )
                if (type == "person") {
                    OutlinedTextField(
                        age, { age = it }, label = { Text(stringResource(R.string.age)) }, singleLine = true,
                        keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Number),
                    )
                }
            }
        },
        confirmButton = { Button(onClick = { onCreate(type, name, village, phone, age) }, enabled = name.isNotBlank()) { Text(stringResource(R.string.save)) } },
        dismissButton = { TextButton(onClick = onDismiss) { Text(stringResource(R.string.cancel)) } },
    )
}

data class SubjectUiState(
    val subject: SubjectView? = null,
    val responses: List<RecordRow> = emptyList(),
    val forms: List<RecordRow> = emptyList(),
)

class SubjectViewModel(repo: SangamRepository, private val id: String) : SangamViewModel(repo) {
    private val _state = MutableStateFlow(SubjectUiState())
    val state: StateFlow<SubjectUiState> = _state.asStateFlow()

    init {
        viewModelScope.launch { repo.changes.collect { load() } }
    }

    private fun load() = launchSafely {
        val subject: SubjectView = repo.subject(id)
        _state.value = SubjectUiState(subject, repo.listResponses(subjectId = id), repo.listForms())
    }

    /** Sets one attribute; an empty value removes it. */
    fun setAttribute(key: String, value: String) = launchSafely {
        val k = key.trim()
        if (k.isEmpty()) return@launchSafely
        if (value.isBlank()) repo.updateSubject(id, emptyMap(), listOf(k)) else repo.updateSubject(id, mapOf(k to AnswerValue.Text(value.trim())), emptyList())
    }

    fun startSurvey(form: RecordRow, then: (String) -> Unit) = launchSafely { then(repo.createResponse(form, id)) }
}

@Composable
fun SubjectScreen(id: String, openSurvey: (String) -> Unit) {
    val vm: SubjectViewModel = sangamViewModel("subject-$id") { SubjectViewModel(it, id) }
    val ui: SubjectUiState by vm.state.collectAsState()
    val message by vm.message.collectAsState()
    var editing by remember { mutableStateOf<Pair<String, String>?>(null) }
    val subject: SubjectView = ui.subject ?: run {
        MessageCard(message) { vm.dismissMessage() }
        return
    }

    LazyColumn(Modifier.fillMaxSize().padding(horizontal = 16.dp)) {
        item {
            Column {
                MessageCard(message) { vm.dismissMessage() }
                SectionTitle("${subjectTypeLabel(subject.subjectType)} · ${subject.scope}")
                subject.mergedInto?.let { Text(stringResource(R.string.merged_into, it)) }
            }
        }
        items(subject.attrs.entries.sortedBy { it.key }, key = { it.key }) { e ->
            ListItem(
                headlineContent = { Text(Answers.display(e.value)) },
                overlineContent = { Text(e.key) },
                modifier = Modifier.clickable { editing = Pair(e.key, Answers.editText(e.value)) },
            )
        }
        item {
            Column {
                OutlinedButton(onClick = { editing = Pair("", "") }) { Text(stringResource(R.string.add_attribute)) }
                SectionTitle(stringResource(R.string.surveys_about, subject.attrs["name"]?.let { Answers.display(it) } ?: stringResource(R.string.this_record)))
            }
        }
        items(ui.responses, key = { it.id }) { r ->
            ListItem(
                headlineContent = { Text(r.title ?: r.formId ?: r.id) },
                supportingContent = { Text("${responseStatusText(r.status)} · ${ago(r.updatedAtMs)}") },
                modifier = Modifier.clickable { openSurvey(r.id) },
            )
        }
        item { SectionTitle(stringResource(R.string.start_survey)) }
        items(ui.forms, key = { "form-" + it.id }) { f ->
            ListItem(
                headlineContent = { Text(f.title ?: f.formId ?: f.id) },
                modifier = Modifier.clickable { vm.startSurvey(f, openSurvey) },
            )
        }
    }
    val edit = editing
    if (edit != null) {
        var key by remember(edit) { mutableStateOf(edit.first) }
        var value by remember(edit) { mutableStateOf(edit.second) }
        AlertDialog(
            onDismissRequest = { editing = null },
            title = { Text(stringResource(R.string.attribute)) },
            text = {
                Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                    OutlinedTextField(key, { key = it }, label = { Text(stringResource(R.string.attribute_name)) }, singleLine = true, enabled = edit.first.isEmpty())
                    OutlinedTextField(value, { value = it }, label = { Text(stringResource(R.string.attribute_value)) })
                }
            },
            confirmButton = {
                Button(onClick = {
                    vm.setAttribute(key, value)
                    editing = null
                }) { Text(stringResource(R.string.save)) }
            },
            dismissButton = { TextButton(onClick = { editing = null }) { Text(stringResource(R.string.cancel)) } },
        )
    }
}
