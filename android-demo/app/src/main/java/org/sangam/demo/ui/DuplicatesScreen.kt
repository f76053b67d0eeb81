// Duplicate households and people on a coordinator's tablet: each candidate pair side by side
// (its details, differing ones marked, and the reasons it scored), merged keeping either side in
// one tap; the merges made here are listed with an Undo each. A merge moves the duplicate's
// responses to the kept subject and fills its gaps; undoing gives them back, leaving what someone
// edited since. The list logic is DuplicateReview in the data layer.
package org.sangam.demo.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.BoxWithConstraints
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import androidx.lifecycle.viewModelScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import org.sangam.AnswerValue
import org.sangam.DuplicatePair
import org.sangam.demo.R
import org.sangam.demo.data.Answers
import org.sangam.demo.data.DuplicateReview
import org.sangam.demo.data.Merged
import org.sangam.demo.data.SangamRepository

/** One candidate pair with both subjects' details. */
data class PairDetails(val pair: DuplicatePair, val left: Map<String, AnswerValue>, val right: Map<String, AnswerValue>)

data class DuplicatesUiState(val pairs: List<PairDetails> = emptyList(), val merged: List<Merged> = emptyList())

class DuplicatesViewModel(repo: SangamRepository) : SangamViewModel(repo) {
    private var review = DuplicateReview(emptyList())
    private val _state = MutableStateFlow(DuplicatesUiState())
    val state: StateFlow<DuplicatesUiState> = _state.asStateFlow()

    init {
        viewModelScope.launch { repo.changes.collect { load() } }
    }

    private fun load() = launchSafely {
        review.refreshed(repo.duplicateCandidates())
        show()
    }

    private suspend fun show() {
        val pairs = review.pairs.take(50).map { p -> PairDetails(p, repo.subject(p.keep).attrs, repo.subject(p.duplicate).attrs) }
        _state.value = DuplicatesUiState(pairs, review.merged)
    }

    fun merge(pair: DuplicatePair, keep: String) = launchSafely {
        val m = review.merge(pair, keep)
        val r = repo.mergeSubjects(m.keep, m.duplicate)
        review.mergedDone(m)
        show()
        say(UiText.Plural(R.plurals.merged_responses, r.responsesMoved.size, r.responsesMoved.size))
    }

    fun undo(m: Merged) = launchSafely {
        repo.unmergeSubject(m.duplicate)
        review.unmergedDone(m, repo.duplicateCandidates())
        show()
        say(R.string.unmerged)
    }
}

@Composable
fun DuplicatesScreen() {
    val vm: DuplicatesViewModel = sangamViewModel("duplicates") { DuplicatesViewModel(it) }
    val ui by vm.state.collectAsState()
    val message by vm.message.collectAsState()
    LazyColumn(Modifier.fillMaxSize().padding(horizontal = 16.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        item { MessageCard(message) { vm.dismissMessage() } }
        if (ui.merged.isNotEmpty()) {
            item { SectionTitle(stringResource(R.string.merged_here)) }
            items(ui.merged, key = { "m-" + it.duplicate }) { m ->
                ListItem(
                    headlineContent = { Text(stringResource(R.string.merged_pair, m.duplicateTitle ?: m.duplicate, m.keepTitle ?: m.keep)) },
                    trailingContent = { OutlinedButton(onClick = { vm.undo(m) }) { Text(stringResource(R.string.undo)) } },
                )
            }
        }
        if (ui.pairs.isEmpty()) item { EmptyNote(stringResource(R.string.duplicates_none)) }
        items(ui.pairs, key = { it.pair.keep + "/" + it.pair.duplicate }) { d -> PairCard(d, vm) }
    }
}

@Composable
private fun PairCard(d: PairDetails, vm: DuplicatesViewModel) {
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
            Text(stringResource(R.string.duplicate_score, d.pair.score.toInt()), style = MaterialTheme.typography.titleSmall)
            Text(d.pair.reasons.joinToString(" · "), style = MaterialTheme.typography.bodySmall)
            BoxWithConstraints {
                val keys = (d.left.keys + d.right.keys).sorted()
                // Side by side on a tablet; one above the other on a phone.
                if (maxWidth >= 560.dp) {
                    Row(horizontalArrangement = Arrangement.spacedBy(12.dp)) {
                        SubjectSide(d.pair.keepTitle, d.left, d.right, keys, Modifier.weight(1f)) { vm.merge(d.pair, d.pair.keep) }
                        SubjectSide(d.pair.duplicateTitle, d.right, d.left, keys, Modifier.weight(1f)) { vm.merge(d.pair, d.pair.duplicate) }
                    }
                } else {
                    Column(verticalArrangement = Arrangement.spacedBy(12.dp)) {
                        SubjectSide(d.pair.keepTitle, d.left, d.right, keys, Modifier.fillMaxWidth()) { vm.merge(d.pair, d.pair.keep) }
                        SubjectSide(d.pair.duplicateTitle, d.right, d.left, keys, Modifier.fillMaxWidth()) { vm.merge(d.pair, d.pair.duplicate) }
                    }
                }
            }
        }
    }
}

@Composable
private fun SubjectSide(title: String?, mine: Map<String, AnswerValue>, other: Map<String, AnswerValue>, keys: List<String>, modifier: Modifier, keep: () -> Unit) {
    Column(modifier, verticalArrangement = Arrangement.spacedBy(4.dp)) {
        Text(title ?: "—", style = MaterialTheme.typography.titleMedium)
        for (k in keys) {
            val differs = mine[k] != other[k]
            Text(
                // Marked in words too, not only by weight (screen readers, colour-blind eyes).
                (if (differs) "≠ " else "") + "$k: ${Answers.display(mine[k])}",
                style = MaterialTheme.typography.bodyMedium,
                fontWeight = if (differs) FontWeight.Bold else FontWeight.Normal,
            )
        }
        Button(onClick = keep) { Text(stringResource(R.string.keep_this_one)) }
    }
}
