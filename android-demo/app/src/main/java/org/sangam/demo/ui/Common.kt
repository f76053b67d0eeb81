// Shared pieces of the screens: the ViewModel base (errors become a message a person can act
// on, in the app's language: see Texts.kt), a ViewModel factory over the repository, and small
// composables.
package org.sangam.demo.ui

import android.text.format.DateUtils
import androidx.annotation.StringRes
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import androidx.lifecycle.viewmodel.compose.viewModel
import androidx.lifecycle.viewmodel.initializer
import androidx.lifecycle.viewmodel.viewModelFactory
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import org.sangam.ChangeBy
import org.sangam.demo.R
import org.sangam.demo.SangamApplication
import org.sangam.demo.data.SangamRepository
import org.sangam.demo.data.userMessage

/** A ViewModel over the repository whose failures become a message instead of a crash. */
abstract class SangamViewModel(protected val repo: SangamRepository) : ViewModel() {
    private val _message = MutableStateFlow<UiText?>(null)
    val message: StateFlow<UiText?> = _message.asStateFlow()

    fun dismissMessage() {
        _message.value = null
    }

    protected fun say(text: UiText) {
        _message.value = text
    }

    protected fun say(@StringRes id: Int, vararg args: Any) = say(UiText.Res(id, *args))

    protected fun launchSafely(block: suspend CoroutineScope.() -> Unit): Job = viewModelScope.launch {
        try {
            block()
        } catch (e: CancellationException) {
            throw e
        } catch (e: Exception) {
            _message.value = UiText.Problem(userMessage(e))
        }
    }
}

/** A ViewModel built over the app's repository, kept per `key` (e.g. one per record id). */
@Composable
inline fun <reified VM : ViewModel> sangamViewModel(key: String? = null, crossinline create: (SangamRepository) -> VM): VM {
    val app = LocalContext.current.applicationContext as SangamApplication
    return viewModel(key = key, factory = viewModelFactory { initializer { create(app.repository) } })
}

@Composable
fun MessageCard(message: UiText?, onDismiss: () -> Unit) {
    if (message == null) return
    Card(
        colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.secondaryContainer),
        modifier = Modifier.fillMaxWidth().padding(vertical = 4.dp),
    ) {
        Row(Modifier.padding(12.dp), verticalAlignment = Alignment.CenterVertically) {
            Text(message.asString(), modifier = Modifier.weight(1f))
            TextButton(onClick = onDismiss) { Text(stringResource(R.string.ok)) }
        }
    }
}

@Composable
fun SectionTitle(text: String) {
    Text(text, style = MaterialTheme.typography.titleMedium, modifier = Modifier.padding(top = 12.dp, bottom = 4.dp))
}

@Composable
fun KeyValue(key: String, value: String) {
    Row(Modifier.fillMaxWidth().padding(vertical = 2.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        Text(key, style = MaterialTheme.typography.labelLarge, modifier = Modifier.weight(0.4f))
        Text(value, style = MaterialTheme.typography.bodyMedium, modifier = Modifier.weight(0.6f))
    }
}

@Composable
fun EmptyNote(text: String) {
    Column(Modifier.fillMaxWidth().padding(24.dp), horizontalAlignment = Alignment.CenterHorizontally) {
        Text(text, style = MaterialTheme.typography.bodyMedium, color = MaterialTheme.colorScheme.onSurfaceVariant)
    }
}

/** "5 minutes ago" style time for list rows (in the default locale, which is the app's). */
fun ago(ms: Long): String =
    if (ms <= 0L) "" else DateUtils.getRelativeTimeSpanString(ms, System.currentTimeMillis(), DateUtils.MINUTE_IN_MILLIS).toString()

/** Who changed something, on which device and when (history and conflict values). */
@Composable
fun describe(by: ChangeBy): String =
    stringResource(R.string.changed_by, by.userName.ifBlank { by.userId }, by.device.take(8), ago(by.timeMs))
