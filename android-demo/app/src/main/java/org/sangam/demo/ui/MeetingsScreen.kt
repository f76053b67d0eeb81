// Coalition meetings and the action items that outlive them: the list of meetings, a new
// meeting, and every open action item with its status.
package org.sangam.demo.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Add
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.FloatingActionButton
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
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
import androidx.compose.ui.unit.dp
import androidx.lifecycle.viewModelScope
import java.text.SimpleDateFormat
import java.util.Date
import java.util.Locale
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import org.sangam.ActionStatus
import org.sangam.RecordRow
import org.sangam.RecordStatus
import org.sangam.demo.R
import org.sangam.demo.data.MyActions
import org.sangam.demo.data.SangamRepository

data class MeetingsUiState(
    val meetings: List<RecordRow> = emptyList(),
    val openActions: List<RecordRow> = emptyList(),
    val mine: List<RecordRow> = emptyList(),
    val today: String = "",
)

class MeetingsViewModel(repo: SangamRepository) : SangamViewModel(repo) {
    private val _state = MutableStateFlow(MeetingsUiState())
    val state: StateFlow<MeetingsUiState> = _state.asStateFlow()

    init {
        viewModelScope.launch { repo.changes.collect { load() } }
    }

    private fun load() = launchSafely {
        val today = SimpleDateFormat("yyyy-MM-dd", Locale.ROOT).format(Date())
        _state.value = MeetingsUiState(repo.listMeetings(), repo.listActions(meetingId = null, openOnly = true), repo.myActions(today), today)
    }

    fun create(coalition: String, date: String, time: String, venue: String, agenda: String, then: (String) -> Unit) = launchSafely {
        val items = agenda.lines().map { it.trim() }.filter { it.isNotEmpty() }
        then(repo.createMeeting(coalition.trim(), date.trim(), time.trim(), venue.trim(), items))
    }

    fun setStatus(actionId: String, status: ActionStatus) = launchSafely { repo.setActionStatus(actionId, status) }
}

@Composable
fun MeetingsScreen(openMeeting: (String) -> Unit) {
    val vm: MeetingsViewModel = sangamViewModel("meetings") { MeetingsViewModel(it) }
    val ui: MeetingsUiState by vm.state.collectAsState()
    val message by vm.message.collectAsState()
    var creating by remember { mutableStateOf(false) }

    Box(Modifier.fillMaxSize()) {
        LazyColumn(Modifier.fillMaxSize().padding(horizontal = 16.dp)) {
            item { MessageCard(message) { vm.dismissMessage() } }
            // What this person has to do, before everything else.
            item { SectionTitle(stringResource(R.string.my_actions)) }
            if (ui.mine.isEmpty()) item { EmptyNote(stringResource(R.string.my_actions_none)) }
            items(ui.mine, key = { "mine-" + it.id }) { a ->
                if (MyActions.isOverdue(a, ui.today)) Text(stringResource(R.string.overdue), color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.labelMedium)
                ActionRow(a, onStatus = { s -> vm.setStatus(a.id, s) })
            }
            item { SectionTitle(stringResource(R.string.tab_meetings)) }
            if (ui.meetings.isEmpty()) item { EmptyNote(stringResource(R.string.meetings_empty)) }
            items(ui.meetings, key = { it.id }) { m ->
                ListItem(
                    headlineContent = { Text(m.title ?: stringResource(R.string.kind_meeting)) },
                    supportingContent = { Text("${m.scope} · ${ago(m.updatedAtMs)}") },
                    trailingContent = { if (m.conflicts > 0) Text(pluralText(R.plurals.conflicts_count, m.conflicts.toInt(), m.conflicts)) },
                    modifier = Modifier.clickable { openMeeting(m.id) },
                )
                HorizontalDivider()
            }
            item { SectionTitle(stringResource(R.string.open_action_items)) }
            if (ui.openActions.isEmpty()) item { EmptyNote(stringResource(R.string.no_open_actions)) }
            items(ui.openActions, key = { "a-" + it.id }) { a -> ActionRow(a, onStatus = { s -> vm.setStatus(a.id, s) }) }
        }
        FloatingActionButton(onClick = { creating = true }, modifier = Modifier.align(Alignment.BottomEnd).padding(16.dp)) {
            Icon(Icons.Filled.Add, contentDescription = stringResource(R.string.new_meeting))
        }
    }
    if (creating) {
        NewMeetingDialog(
            onCreate = { coalition, date, time, venue, agenda ->
                creating = false
                vm.create(coalition, date, time, venue, agenda, openMeeting)
            },
            onDismiss = { creating = false },
        )
    }
}

@Composable
private fun NewMeetingDialog(onCreate: (String, String, String, String, String) -> Unit, onDismiss: () -> Unit) {
    val now = Date()
    var coalition by remember { mutableStateOf("") }
    var date by remember { mutableStateOf(SimpleDateFormat("yyyy-MM-dd", Locale.ROOT).format(now)) }
    var time by remember { mutableStateOf(SimpleDateFormat("HH:mm", Locale.ROOT).format(now)) }
    var venue by remember { mutableStateOf("") }
    var agenda by remember { mutableStateOf("") }
    AlertDialog(
        onDismissRequest = onDismiss,
        title = { Text(stringResource(R.string.new_meeting)) },
        text = {
            Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                OutlinedTextField(coalition, { coalition = it }, label = { Text(stringResource(R.string.coalition)) }, singleLine = true)
                OutlinedTextField(date, { date = it }, label = { Text(stringResource(R.string.date_field)) }, singleLine = true)
                OutlinedTextField(time, { time = it }, label = { Text(stringResource(R.string.time_field)) }, singleLine = true)
                OutlinedTextField(venue, { venue = it }, label = { Text(stringResource(R.string.venue)) }, singleLine = true)
                OutlinedTextField(agenda, { agenda = it }, label = { Text(stringResource(R.string.agenda_lines)) }, minLines = 3)
            }
        },
        confirmButton = {
            Button(onClick = { onCreate(coalition, date, time, venue, agenda) }, enabled = coalition.isNotBlank()) { Text(stringResource(R.string.create)) }
        },
        dismissButton = { TextButton(onClick = onDismiss) { Text(stringResource(R.string.cancel)) } },
    )
}

/** One action item row with its owner, due date and a button to move its status on. */
@Composable
fun ActionRow(row: RecordRow, onStatus: (ActionStatus) -> Unit) {
    val status = (row.status as? RecordStatus.Action)?.status ?: ActionStatus.OPEN
    ListItem(
        headlineContent = { Text(row.title ?: stringResource(R.string.kind_action)) },
        supportingContent = { Text(stringResource(R.string.action_row, row.owner ?: "—", row.due ?: "—", statusLabel(RecordStatus.Action(status)))) },
        trailingContent = {
            when (status) {
                ActionStatus.OPEN -> TextButton(onClick = { onStatus(ActionStatus.IN_PROGRESS) }) { Text(stringResource(R.string.action_start)) }
                ActionStatus.IN_PROGRESS -> TextButton(onClick = { onStatus(ActionStatus.DONE) }) { Text(stringResource(R.string.action_finish)) }
                ActionStatus.DONE, ActionStatus.DROPPED -> TextButton(onClick = { onStatus(ActionStatus.OPEN) }) { Text(stringResource(R.string.action_reopen)) }
            }
        },
    )
    HorizontalDivider()
}
