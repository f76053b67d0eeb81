// Survey responses on this phone: status (draft, submitted, reviewed…), conflicts, and whether
// each has changes the hub does not have yet.
package org.sangam.demo.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.AssistChip
import androidx.compose.material3.FilterChip
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.viewModelScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import org.sangam.RecordRow
import org.sangam.ResponseStatus
import org.sangam.demo.R
import org.sangam.demo.data.SangamRepository

class ResponsesViewModel(repo: SangamRepository) : SangamViewModel(repo) {
    private val _rows = MutableStateFlow<List<RecordRow>>(emptyList())
    val rows: StateFlow<List<RecordRow>> = _rows.asStateFlow()
    private val _status = MutableStateFlow<ResponseStatus?>(null)
    /** The status filter: null for all, or one status. */
    val status: StateFlow<ResponseStatus?> = _status.asStateFlow()

    init {
        viewModelScope.launch { repo.changes.collect { load() } }
    }

    private fun load() = launchSafely { _rows.value = repo.listResponses(status = _status.value) }

    fun filter(status: ResponseStatus?) {
        _status.value = status
        load()
    }
}

@Composable
fun ResponsesScreen(openSurvey: (String) -> Unit, openConflicts: (String) -> Unit) {
    val vm: ResponsesViewModel = sangamViewModel("responses") { ResponsesViewModel(it) }
    val rows: List<RecordRow> by vm.rows.collectAsState()
    val status: ResponseStatus? by vm.status.collectAsState()
    val message by vm.message.collectAsState()

    LazyColumn(Modifier.fillMaxSize().padding(horizontal = 16.dp)) {
        item {
            Column {
                MessageCard(message) { vm.dismissMessage() }
                Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    (listOf<ResponseStatus?>(null) + ResponseStatus.entries).forEach { s ->
                        FilterChip(selected = status == s, onClick = { vm.filter(s) }, label = { Text(stringResource(if (s == null) R.string.filter_all else responseStatusLabel(s))) })
                    }
                }
            }
        }
        if (rows.isEmpty()) item { EmptyNote(stringResource(R.string.responses_empty)) }
        items(rows, key = { it.id }) { row -> ResponseRow(row, openSurvey, openConflicts) }
    }
}

@Composable
private fun ResponseRow(row: RecordRow, openSurvey: (String) -> Unit, openConflicts: (String) -> Unit) {
    ListItem(
        headlineContent = { Text(row.title ?: row.formId ?: row.id) },
        supportingContent = {
            Text("${responseStatusText(row.status)} · ${row.formId ?: ""} v${row.formVersion ?: "?"} · ${ago(row.updatedAtMs)}")
        },
        trailingContent = {
            Row(horizontalArrangement = Arrangement.spacedBy(4.dp)) {
                if (row.conflicts > 0) {
                    AssistChip(onClick = { openConflicts(row.id) }, label = { Text(pluralText(R.plurals.conflicts_count, row.conflicts.toInt(), row.conflicts)) })
                }
                if (row.unsynced) {
                    Text(stringResource(R.string.not_sent), color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.labelSmall)
                } else {
                    Text(stringResource(R.string.sent), style = MaterialTheme.typography.labelSmall)
                }
            }
        },
        modifier = Modifier.clickable { openSurvey(row.id) },
    )
    HorizontalDivider()
}
