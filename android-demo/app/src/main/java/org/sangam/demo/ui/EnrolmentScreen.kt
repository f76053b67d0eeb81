// Enrolment: the hub URL and device token typed in, or one enrolment code
// (sangam://enrol?hub=…&token=…) pasted or scanned from the hub's QR code; plus who uses the
// phone and the district (scope) new records belong to.
package org.sangam.demo.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalClipboardManager
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.unit.dp
import com.google.mlkit.vision.barcode.common.Barcode
import com.google.mlkit.vision.codescanner.GmsBarcodeScannerOptions
import com.google.mlkit.vision.codescanner.GmsBarcodeScanning
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import org.sangam.ApiException
import org.sangam.Enrolment
import org.sangam.UserRole
import org.sangam.demo.data.EnrolmentSettings
import org.sangam.demo.data.SangamRepository
import org.sangam.demo.data.userMessage
import org.sangam.demo.sync.SyncScheduler
import org.sangam.parseEnrolment

class EnrolmentViewModel(repo: SangamRepository) : SangamViewModel(repo) {
    private val _form = MutableStateFlow(
        repo.settings.value ?: EnrolmentSettings(hubUrl = "", token = "", scope = "", userId = "", displayName = "", role = UserRole.FIELD_WORKER),
    )
    val form: StateFlow<EnrolmentSettings> = _form.asStateFlow()

    fun edit(change: (EnrolmentSettings) -> EnrolmentSettings) {
        _form.update(change)
    }

    /** Fills the hub URL and token from an enrolment code; a malformed code is explained. */
    fun applyCode(text: String) {
        try {
            val e: Enrolment = parseEnrolment(text)
            _form.update { it.copy(hubUrl = e.hubUrl, token = e.token) }
            say("Enrolment code read: hub and token filled in.")
        } catch (e: ApiException) {
            say(userMessage(e))
        }
    }

    fun scanFailed() = say("The code could not be scanned. Paste it instead, or type the hub URL and token.")

    fun enrol(onDone: () -> Unit) {
        val settings = _form.value
        if (!settings.isComplete()) {
            say("Please fill in every field: hub URL, token, district, your id and name.")
            return
        }
        launchSafely {
            repo.enrol(settings)
            onDone()
        }
    }
}

@Composable
fun EnrolmentScreen(initialCode: String? = null, onEnrolled: () -> Unit) {
    val vm: EnrolmentViewModel = sangamViewModel("enrolment") { EnrolmentViewModel(it) }
    val form: EnrolmentSettings by vm.form.collectAsState()
    val message by vm.message.collectAsState()
    val context = LocalContext.current
    val clipboard = LocalClipboardManager.current
    var code by rememberSaveable { mutableStateOf(initialCode ?: "") }
    LaunchedEffect(initialCode) { if (initialCode != null) vm.applyCode(initialCode) }

    Column(
        Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        MessageCard(message) { vm.dismissMessage() }
        SectionTitle("Enrolment code")
        Text("Scan the QR code your coordinator shows, or paste the code (sangam://enrol?hub=…&token=…).", style = MaterialTheme.typography.bodySmall)
        OutlinedTextField(code, { code = it }, label = { Text("Enrolment code") }, modifier = Modifier.fillMaxWidth())
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            OutlinedButton(onClick = {
                val options = GmsBarcodeScannerOptions.Builder().setBarcodeFormats(Barcode.FORMAT_QR_CODE).build()
                GmsBarcodeScanning.getClient(context, options).startScan()
                    .addOnSuccessListener { barcode -> barcode.rawValue?.let { raw -> code = raw; vm.applyCode(raw) } }
                    .addOnFailureListener { vm.scanFailed() }
            }) { Text("Scan QR") }
            OutlinedButton(onClick = { clipboard.getText()?.text?.let { pasted -> code = pasted; vm.applyCode(pasted) } }) { Text("Paste") }
            Button(onClick = { vm.applyCode(code) }, enabled = code.isNotBlank()) { Text("Use code") }
        }

        SectionTitle("Hub")
        OutlinedTextField(
            form.hubUrl, { v -> vm.edit { it.copy(hubUrl = v.trim()) } },
            label = { Text("Hub URL") }, singleLine = true, modifier = Modifier.fillMaxWidth(),
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Uri),
        )
        OutlinedTextField(
            form.token, { v -> vm.edit { it.copy(token = v.trim()) } },
            label = { Text("Device token") }, singleLine = true, modifier = Modifier.fillMaxWidth(),
            visualTransformation = PasswordVisualTransformation(),
        )

        SectionTitle("You")
        OutlinedTextField(form.displayName, { v -> vm.edit { it.copy(displayName = v) } }, label = { Text("Your name") }, singleLine = true, modifier = Modifier.fillMaxWidth())
        OutlinedTextField(form.userId, { v -> vm.edit { it.copy(userId = v.trim()) } }, label = { Text("Your user id") }, singleLine = true, modifier = Modifier.fillMaxWidth())
        OutlinedTextField(form.scope, { v -> vm.edit { it.copy(scope = v.trim()) } }, label = { Text("District code (scope), e.g. UP-SIT") }, singleLine = true, modifier = Modifier.fillMaxWidth())
        Text("Role", style = MaterialTheme.typography.labelLarge)
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            UserRole.entries.forEach { role ->
                FilterChip(selected = form.role == role, onClick = { vm.edit { it.copy(role = role) } }, label = { Text(roleLabel(role)) })
            }
        }
        Button(
            onClick = {
                vm.enrol {
                    SyncScheduler.schedulePeriodic(context)
                    SyncScheduler.syncWhenOnline(context)
                    onEnrolled()
                }
            },
            modifier = Modifier.fillMaxWidth().padding(top = 12.dp),
        ) { Text("Enrol and sync") }
    }
}

fun roleLabel(role: UserRole): String = when (role) {
    UserRole.FIELD_WORKER -> "Field worker"
    UserRole.COORDINATOR -> "Coordinator"
    UserRole.ADMIN -> "Admin"
}
