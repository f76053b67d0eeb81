// Enrolment: the hub URL and device token typed in, or one enrolment code
// (sangam://enrol?hub=…&token=…) pasted or scanned from the hub's QR code; plus who uses the
// phone and the district (scope) new records belong to. The app's language is switched here too
// (this is the first screen a new phone shows).
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
import androidx.compose.ui.res.stringResource
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
import org.sangam.demo.R
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
            say(R.string.enrol_code_read)
        } catch (e: ApiException) {
            say(UiText.Problem(userMessage(e)))
        }
    }

    fun scanFailed() = say(R.string.enrol_scan_failed)

    fun enrol(onDone: () -> Unit) {
        val settings = _form.value
        if (!settings.isComplete()) {
            say(R.string.enrol_fill_all)
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
        LanguageSwitch()
        SectionTitle(stringResource(R.string.enrol_code_title))
        Text(stringResource(R.string.enrol_code_help), style = MaterialTheme.typography.bodySmall)
        OutlinedTextField(code, { code = it }, label = { Text(stringResource(R.string.enrol_code_title)) }, modifier = Modifier.fillMaxWidth())
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            OutlinedButton(onClick = {
                val options = GmsBarcodeScannerOptions.Builder().setBarcodeFormats(Barcode.FORMAT_QR_CODE).build()
                GmsBarcodeScanning.getClient(context, options).startScan()
                    .addOnSuccessListener { barcode -> barcode.rawValue?.let { raw -> code = raw; vm.applyCode(raw) } }
                    .addOnFailureListener { vm.scanFailed() }
            }) { Text(stringResource(R.string.enrol_scan)) }
            OutlinedButton(onClick = { clipboard.getText()?.text?.let { pasted -> code = pasted; vm.applyCode(pasted) } }) { Text(stringResource(R.string.paste)) }
            Button(onClick = { vm.applyCode(code) }, enabled = code.isNotBlank()) { Text(stringResource(R.string.use_code)) }
        }

        SectionTitle(stringResource(R.string.hub))
        OutlinedTextField(
            form.hubUrl, { v -> vm.edit { it.copy(hubUrl = v.trim()) } },
            label = { Text(stringResource(R.string.hub_url)) }, singleLine = true, modifier = Modifier.fillMaxWidth(),
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Uri),
        )
        OutlinedTextField(
            form.token, { v -> vm.edit { it.copy(token = v.trim()) } },
            label = { Text(stringResource(R.string.device_token)) }, singleLine = true, modifier = Modifier.fillMaxWidth(),
            visualTransformation = PasswordVisualTransformation(),
        )

        SectionTitle(stringResource(R.string.enrol_you))
        OutlinedTextField(form.displayName, { v -> vm.edit { it.copy(displayName = v) } }, label = { Text(stringResource(R.string.your_name)) }, singleLine = true, modifier = Modifier.fillMaxWidth())
        OutlinedTextField(form.userId, { v -> vm.edit { it.copy(userId = v.trim()) } }, label = { Text(stringResource(R.string.your_user_id)) }, singleLine = true, modifier = Modifier.fillMaxWidth())
        OutlinedTextField(form.scope, { v -> vm.edit { it.copy(scope = v.trim()) } }, label = { Text(stringResource(R.string.district_code)) }, singleLine = true, modifier = Modifier.fillMaxWidth())
        Text(stringResource(R.string.role), style = MaterialTheme.typography.labelLarge)
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            UserRole.entries.forEach { role ->
                FilterChip(selected = form.role == role, onClick = { vm.edit { it.copy(role = role) } }, label = { Text(stringResource(roleLabel(role))) })
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
        ) { Text(stringResource(R.string.enrol_button)) }
    }
}
