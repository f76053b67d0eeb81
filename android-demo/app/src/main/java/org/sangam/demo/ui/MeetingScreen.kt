// One meeting: details and agenda, the attendance checklist, the minutes editor (several people
// may write at once; each change is saved with minutesReplace, which the core turns into a
// minimal character edit that merges), decisions, and the meeting's action items.
package org.sangam.demo.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.selection.toggleable
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.Checkbox
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
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
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.unit.dp
import androidx.lifecycle.viewModelScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import org.sangam.ActionStatus
import org.sangam.AttendeeView
import org.sangam.DecisionView
import org.sangam.MeetingView
import org.sangam.RecordRow
import org.sangam.demo.R
import org.sangam.demo.data.SangamRepository

data class MeetingUiState(val meeting: MeetingView? = null, val actions: List<RecordRow> = emptyList())

class MeetingViewModel(repo: SangamRepository, private val id: String) : SangamViewModel(repo) {
    private val _state = MutableStateFlow(MeetingUiState())
    val state: StateFlow<MeetingUiState> = _state.asStateFlow()

    private val _minutes = MutableStateFlow<String?>(null)
    /** The text in the minutes editor (null until the meeting is loaded). */
    val minutes: StateFlow<String?> = _minutes.asStateFlow()
    private var pendingMinutes = 0

    init {
        viewModelScope.launch { repo.changes.collect { load() } }
    }

    private fun load() = launchSafely {
        val m: MeetingView = repo.meeting(id)
        _state.value = MeetingUiState(m, repo.listActions(meetingId = id, openOnly = false))
        // Take the stored minutes (which may hold other people's merged edits) only when none of
        // this editor's own changes is still on its way to the store.
        if (pendingMinutes == 0) _minutes.value = m.minutes
    }

    fun editMinutes(text: String) {
        _minutes.value = text
        pendingMinutes++
        launchSafely {
            try {
                repo.replaceMinutes(id, text)
            } finally {
                pendingMinutes--
            }
        }
    }

    fun setPresent(attendeeId: String, present: Boolean) = launchSafely { repo.setAttendance(id, attendeeId, present) }

    fun addAttendee(name: String, role: String, organisation: String, contact: String) =
        launchSafely { repo.addAttendee(id, name.trim(), role.trim(), organisation.trim(), contact.trim()) }

    fun addAgendaItem(item: String) = launchSafely { repo.addAgendaItem(id, item.trim()) }

    fun addDecision(text: String) = launchSafely { repo.addDecision(id, text.trim()) }

    fun addAction(title: String, owner: String, due: String) =
        launchSafely { repo.createAction(id, title.trim(), owner.trim(), due.trim().ifEmpty { null }, "") }

    fun setActionStatus(actionId: String, status: ActionStatus) = launchSafely { repo.setActionStatus(actionId, status) }

    override fun onCleared() {
        repo.requestBackgroundSync()
    }
}

private enum class MeetingDialog { ATTENDEE, AGENDA, DECISION, ACTION }

