// Sync: "Sync now" with live progress (round trips, records and bytes each way) and Cancel;
// the last result (rejections with reasons, new conflicts); background sync through WorkManager
// (periodic, and "as soon as online"); and bundle files for carrying changes by hand.
package org.sangam.demo.ui

import android.content.ContentResolver
import android.net.Uri
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.viewModelScope
import androidx.work.WorkInfo
import java.io.IOException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import org.sangam.BundleResult
import org.sangam.SyncProgressInfo
import org.sangam.SyncResult
import org.sangam.demo.R
import org.sangam.demo.data.EnrolmentSettings
import org.sangam.demo.data.ExportedBundle
import org.sangam.demo.data.SangamRepository
import org.sangam.demo.data.SyncOutcome
import org.sangam.demo.data.SyncStatus
import org.sangam.demo.sync.SyncScheduler
import org.sangam.demo.sync.SyncWorker

class SyncViewModel(repo: SangamRepository) : SangamViewModel(repo) {
    private val _progress = MutableStateFlow<SyncProgressInfo?>(null)
    /** Progress of the running foreground sync (updated from the sync thread). */
    val progress: StateFlow<SyncProgressInfo?> = _progress.asStateFlow()
    val running: StateFlow<Boolean> = repo.syncRunning
    val lastSync: StateFlow<SyncOutcome?> = repo.lastSync
    val settings: StateFlow<EnrolmentSettings?> = repo.settings
    private val _unsynced = MutableStateFlow<Long?>(null)
    val unsynced: StateFlow<Long?> = _unsynced.asStateFlow()
    private val _status = MutableStateFlow<SyncStatus?>(null)
    /** How the syncs have gone, as the store keeps it across restarts (background syncs too). */
    val status: StateFlow<SyncStatus?> = _status.asStateFlow()
    private var job: Job? = null

    init {
        viewModelScope.launch {
            repo.changes.collect {
                launchSafely {
                    _unsynced.value = repo.unsyncedCount()
                    _status.value = repo.syncStatus()
                }
            }
        }
    }

    fun syncNow() {
        if (job?.isActive == true) return
        _progress.value = null
        job = launchSafely {
            val result: SyncResult = repo.sync { p -> _progress.value = p }
            val sent = result.progress.docsSent.toLong()
            val received = result.progress.docsReceived.toLong()
            val conflicts = result.newConflicts.size
            say(
                if (conflicts == 0) UiText.Res(R.string.sync_finished, sent, received)
                else UiText.Plural(R.plurals.sync_finished_conflicts, conflicts, sent, received, conflicts),
            )
        }
    }

    /** Cancels between round trips; what the hub already acknowledged stays. */
    fun cancel() {
        job?.cancel()
        say(R.string.sync_cancelled)
    }

    /**
     * What the hub lacks goes sealed to the hub (only it can read the file: a lost SD card shows
     * nothing); everything goes unsealed, for another phone.
     */
    fun exportTo(uri: Uri, resolver: ContentResolver, onlyUnsynced: Boolean) = launchSafely {
        val bundle = if (onlyUnsynced) repo.exportBundleForHub(onlyUnsynced = true) else ExportedBundle(repo.exportBundle(false), sealed = false)
        withContext(Dispatchers.IO) {
            val out = resolver.openOutputStream(uri) ?: throw IOException("cannot write the chosen file")
            out.use { it.write(bundle.bytes) }
        }
        val kb = bundle.bytes.size / 1024
        say(if (bundle.sealed) R.string.bundle_sealed else R.string.bundle_unsealed, kb)
    }

    fun importFrom(uri: Uri, resolver: ContentResolver) = launchSafely {
        val bytes = withContext(Dispatchers.IO) {
            val input = resolver.openInputStream(uri) ?: throw IOException("cannot read the chosen file")
            input.use { it.readBytes() }
        }
        val result: BundleResult = repo.importBundle(bytes)
        say(R.string.bundle_imported, result.changed.toLong(), result.unchanged.toLong(), result.pending.toLong(), result.rejected.size)
    }
}

