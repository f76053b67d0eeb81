// One input per question kind the core reports: text, integer, decimal, select_one,
// select_multiple, date, time, datetime, geopoint (typed latitude/longitude), note, calculate
// (read-only), acknowledge, and media: a photo from the camera (brought down to the question's
// max-pixels), a signature or drawing on a pad, an audio clip from the microphone. Each change is
// handed to `onAnswer` at once (`null` clears the answer); captured media go to `onMedia`, which
// stores the file and makes its name the answer.
package org.sangam.demo.ui

import android.app.DatePickerDialog
import android.app.TimePickerDialog
import android.Manifest
import android.content.Context
import android.content.pm.PackageManager
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.height
import androidx.compose.material3.AlertDialog
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.remember
import androidx.compose.ui.viewinterop.AndroidView
import java.io.IOException
import kotlinx.coroutines.delay
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.selection.selectable
import androidx.compose.foundation.selection.toggleable
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material3.Checkbox
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import java.util.Calendar
import org.sangam.AnswerValue
import org.sangam.QuestionType
import org.sangam.QuestionView
import org.sangam.demo.R
import org.sangam.demo.data.Answers
import org.sangam.demo.data.Capture
import org.sangam.demo.platform.AudioClipRecorder
import org.sangam.demo.platform.PhotoCapture
import org.sangam.demo.platform.SignaturePad

@Composable
fun QuestionField(
    q: QuestionView,
    fieldKey: String,
    onMedia: (ByteArray, Capture) -> Unit = { _, _ -> },
    onAnswer: (AnswerValue?) -> Unit,
) {
    Column(Modifier.fillMaxWidth(), verticalArrangement = Arrangement.spacedBy(4.dp)) {
        val label = q.label ?: q.name
        Text(
            if (q.required) "$label *" else label,
            style = if (q.kind == QuestionType.NOTE) MaterialTheme.typography.bodyLarge else MaterialTheme.typography.titleSmall,
            fontWeight = if (q.kind == QuestionType.NOTE) FontWeight.Normal else FontWeight.SemiBold,
        )
        q.hint?.let { Text(it, style = MaterialTheme.typography.bodySmall, color = MaterialTheme.colorScheme.onSurfaceVariant) }
        when {
            q.kind == QuestionType.NOTE -> Unit
            q.kind == QuestionType.CALCULATE || q.readOnly -> ReadOnlyValue(q)
            q.kind == QuestionType.TEXT -> TextAnswer(q, fieldKey, KeyboardType.Text, multiline = true, parse = Answers::text, onAnswer = onAnswer)
            q.kind == QuestionType.INTEGER -> TextAnswer(q, fieldKey, KeyboardType.Number, multiline = false, parse = Answers::integer, onAnswer = onAnswer)
            q.kind == QuestionType.DECIMAL -> TextAnswer(q, fieldKey, KeyboardType.Decimal, multiline = false, parse = Answers::decimal, onAnswer = onAnswer)
            Capture.forQuestion(q) != null -> MediaAnswer(q, Capture.forQuestion(q)!!, onMedia, onAnswer)
            q.kind == QuestionType.SELECT_ONE -> SelectOne(q, onAnswer)
            q.kind == QuestionType.SELECT_MULTIPLE -> SelectMultiple(q, onAnswer)
            q.kind == QuestionType.DATE -> DateTimeAnswer(q, withDate = true, withTime = false, onAnswer = onAnswer)
            q.kind == QuestionType.TIME -> DateTimeAnswer(q, withDate = false, withTime = true, onAnswer = onAnswer)
            q.kind == QuestionType.DATETIME -> DateTimeAnswer(q, withDate = true, withTime = true, onAnswer = onAnswer)
            q.kind == QuestionType.GEOPOINT -> GeopointAnswer(q, fieldKey, onAnswer)
            q.kind == QuestionType.ACKNOWLEDGE -> Acknowledge(q, onAnswer)
            else -> TextAnswer(q, fieldKey, KeyboardType.Text, multiline = false, parse = Answers::text, onAnswer = onAnswer, placeholder = "(${q.kind.name.lowercase()})")
        }
        q.problem?.let { Text(it, color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodySmall) }
    }
}