@Composable
fun MeetingScreen(id: String) {
    val vm: MeetingViewModel = sangamViewModel("meeting-$id") { MeetingViewModel(it, id) }
    val ui: MeetingUiState by vm.state.collectAsState()
    val minutes: String? by vm.minutes.collectAsState()
    val message by vm.message.collectAsState()
    var dialog by remember { mutableStateOf<MeetingDialog?>(null) }
    val meeting: MeetingView = ui.meeting ?: run {
        MessageCard(message) { vm.dismissMessage() }
        return
    }

    LazyColumn(Modifier.fillMaxSize().padding(horizontal = 16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
        item {
            Column {
                MessageCard(message) { vm.dismissMessage() }
                Text(meeting.coalition, style = MaterialTheme.typography.titleLarge)
                Text("${meeting.date} ${meeting.time} · ${meeting.venue} · ${meeting.scope}")
                SectionTitle(stringResource(R.string.agenda))
            }
        }
        items(meeting.agenda.withIndex().toList(), key = { "agenda-" + it.index }) { item ->
            Text("${item.index + 1}. ${item.value}")
        }
        item {
            Column {
                TextButton(onClick = { dialog = MeetingDialog.AGENDA }) { Text(stringResource(R.string.add_agenda_item)) }
                SectionTitle(stringResource(R.string.attendance, meeting.attendees.count { it.present == true }, meeting.attendees.size))
            }
        }
        items(meeting.attendees, key = { "att-" + it.id }) { a -> AttendeeRow(a) { present -> vm.setPresent(a.id, present) } }
        item {
            Column {
                TextButton(onClick = { dialog = MeetingDialog.ATTENDEE }) { Text(stringResource(R.string.add_attendee)) }
                SectionTitle(stringResource(R.string.minutes))
                OutlinedTextField(
                    value = minutes ?: "",
                    onValueChange = { vm.editMinutes(it) },
                    placeholder = { Text(stringResource(R.string.minutes_placeholder)) },
                    minLines = 6,
                    modifier = Modifier.fillMaxWidth(),
                )
                SectionTitle(stringResource(R.string.decisions))
            }
        }
        items(meeting.decisions, key = { "dec-" + it.id }) { d: DecisionView ->
            ListItem(headlineContent = { Text(d.text) }, supportingContent = { Text(stringResource(R.string.decision_by, d.by, ago(d.atMs))) })
        }
        item {
            Column {
                TextButton(onClick = { dialog = MeetingDialog.DECISION }) { Text(stringResource(R.string.record_decision)) }
                SectionTitle(stringResource(R.string.action_items))
            }
        }
        items(ui.actions, key = { "act-" + it.id }) { a -> ActionRow(a, onStatus = { s -> vm.setActionStatus(a.id, s) }) }
        item {
            Column {
                TextButton(onClick = { dialog = MeetingDialog.ACTION }, modifier = Modifier.padding(bottom = 24.dp)) { Text(stringResource(R.string.add_action_item)) }
            }
        }
    }

    when (dialog) {
        MeetingDialog.ATTENDEE -> FieldsDialog(
            R.string.add_attendee, listOf(R.string.field_name, R.string.role, R.string.field_organisation, R.string.field_contact),
            onDismiss = { dialog = null },
        ) { v ->
            vm.addAttendee(v[0], v[1], v[2], v[3])
        }
        MeetingDialog.AGENDA -> FieldsDialog(R.string.add_agenda_item, listOf(R.string.field_item), onDismiss = { dialog = null }) { v -> vm.addAgendaItem(v[0]) }
        MeetingDialog.DECISION -> FieldsDialog(R.string.record_decision, listOf(R.string.field_decision), onDismiss = { dialog = null }) { v -> vm.addDecision(v[0]) }
        MeetingDialog.ACTION -> FieldsDialog(
            R.string.add_action_item, listOf(R.string.field_what, R.string.field_owner, R.string.field_due),
            onDismiss = { dialog = null },
        ) { v ->
            vm.addAction(v[0], v[1], v[2])
        }
        null -> Unit
    }
}

@Composable
private fun AttendeeRow(a: AttendeeView, onPresent: (Boolean) -> Unit) {
    val present = a.present == true
    Row(
        Modifier.fillMaxWidth().toggleable(value = present, role = Role.Checkbox, onValueChange = onPresent).padding(vertical = 4.dp),
        verticalAlignment = Alignment.CenterVertically,
    ) {
        Checkbox(checked = present, onCheckedChange = null)
        Column {
            Text(a.name)
            Text(listOf(a.role, a.organisation).filter { it.isNotBlank() }.joinToString(" · "), style = MaterialTheme.typography.bodySmall)
        }
    }
}

/** A small dialog with labelled text fields (string resources); the first field must be filled in. */
@Composable
private fun FieldsDialog(title: Int, labels: List<Int>, onDismiss: () -> Unit, onSave: (List<String>) -> Unit) {
    var values by remember { mutableStateOf(List(labels.size) { "" }) }
    AlertDialog(
        onDismissRequest = onDismiss,
        title = { Text(stringResource(title)) },
        text = {
            Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                labels.forEachIndexed { i, label ->
                    OutlinedTextField(
                        values[i],
                        { v -> values = values.toMutableList().also { it[i] = v } },
                        label = { Text(stringResource(label)) },
                    )
                }
            }
        },
        confirmButton = {
            Button(onClick = {
                onSave(values)
                onDismiss()
            }, enabled = values.first().isNotBlank()) { Text(stringResource(R.string.save)) }
        },
        dismissButton = { OutlinedButton(onClick = onDismiss) { Text(stringResource(R.string.cancel)) } },
    )
}