@Composable
fun SyncScreen() {
    val vm: SyncViewModel = sangamViewModel("sync") { SyncViewModel(it) }
    val context = LocalContext.current
    val progress: SyncProgressInfo? by vm.progress.collectAsState()
    val running: Boolean by vm.running.collectAsState()
    val last: SyncOutcome? by vm.lastSync.collectAsState()
    val settings: EnrolmentSettings? by vm.settings.collectAsState()
    val unsynced: Long? by vm.unsynced.collectAsState()
    val status: SyncStatus? by vm.status.collectAsState()
    val message by vm.message.collectAsState()
    val workFlow = remember { SyncScheduler.workInfos(context) }
    val work: List<WorkInfo> by workFlow.collectAsState(initial = emptyList())
    val exportAll = rememberLauncherForActivityResult(ActivityResultContracts.CreateDocument("application/octet-stream")) { uri ->
        if (uri != null) vm.exportTo(uri, context.contentResolver, onlyUnsynced = false)
    }
    val exportUnsynced = rememberLauncherForActivityResult(ActivityResultContracts.CreateDocument("application/octet-stream")) { uri ->
        if (uri != null) vm.exportTo(uri, context.contentResolver, onlyUnsynced = true)
    }
    val importBundle = rememberLauncherForActivityResult(ActivityResultContracts.OpenDocument()) { uri ->
        if (uri != null) vm.importFrom(uri, context.contentResolver)
    }

    Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        MessageCard(message) { vm.dismissMessage() }
        settings?.let { s ->
            KeyValue(stringResource(R.string.hub), s.hubUrl)
            KeyValue(stringResource(R.string.district), s.scope)
            KeyValue(stringResource(R.string.user), "${s.displayName} (${stringResource(roleLabel(s.role))})")
        }
        KeyValue(stringResource(R.string.records_not_at_hub), unsynced?.toString() ?: "…")
        // Kept by the store: right after a restart, and for syncs WorkManager ran.
        status?.let { st ->
            KeyValue(stringResource(R.string.last_synced), st.lastOkMs?.let { ago(it) } ?: stringResource(R.string.never_synced))
            val failure = st.failure
            if (failure != null && st.failedAtMs != null) {
                Text(stringResource(R.string.last_try_failed, ago(st.failedAtMs), messageText(failure)), color = MaterialTheme.colorScheme.error)
            }
        }

        SectionTitle(stringResource(R.string.sync_now))
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Button(onClick = { vm.syncNow() }, enabled = !running) { Text(stringResource(R.string.sync_now)) }
            OutlinedButton(onClick = { vm.cancel() }, enabled = running) { Text(stringResource(R.string.cancel)) }
        }
        if (running) LinearProgressIndicator(Modifier.fillMaxWidth())
        progress?.let { p -> ProgressLines(p) }

        last?.let { outcome ->
            SectionTitle(stringResource(R.string.last_sync, ago(outcome.atMs)))
            outcome.error?.let { Text(messageText(it), color = MaterialTheme.colorScheme.error) }
            outcome.result?.let { r ->
                ProgressLines(r.progress)
                if (r.reset) Text(stringResource(R.string.hub_reset))
                if (r.newConflicts.isNotEmpty()) Text(pluralText(R.plurals.new_conflicts_note, r.newConflicts.size, r.newConflicts.size))
                r.rejected.forEach { rej -> Text(stringResource(R.string.refused_by_hub, rej.id.take(8), rej.reason), color = MaterialTheme.colorScheme.error) }
                if (r.unreadable.isNotEmpty()) {
                    Text(pluralText(R.plurals.unreadable, r.unreadable.size, r.unreadable.size, r.unreadable.first()), color = MaterialTheme.colorScheme.error)
                }
            }
        }

        SectionTitle(stringResource(R.string.background_sync))
        Text(stringResource(R.string.background_note), style = MaterialTheme.typography.bodySmall)
        work.forEach { w -> WorkLine(w) }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            OutlinedButton(onClick = { SyncScheduler.syncWhenOnline(context) }) { Text(stringResource(R.string.sync_when_online)) }
            OutlinedButton(onClick = { SyncScheduler.schedulePeriodic(context) }) { Text(stringResource(R.string.restart_schedule)) }
        }

        SectionTitle(stringResource(R.string.bundles_title))
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            OutlinedButton(onClick = { exportUnsynced.launch("sangam-unsynced.bundle") }) { Text(stringResource(R.string.export_unsynced)) }
            OutlinedButton(onClick = { exportAll.launch("sangam-all.bundle") }) { Text(stringResource(R.string.export_all)) }
        }
        OutlinedButton(onClick = { importBundle.launch(arrayOf("*/*")) }) { Text(stringResource(R.string.import_bundle)) }
    }
}

@Composable
private fun ProgressLines(p: SyncProgressInfo) {
    KeyValue(stringResource(R.string.round_trips), p.roundTrips.toString())
    KeyValue(stringResource(R.string.records_sent_received), "${p.docsSent} / ${p.docsReceived}")
    KeyValue(stringResource(R.string.bytes_sent_received), "${p.bytesSent} / ${p.bytesReceived}")
}

@Composable
private fun WorkLine(w: WorkInfo) {
    val kind = stringResource(if (SyncScheduler.PERIODIC in w.tags) R.string.work_periodic else R.string.work_when_online)
    val p = w.progress
    val detail = if (w.state == WorkInfo.State.RUNNING) {
        " · " + stringResource(
            R.string.work_progress,
            p.getInt(SyncWorker.ROUND_TRIPS, 0), p.getLong(SyncWorker.DOCS_SENT, 0L), p.getLong(SyncWorker.DOCS_RECEIVED, 0L),
        )
    } else {
        ""
    }
    Text("$kind: ${stringResource(workStateLabel(w.state))}$detail", style = MaterialTheme.typography.bodyMedium)
}
