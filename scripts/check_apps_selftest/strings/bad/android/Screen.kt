// Planted mistakes for scripts/check_strings.py (never compiled; it only has to parse).
package sample

@Composable
fun Screen(status: String) {
    Text("Sync now")
    SectionTitle("History")
    Icon(Icons.Filled.Warning, contentDescription = "Back")
    Text("${status.ifEmpty { "draft" }} · v2")
    Text(stringResource(R.string.sync_later))
    Text(pluralText(R.plurals.ok, 2, 2))
    Text(stringResource(R.string.last_sync))
    Text(stringResource(R.string.only_english))
}
