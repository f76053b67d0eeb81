// What the apps do, for scripts/check_strings.py: none of it may be reported (never compiled).
package sample

object Routes {
    const val SURVEY = "survey/{id}"
    fun survey(id: String) = "survey/$id"
}

@StringRes
fun kindLabel(kind: RecordKind): Int = when (kind) {
    RecordKind.FORM -> R.string.ok
    else -> R.string.ok
}

@Composable
fun Screen(row: RecordRow, attrs: Map<String, AnswerValue>, type: String, label: String) {
    val vm: FormsViewModel = sangamViewModel("forms") { FormsViewModel(it) }
    var kind by remember { mutableStateOf("household") }
    Text(stringResource(R.string.last_sync, ago(row.updatedAtMs)))
    Text(stringResource(R.string.attendance, 1, 2))
    Text(pluralText(R.plurals.conflicts, row.conflicts.toInt(), row.conflicts))
    Text("• ${row.title}: ${row.id}")
    Text(if (row.required) "$label *" else label)
    Text(attrs["name"]?.let { Answers.display(it) } ?: stringResource(R.string.ok))
    Text(if (type == "person") stringResource(R.string.ok) else "—")
    Text("${row.formId ?: ""} v${row.formVersion ?: "?"} · ${ago(row.updatedAtMs)}")
    Text(stringResource(R.string.phones))
    OutlinedButton(onClick = { launcher.launch("sangam-all.bundle") }) { Text(stringResource(R.string.ok)) }
    Regex("""(\d{4})-(\d{2})""").find(type)
}
