// The coordinator's conflict screen: every record with concurrent values, and per record each
// conflicting field with every value, who wrote it, on which device and when. The coordinator
// picks one value (or types a new one); that resolution supersedes them all and is recorded in
// the record's history, shown below.
package org.sangam.demo.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.viewModelScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import org.sangam.AnswerValue
import org.sangam.FieldConflictView
import org.sangam.HistoryEntryView
import org.sangam.RecordRow
import org.sangam.UserRole
import org.sangam.demo.R
import org.sangam.demo.data.Answers
import org.sangam.demo.data.SangamRepository

class ConflictsViewModel(repo: SangamRepository) : SangamViewModel(repo) {
    private val _rows = MutableStateFlow<List<RecordRow>>(emptyList())
    val rows: StateFlow<List<RecordRow>> = _rows.asStateFlow()

    init {
        viewModelScope.launch { repo.changes.collect { load() } }
    }

    private fun load() = launchSafely { _rows.value = repo.recordsWithConflicts() }
}

@Composable
fun ConflictsScreen(openRecord: (String) -> Unit) {
    val vm: ConflictsViewModel = sangamViewModel("conflicts") { ConflictsViewModel(it) }
    val rows: List<RecordRow> by vm.rows.collectAsState()
    val message by vm.message.collectAsState()
    LazyColumn(Modifier.fillMaxSize().padding(horizontal = 16.dp)) {
        item { MessageCard(message) { vm.dismissMessage() } }
        if (rows.isEmpty()) item { EmptyNote(stringResource(R.string.conflicts_none)) }
        items(rows, key = { it.id }) { row ->
            ListItem(
                headlineContent = { Text(row.title ?: row.id) },
                overlineContent = { Text(stringResource(kindLabel(row.kind))) },
                supportingContent = { Text(pluralText(R.plurals.conflict_fields_row, row.conflicts.toInt(), row.conflicts, ago(row.updatedAtMs))) },
                modifier = Modifier.clickable { openRecord(row.id) },
            )
            HorizontalDivider()
        }
    }
}

data class RecordConflictsUiState(
    val conflicts: List<FieldConflictView> = emptyList(),
    val history: List<HistoryEntryView> = emptyList(),
    val canResolve: Boolean = false,
)

class RecordConflictsViewModel(repo: SangamRepository, private val id: String) : SangamViewModel(repo) {
    private val _state = MutableStateFlow(RecordConflictsUiState())
    val state: StateFlow<RecordConflictsUiState> = _state.asStateFlow()

    init {
        viewModelScope.launch { repo.changes.collect { load() } }
    }

    private fun load() = launchSafely {
        val role = repo.settings.value?.role
        _state.value = RecordConflictsUiState(
            conflicts = repo.conflicts(id),
            history = repo.history(id).reversed(),
            canResolve = role == UserRole.COORDINATOR || role == UserRole.ADMIN,
        )
    }

    /** Keeps the value at `index` of the field's values (any value: a structure too). */
    fun pick(path: String, index: Int) = launchSafely {
        repo.resolveConflictPick(id, path, index.toUInt())
        say(R.string.resolved)
    }

    fun resolve(path: String, value: AnswerValue) = launchSafely {
        repo.resolveConflict(id, path, value)
        say(R.string.resolved)
    }
}

@Composable
fun RecordConflictsScreen(id: String) {
    val vm: RecordConflictsViewModel = sangamViewModel("record-conflicts-$id") { RecordConflictsViewModel(it, id) }
    val ui: RecordConflictsUiState by vm.state.collectAsState()
    val message by vm.message.collectAsState()
    LazyColumn(Modifier.fillMaxSize().padding(horizontal = 16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        item {
            Column {
                MessageCard(message) { vm.dismissMessage() }
                if (!ui.canResolve) {
                    Text(stringResource(R.string.conflicts_only_coordinator), style = MaterialTheme.typography.bodySmall)
                }
                if (ui.conflicts.isEmpty()) EmptyNote(stringResource(R.string.conflicts_none_in_record))
            }
        }
        items(ui.conflicts, key = { it.path }) { c -> ConflictCard(c, ui.canResolve, vm) }
        item { SectionTitle(stringResource(R.string.history_title)) }
        items(ui.history, key = { it.change }) { h ->
            ListItem(
                headlineContent = { Text(h.fields.joinToString(", ").ifEmpty { stringResource(R.string.history_created) }) },
                supportingContent = { Text(describe(h.by)) },
            )
        }
    }
}

@Composable
private fun ConflictCard(c: FieldConflictView, canResolve: Boolean, vm: RecordConflictsViewModel) {
    var typed by remember(c.path) { mutableStateOf("") }
    val empty = stringResource(R.string.value_empty)
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
            Text(c.path, style = MaterialTheme.typography.titleSmall)
            c.values.forEachIndexed { i, v ->
                Row(verticalAlignment = Alignment.CenterVertically) {
                    Column(Modifier.weight(1f)) {
                        val shown = Answers.display(v.value, empty)
                        Text(if (v.shown) stringResource(R.string.conflict_shown_now, shown) else shown, style = MaterialTheme.typography.bodyLarge)
                        Text(describe(v.by), style = MaterialTheme.typography.bodySmall)
                    }
                    if (canResolve) OutlinedButton(onClick = { vm.pick(c.path, i) }) { Text(stringResource(R.string.use_this)) }
                }
            }
            if (canResolve) {
                Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    OutlinedTextField(typed, { typed = it }, label = { Text(stringResource(R.string.conflict_type_value)) }, singleLine = true, modifier = Modifier.weight(1f))
                    Button(onClick = { vm.resolve(c.path, AnswerValue.Text(typed.trim())) }, enabled = typed.isNotBlank()) { Text(stringResource(R.string.save)) }
                }
            }
        }
    }
}