@Composable
private fun ReadOnlyValue(q: QuestionView) {
    val shown = Answers.display(q.value, q.choices)
    Text(if (shown.isEmpty()) "—" else shown, style = MaterialTheme.typography.bodyLarge)
}

@Composable
private fun TextAnswer(
    q: QuestionView,
    fieldKey: String,
    keyboard: KeyboardType,
    multiline: Boolean,
    parse: (String) -> AnswerValue?,
    onAnswer: (AnswerValue?) -> Unit,
    placeholder: String? = null,
) {
    // The field keeps what is typed; each change is saved and the form state re-read.
    var text by rememberSaveable(fieldKey) { mutableStateOf(Answers.editText(q.value)) }
    OutlinedTextField(
        value = text,
        onValueChange = { v ->
            text = v
            onAnswer(parse(v))
        },
        placeholder = if (placeholder != null) { { Text(placeholder) } } else null,
        isError = q.problem != null,
        singleLine = !multiline,
        keyboardOptions = KeyboardOptions(keyboardType = keyboard),
        modifier = Modifier.fillMaxWidth(),
    )
}

@Composable
private fun SelectOne(q: QuestionView, onAnswer: (AnswerValue?) -> Unit) {
    val chosen = Answers.chosen(q.value)
    Column {
        q.choices.orEmpty().forEach { c ->
            val selected = c.name in chosen
            Row(
                Modifier.fillMaxWidth().selectable(selected = selected, role = Role.RadioButton, onClick = { onAnswer(AnswerValue.Text(c.name)) }),
                verticalAlignment = Alignment.CenterVertically,
            ) {
                RadioButton(selected = selected, onClick = null)
                Text(c.label)
            }
        }
        if (chosen.isNotEmpty()) TextButton(onClick = { onAnswer(null) }) { Text(stringResource(R.string.clear)) }
    }
}

@Composable
private fun SelectMultiple(q: QuestionView, onAnswer: (AnswerValue?) -> Unit) {
    val chosen = Answers.chosen(q.value)
    Column {
        q.choices.orEmpty().forEach { c ->
            val checked = c.name in chosen
            Row(
                Modifier.fillMaxWidth().toggleable(value = checked, role = Role.Checkbox, onValueChange = { on -> onAnswer(Answers.toggle(q.value, c.name, on)) }),
                verticalAlignment = Alignment.CenterVertically,
            ) {
                Checkbox(checked = checked, onCheckedChange = null)
                Text(c.label)
            }
        }
    }
}

@Composable
private fun Acknowledge(q: QuestionView, onAnswer: (AnswerValue?) -> Unit) {
    val value = q.value
    val checked = value is AnswerValue.Bool && value.value
    Row(
        Modifier.toggleable(value = checked, role = Role.Checkbox, onValueChange = { on -> onAnswer(if (on) AnswerValue.Bool(true) else null) }),
        verticalAlignment = Alignment.CenterVertically,
    ) {
        Checkbox(checked = checked, onCheckedChange = null)
        Text(stringResource(R.string.ok))
    }
}

@Composable
private fun DateTimeAnswer(q: QuestionView, withDate: Boolean, withTime: Boolean, onAnswer: (AnswerValue?) -> Unit) {
    val context = LocalContext.current
    val current = Answers.editText(q.value)
    val prompt = stringResource(
        when {
            withDate && withTime -> R.string.pick_date_time
            withDate -> R.string.pick_date
            else -> R.string.pick_time
        },
    )
    Row(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalAlignment = Alignment.CenterVertically) {
        OutlinedButton(onClick = { pickDateTime(context, current, withDate, withTime, onAnswer) }) {
            Text(current.ifEmpty { prompt })
        }
        if (current.isNotEmpty()) TextButton(onClick = { onAnswer(null) }) { Text(stringResource(R.string.clear)) }
    }
}

