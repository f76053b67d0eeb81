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
import org.sangam.demo.data.EnrolmentSettings
import org.sangam.demo.data.ExportedBundle
import org.sangam.demo.data.SangamRepository
import org.sangam.demo.data.SyncOutcome
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
    private var job: Job? = null

    init {
        viewModelScope.launch {
            repo.changes.collect { launchSafely { _unsynced.value = repo.unsyncedCount() } }
        }
    }

    fun syncNow() {
        if (job?.isActive == true) return
        _progress.value = null
        job = launchSafely {
            val result: SyncResult = repo.sync { p -> _progress.value = p }
            say(
                "Sync finished: sent ${result.progress.docsSent}, received ${result.progress.docsReceived}" +
                    if (result.newConflicts.isEmpty()) "." else ", ${result.newConflicts.size} new conflict(s).",
            )
        }
    }

    /** Cancels between round trips; what the hub already acknowledged stays. */
    fun cancel() {
        job?.cancel()
        say("Sync cancelled. What was already sent is kept; the rest goes next time.")
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
        say(
            if (bundle.sealed) "Bundle written ($kb KB), sealed: only your hub can read it. Carry it to the office."
            else "Bundle written ($kb KB), not sealed: anyone with the file can read it. Carry it to the office or another phone.",
        )
    }

    fun importFrom(uri: Uri, resolver: ContentResolver) = launchSafely {
        val bytes = withContext(Dispatchers.IO) {
            val input = resolver.openInputStream(uri) ?: throw IOException("cannot read the chosen file")
            input.use { it.readBytes() }
        }
        val result: BundleResult = repo.importBundle(bytes)
        say("Bundle imported: ${result.changed} changed, ${result.unchanged} already here, ${result.pending} waiting for earlier changes, ${result.rejected.size} refused.")
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
            KeyValue("Hub", s.hubUrl)
            KeyValue("District", s.scope)
            KeyValue("User", "${s.displayName} (${roleLabel(s.role)})")
        }
        KeyValue("Records not yet at the hub", unsynced?.toString() ?: "…")

        SectionTitle("Sync now")
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Button(onClick = { vm.syncNow() }, enabled = !running) { Text("Sync now") }
            OutlinedButton(onClick = { vm.cancel() }, enabled = running) { Text("Cancel") }
        }
        if (running) LinearProgressIndicator(Modifier.fillMaxWidth())
        progress?.let { p -> ProgressLines(p) }

        last?.let { outcome ->
            SectionTitle("Last sync, ${ago(outcome.atMs)}")
            outcome.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
            outcome.result?.let { r ->
                ProgressLines(r.progress)
                if (r.reset) Text("The hub's history was reset; this phone sent everything again.")
                if (r.newConflicts.isNotEmpty()) Text("${r.newConflicts.size} record(s) now have conflicts (see Conflicts).")
                r.rejected.forEach { rej -> Text("Refused by the hub: ${rej.id.take(8)}… — ${rej.reason}", color = MaterialTheme.colorScheme.error) }
                if (r.unreadable.isNotEmpty()) Text("${r.unreadable.size} record(s) from the hub could not be read: ${r.unreadable.first()}. Tell your coordinator.", color = MaterialTheme.colorScheme.error)
            }
        }

        SectionTitle("Background sync")
        Text("Runs every 30 minutes and as soon as a network returns after you save work offline.", style = MaterialTheme.typography.bodySmall)
        work.forEach { w -> WorkLine(w) }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            OutlinedButton(onClick = { SyncScheduler.syncWhenOnline(context) }) { Text("Sync when online") }
            OutlinedButton(onClick = { SyncScheduler.schedulePeriodic(context) }) { Text("Restart schedule") }
        }

        SectionTitle("Bundle files (USB, SD card, Bluetooth)")
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            OutlinedButton(onClick = { exportUnsynced.launch("sangam-unsynced.bundle") }) { Text("Export unsynced") }
            OutlinedButton(onClick = { exportAll.launch("sangam-all.bundle") }) { Text("Export all") }
        }
        OutlinedButton(onClick = { importBundle.launch(arrayOf("*/*")) }) { Text("Import a bundle") }
    }
}

@Composable
private fun ProgressLines(p: SyncProgressInfo) {
    KeyValue("Round trips", p.roundTrips.toString())
    KeyValue("Records sent / received", "${p.docsSent} / ${p.docsReceived}")
    KeyValue("Bytes sent / received", "${p.bytesSent} / ${p.bytesReceived}")
}

@Composable
private fun WorkLine(w: WorkInfo) {
    val kind = if (SyncScheduler.PERIODIC in w.tags) "Periodic" else "When online"
    val p = w.progress
    val detail = if (w.state == WorkInfo.State.RUNNING) {
        " · ${p.getInt(SyncWorker.ROUND_TRIPS, 0)} round trips, ${p.getLong(SyncWorker.DOCS_SENT, 0L)} sent, ${p.getLong(SyncWorker.DOCS_RECEIVED, 0L)} received"
    } else {
        ""
    }
    Text("$kind: ${w.state.name.lowercase()}$detail", style = MaterialTheme.typography.bodyMedium)
}
