// The words on the screens come from string resources (res/values: English, res/values-hi:
// Hindi), in the language chosen in the app. ViewModels hand their screens a UiText (a
// resource and its arguments, or a UserMessage from the data layer), which is turned into
// words only when shown; the labels of the core's enums are resources too. The language
// switch saves the choice and recreates the activity (platform/AppLocale.kt).
package org.sangam.demo.ui

import android.app.Activity
import android.content.Context
import android.content.ContextWrapper
import android.content.res.Resources
import androidx.annotation.PluralsRes
import androidx.annotation.StringRes
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Row
import androidx.compose.material3.FilterChip
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.platform.LocalConfiguration
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.work.WorkInfo
import org.sangam.ActionStatus
import org.sangam.RecordKind
import org.sangam.RecordStatus
import org.sangam.ResponseStatus
import org.sangam.UserRole
import org.sangam.demo.R
import org.sangam.demo.data.AppLanguage
import org.sangam.demo.data.UserMessage
import org.sangam.demo.platform.AppLocale

/** Text a ViewModel hands its screen; it becomes words in the app's language when shown. */
sealed class UiText {
    class Res(@StringRes val id: Int, vararg val args: Any) : UiText()

    /** A plurals resource: `count` picks the form ("1 answer", "2 answers"). */
    class Plural(@PluralsRes val id: Int, val count: Int, vararg val args: Any) : UiText()

    class Problem(val message: UserMessage) : UiText()

    fun resolve(resources: Resources): String = when (this) {
        is Res -> if (args.isEmpty()) resources.getString(id) else resources.getString(id, *args)
        is Plural -> resources.getQuantityString(id, count, *args)
        is Problem -> resources.getString(messageRes(message.kind), message.detail)
    }
}

@Composable
fun UiText.asString(): String {
    LocalConfiguration.current // read again when the configuration (the language) changes
    return resolve(LocalContext.current.resources)
}

/** A plurals resource in composition (as stringResource is for strings). */
@Composable
fun pluralText(@PluralsRes id: Int, count: Int, vararg args: Any): String {
    LocalConfiguration.current
    return LocalContext.current.resources.getQuantityString(id, count, *args)
}

/** A data-layer message in the app's language. */
@Composable
fun messageText(message: UserMessage): String = UiText.Problem(message).asString()

@StringRes
fun messageRes(kind: UserMessage.Kind): Int = when (kind) {
    UserMessage.Kind.NETWORK -> R.string.error_network
    UserMessage.Kind.AUTH -> R.string.error_auth
    UserMessage.Kind.FORBIDDEN -> R.string.error_forbidden
    UserMessage.Kind.CANCELLED -> R.string.error_cancelled
    UserMessage.Kind.VALIDATION -> R.string.error_validation
    UserMessage.Kind.INVALID_INPUT -> R.string.error_invalid_input
    UserMessage.Kind.NOT_FOUND -> R.string.error_not_found
    UserMessage.Kind.STORAGE -> R.string.error_storage
    UserMessage.Kind.KEY -> R.string.error_key
    UserMessage.Kind.OTHER -> R.string.error_other
    UserMessage.Kind.NOT_ENROLLED -> R.string.error_not_enrolled
    UserMessage.Kind.UNEXPECTED -> R.string.error_unexpected
}

@StringRes
fun roleLabel(role: UserRole): Int = when (role) {
    UserRole.FIELD_WORKER -> R.string.role_field_worker
    UserRole.COORDINATOR -> R.string.role_coordinator
    UserRole.ADMIN -> R.string.role_admin
}

@StringRes
fun kindLabel(kind: RecordKind): Int = when (kind) {
    RecordKind.FORM -> R.string.kind_form
    RecordKind.RESPONSE -> R.string.kind_response
    RecordKind.SUBJECT -> R.string.kind_subject
    RecordKind.MEETING -> R.string.kind_meeting
    RecordKind.ACTION -> R.string.kind_action
}

@StringRes
fun responseStatusLabel(status: ResponseStatus): Int = when (status) {
    ResponseStatus.DRAFT -> R.string.status_draft
    ResponseStatus.SUBMITTED -> R.string.status_submitted
}

@StringRes
fun actionStatusLabel(status: ActionStatus): Int = when (status) {
    ActionStatus.OPEN -> R.string.action_open
    ActionStatus.IN_PROGRESS -> R.string.action_in_progress
    ActionStatus.DONE -> R.string.action_done
    ActionStatus.DROPPED -> R.string.action_dropped
}

/** A list row's status as a person reads it ("" when the row has none). */
@Composable
fun statusLabel(status: RecordStatus?): String = when (status) {
    null -> ""
    is RecordStatus.Response -> stringResource(responseStatusLabel(status.status))
    is RecordStatus.Action -> stringResource(actionStatusLabel(status.status))
    is RecordStatus.Merged -> stringResource(R.string.status_merged)
}

/** A response's status, a draft when it has none yet. */
@Composable
fun responseStatusText(status: RecordStatus?): String = statusLabel(status).ifEmpty { stringResource(R.string.status_draft) }

/** The subject types the registry offers (the stored type stays the English name). */
val subjectTypes = listOf("household", "person", "enterprise")

/** A subject type as a person reads it; a type the app does not know shows as stored. */
@Composable
fun subjectTypeLabel(type: String?): String = when (type) {
    null -> stringResource(R.string.title_subject)
    "household" -> stringResource(R.string.type_household)
    "person" -> stringResource(R.string.type_person)
    "enterprise" -> stringResource(R.string.type_enterprise)
    else -> type
}

@StringRes
fun workStateLabel(state: WorkInfo.State): Int = when (state) {
    WorkInfo.State.ENQUEUED -> R.string.work_enqueued
    WorkInfo.State.RUNNING -> R.string.work_running
    WorkInfo.State.SUCCEEDED -> R.string.work_succeeded
    WorkInfo.State.FAILED -> R.string.work_failed
    WorkInfo.State.BLOCKED -> R.string.work_blocked
    WorkInfo.State.CANCELLED -> R.string.work_cancelled
}

/** The activity a (possibly wrapped) context belongs to. */
fun Context.findActivity(): Activity? {
    var c: Context = this
    while (c is ContextWrapper) {
        if (c is Activity) return c
        c = c.baseContext
    }
    return null
}

/** English / हिन्दी: saves the choice and recreates the activity, so every screen follows. */
@Composable
fun LanguageSwitch() {
    val context = LocalContext.current
    val current = AppLocale.current(context)
    SectionTitle(stringResource(R.string.language_title))
    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        AppLanguage.entries.forEach { lang ->
            FilterChip(
                selected = lang == current,
                onClick = {
                    if (lang != current) {
                        AppLocale.choose(context, lang)
                        context.findActivity()?.recreate()
                    }
                },
                label = { Text(lang.ownName) },
            )
        }
    }
}