/** Opens the platform date and/or time pickers, starting from the saved value when there is one. */
private fun pickDateTime(context: Context, current: String, withDate: Boolean, withTime: Boolean, onAnswer: (AnswerValue?) -> Unit) {
    val cal = Calendar.getInstance()
    val datePart = current.substringBefore('T')
    val timePart = if (withDate) current.substringAfter('T', "") else current
    Regex("""(\d{4})-(\d{2})-(\d{2})""").find(datePart)?.let { m ->
        cal.set(m.groupValues[1].toInt(), m.groupValues[2].toInt() - 1, m.groupValues[3].toInt())
    }
    Regex("""(\d{1,2}):(\d{2})""").find(timePart)?.let { m ->
        cal.set(Calendar.HOUR_OF_DAY, m.groupValues[1].toInt())
        cal.set(Calendar.MINUTE, m.groupValues[2].toInt())
    }
    fun askTime(then: (Int, Int) -> Unit) {
        TimePickerDialog(context, { _, hour, minute -> then(hour, minute) }, cal.get(Calendar.HOUR_OF_DAY), cal.get(Calendar.MINUTE), true).show()
    }
    if (!withDate) {
        askTime { h, m -> onAnswer(Answers.time(h, m)) }
        return
    }
    DatePickerDialog(context, { _, year, month, day ->
        if (withTime) {
            askTime { h, m -> onAnswer(Answers.dateTime(year, month + 1, day, h, m)) }
        } else {
            onAnswer(Answers.date(year, month + 1, day))
        }
    }, cal.get(Calendar.YEAR), cal.get(Calendar.MONTH), cal.get(Calendar.DAY_OF_MONTH)).show()
}

@Composable
private fun GeopointAnswer(q: QuestionView, fieldKey: String, onAnswer: (AnswerValue?) -> Unit) {
    val (lat0, lon0) = Answers.geopointParts(q.value)
    var lat by rememberSaveable(fieldKey + "/lat") { mutableStateOf(lat0) }
    var lon by rememberSaveable(fieldKey + "/lon") { mutableStateOf(lon0) }
    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        OutlinedTextField(
            value = lat,
            onValueChange = { v ->
                lat = v
                onAnswer(Answers.geopoint(v, lon))
            },
            label = { Text(stringResource(R.string.latitude)) },
            singleLine = true,
            isError = q.problem != null,
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Decimal),
            modifier = Modifier.weight(1f),
        )
        OutlinedTextField(
            value = lon,
            onValueChange = { v ->
                lon = v
                onAnswer(Answers.geopoint(lat, v))
            },
            label = { Text(stringResource(R.string.longitude)) },
            singleLine = true,
            isError = q.problem != null,
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Decimal),
            modifier = Modifier.weight(1f),
        )
    }
}

/** A media answer: what is attached, and the button that captures (or replaces) it. */
@Composable
private fun MediaAnswer(q: QuestionView, capture: Capture, onMedia: (ByteArray, Capture) -> Unit, onAnswer: (AnswerValue?) -> Unit) {
    var problem by rememberSaveable(q.name) { mutableStateOf<String?>(null) }
    val attached = Answers.display(q.value)
    if (attached.isNotEmpty()) {
        Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(stringResource(R.string.media_attached, attached), style = MaterialTheme.typography.bodySmall)
            TextButton(onClick = { onAnswer(null) }) { Text(stringResource(R.string.clear)) }
        }
    }
    when (capture) {
        Capture.PHOTO -> PhotoButton(q, onMedia) { problem = it }
        Capture.SIGNATURE, Capture.DRAWING -> PadButton(capture, onMedia)
        Capture.AUDIO -> AudioButtons(onMedia) { problem = it }
        Capture.VIDEO, Capture.FILE -> Text(stringResource(R.string.media_not_on_phone), style = MaterialTheme.typography.bodySmall)
    }
    problem?.let { Text(it, color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodySmall) }
}

@Composable
private fun PhotoButton(q: QuestionView, onMedia: (ByteArray, Capture) -> Unit, onProblem: (String?) -> Unit) {
    val context = LocalContext.current
    val camera = remember { PhotoCapture(context) }
    val noCamera = stringResource(R.string.no_camera)
    val unreadable = stringResource(R.string.photo_unreadable)
    val launcher = rememberLauncherForActivityResult(ActivityResultContracts.StartActivityForResult()) { _ ->
        try {
            camera.takeResult(q.maxPixels?.toInt())?.let { onMedia(it, Capture.PHOTO) }
            onProblem(null)
        } catch (e: IOException) {
            onProblem(unreadable)
        }
    }
    OutlinedButton(onClick = {
        val intent = camera.intent()
        if (intent == null) onProblem(noCamera) else launcher.launch(intent)
    }) {
        Text(stringResource(if (q.value == null) R.string.take_photo else R.string.retake_photo))
    }
}

@Composable
private fun PadButton(capture: Capture, onMedia: (ByteArray, Capture) -> Unit) {
    var showPad by rememberSaveable { mutableStateOf(false) }
    OutlinedButton(onClick = { showPad = true }) {
        Text(stringResource(if (capture == Capture.SIGNATURE) R.string.sign else R.string.draw))
    }
    if (!showPad) return
    val context = LocalContext.current
    val pad = remember { SignaturePad(context) }
    var signed by remember { mutableStateOf(false) }
    DisposableEffect(pad) {
        pad.onChange = { signed = !pad.strokes.isEmpty }
        onDispose { pad.onChange = null }
    }
    AlertDialog(
        onDismissRequest = { showPad = false },
        title = { Text(stringResource(if (capture == Capture.SIGNATURE) R.string.sign_here else R.string.draw_here)) },
        text = {
            val spoken = stringResource(if (capture == Capture.SIGNATURE) R.string.sign_here else R.string.draw_here)
            AndroidView(factory = { pad }, modifier = Modifier.fillMaxWidth().height(240.dp).semantics { contentDescription = spoken })
        },
        confirmButton = {
            TextButton(enabled = signed, onClick = {
                pad.toPng()?.let { onMedia(it, capture) }
                showPad = false
            }) { Text(stringResource(R.string.save)) }
        },
        dismissButton = {
            Row {
                TextButton(onClick = { pad.clear() }) { Text(stringResource(R.string.clear)) }
                TextButton(onClick = { showPad = false }) { Text(stringResource(R.string.cancel)) }
            }
        },
    )
}

@Composable
private fun AudioButtons(onMedia: (ByteArray, Capture) -> Unit, onProblem: (String?) -> Unit) {
    val context = LocalContext.current
    val recorder = remember { AudioClipRecorder(context) }
    var recording by remember { mutableStateOf(false) }
    var seconds by remember { mutableStateOf(0L) }
    val noMic = stringResource(R.string.microphone_denied)
    val failed = stringResource(R.string.recording_failed)
    DisposableEffect(recorder) { onDispose { recorder.cancel() } }
    LaunchedEffect(recording) {
        while (recording) {
            seconds = recorder.elapsedMs / 1000
            delay(250)
        }
    }
    fun start() {
        try {
            recorder.start()
            recording = true
            onProblem(null)
        } catch (e: IOException) {
            onProblem(failed)
        }
    }
    val permission = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
        if (granted) start() else onProblem(noMic)
    }
    if (!recording) {
        OutlinedButton(onClick = {
            if (context.checkSelfPermission(Manifest.permission.RECORD_AUDIO) == PackageManager.PERMISSION_GRANTED) start()
            else permission.launch(Manifest.permission.RECORD_AUDIO)
        }) { Text(stringResource(R.string.record_audio)) }
    } else {
        Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(stringResource(R.string.recording_for, seconds / 60, seconds % 60))
            OutlinedButton(onClick = {
                recording = false
                val clip = recorder.stop()
                if (clip == null) onProblem(failed) else onMedia(clip, Capture.AUDIO)
            }) { Text(stringResource(R.string.stop_and_save)) }
            TextButton(onClick = {
                recording = false
                recorder.cancel()
            }) { Text(stringResource(R.string.cancel)) }
        }
    }
}
