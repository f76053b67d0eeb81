// The coordinator's review queue, made for a tablet: on a wide screen the queue on the left and
// the response on the right (answers with their labels, flags, earlier comments); on a phone the
// response alone, with previous and next. Approve, has issues or reject in one tap (with the
// comment typed, if any), and the next response is shown at once; with a keyboard, the
// console's keys (j/k move, a/i/r decide, c to comment). Decisions reach the field worker at
// the next sync. The queue logic itself is ReviewQueue in the data layer.
package org.sangam.demo.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.focusable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.BoxWithConstraints
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxHeight
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.FilterChip
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.VerticalDivider
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.ui.Modifier
import androidx.compose.ui.focus.FocusRequester
import androidx.compose.ui.focus.focusRequester
import androidx.compose.ui.input.key.KeyEventType
import androidx.compose.ui.input.key.onPreviewKeyEvent
import androidx.compose.ui.input.key.type
import androidx.compose.ui.input.key.utf16CodePoint
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.lifecycle.viewModelScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import org.sangam.FormStateView
import org.sangam.ReviewItem
import org.sangam.ReviewState
import org.sangam.ReviewView
import org.sangam.demo.R
import org.sangam.demo.data.Answers
import org.sangam.demo.data.FormLanguages
import org.sangam.demo.data.ReviewKey
import org.sangam.demo.data.ReviewQueue
import org.sangam.demo.data.SangamRepository
import org.sangam.demo.platform.AppLocale

data class ReviewUiState(
    val filter: ReviewState = ReviewState.RECEIVED,
    val items: List<ReviewItem> = emptyList(),
    val current: ReviewItem? = null,
    val answers: FormStateView? = null,
    val review: ReviewView? = null,
    val comment: String = "",
    val commenting: Boolean = false,
)

class ReviewViewModel(repo: SangamRepository, private val language: String) : SangamViewModel(repo) {
    private var queue = ReviewQueue(emptyList())
    private val _state = MutableStateFlow(ReviewUiState())
    val state: StateFlow<ReviewUiState> = _state.asStateFlow()

    init {
        viewModelScope.launch { repo.changes.collect { load() } }
    }

    private fun load() = launchSafely {
        val keep = queue.current?.record?.id
        queue = ReviewQueue(repo.reviewQueue(_state.value.filter), keep)
        show()
    }

    private suspend fun show() {
        val current = queue.current
        _state.value = _state.value.copy(
            items = queue.items,
            current = current,
            answers = current?.let { runCatching { repo.formState(it.record.id, language) }.getOrNull() },
            review = current?.let { repo.review(it.record.id) },
        )
    }

    fun filter(state: ReviewState) {
        _state.value = _state.value.copy(filter = state)
        queue = ReviewQueue(emptyList())
        load()
    }

    fun select(id: String) = launchSafely { queue.select(id); show() }
    fun next() = launchSafely { queue.next(); show() }
    fun previous() = launchSafely { queue.previous(); show() }
    fun typing(text: String) { _state.value = _state.value.copy(comment = text) }
    fun startComment() { _state.value = _state.value.copy(commenting = true) }

    fun decide(state: ReviewState) = launchSafely {
        val id = queue.current?.record?.id ?: return@launchSafely
        repo.setReview(id, state, _state.value.comment)
        queue.decided(id)
        _state.value = _state.value.copy(comment = "", commenting = false)
        show()
        say(R.string.review_saved)
    }

    /** A key of a hardware keyboard; true when it was one of the review keys. */
    fun key(c: Char): Boolean {
        if (_state.value.commenting) return false
        val k = ReviewKey.of(c) ?: return false
        when (k) {
            ReviewKey.NEXT -> next()
            ReviewKey.PREVIOUS -> previous()
            ReviewKey.COMMENT -> startComment()
            else -> k.state?.let { decide(it) }
        }
        return true
    }
}

@Composable
fun ReviewScreen() {
    val context = LocalContext.current
    val vm: ReviewViewModel = sangamViewModel("review") { ReviewViewModel(it, FormLanguages.forApp(AppLocale.current(context))) }
    val ui by vm.state.collectAsState()
    val message by vm.message.collectAsState()
    val focus = remember { FocusRequester() }
    LaunchedEffect(Unit) { focus.requestFocus() }
    BoxWithConstraints(
        Modifier.fillMaxSize()
            .focusRequester(focus)
            .focusable()
            .onPreviewKeyEvent { e -> e.type == KeyEventType.KeyDown && vm.key(e.utf16CodePoint.toChar()) },
    ) {
        val wide = maxWidth >= 720.dp
        Column(Modifier.fillMaxSize()) {
            MessageCard(message) { vm.dismissMessage() }
            Row(Modifier.padding(horizontal = 16.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                for (s in listOf(ReviewState.RECEIVED, ReviewState.HAS_ISSUES, ReviewState.APPROVED, ReviewState.REJECTED)) {
                    FilterChip(selected = ui.filter == s, onClick = { vm.filter(s) }, label = { Text(stringResource(reviewStateLabel(s))) })
                }
            }
            if (ui.items.isEmpty()) {
                EmptyNote(stringResource(R.string.review_none))
            } else if (wide) {
                Row(Modifier.fillMaxSize()) {
                    ReviewList(ui, vm, Modifier.weight(0.4f).fillMaxHeight())
                    VerticalDivider()
                    ReviewDetail(ui, vm, Modifier.weight(0.6f).fillMaxHeight())
                }
            } else {
                ReviewDetail(ui, vm, Modifier.fillMaxSize())
            }
        }
    }
}

@Composable
private fun ReviewList(ui: ReviewUiState, vm: ReviewViewModel, modifier: Modifier) {
    LazyColumn(modifier) {
        items(ui.items, key = { it.record.id }) { item ->
            val selected = item.record.id == ui.current?.record?.id
            ListItem(
                headlineContent = { Text(item.record.title ?: item.record.id, style = if (selected) MaterialTheme.typography.titleMedium else MaterialTheme.typography.bodyLarge) },
                supportingContent = { Text(listOfNotNull(item.record.owner, ago(item.record.updatedAtMs)).joinToString(" · ")) },
                trailingContent = { if (item.comments > 0u) Text(pluralText(R.plurals.review_comments, item.comments.toInt(), item.comments.toInt())) },
                modifier = Modifier.clickable { vm.select(item.record.id) }.semantics {
                    if (selected) contentDescription = item.record.title ?: item.record.id
                },
            )
            HorizontalDivider()
        }
    }
}

@Composable
private fun ReviewDetail(ui: ReviewUiState, vm: ReviewViewModel, modifier: Modifier) {
    val current = ui.current ?: return
    LazyColumn(modifier.padding(horizontal = 16.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
        item {
            Text(current.record.title ?: current.record.id, style = MaterialTheme.typography.titleLarge)
            Text(stringResource(R.string.review_position, ui.items.indexOf(current) + 1, ui.items.size), style = MaterialTheme.typography.bodySmall)
        }
        val answers = ui.answers
        if (answers == null) {
            item { Text(stringResource(R.string.review_form_missing), style = MaterialTheme.typography.bodySmall) }
        } else {
            items(answers.questions.filter { it.relevant && it.value != null }, key = { it.name }) { q ->
                Column {
                    Text(q.label ?: q.name, style = MaterialTheme.typography.labelLarge)
                    Text(Answers.display(q.value, q.choices), style = MaterialTheme.typography.bodyLarge)
                    q.problem?.let { Text(it, color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodySmall) }
                }
            }
        }
        ui.review?.comments?.takeIf { it.isNotEmpty() }?.let { comments ->
            item { SectionTitle(stringResource(R.string.review_comments_title)) }
            items(comments, key = { it.id }) { c -> Text("${c.byName}: ${c.text}", style = MaterialTheme.typography.bodyMedium) }
        }
        item {
            OutlinedTextField(
                ui.comment,
                { vm.typing(it) },
                label = { Text(stringResource(R.string.review_comment)) },
                modifier = Modifier.fillMaxWidth(),
            )
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp), modifier = Modifier.padding(vertical = 8.dp)) {
                Button(onClick = { vm.decide(ReviewState.APPROVED) }) { Text(stringResource(R.string.review_approve)) }
                OutlinedButton(onClick = { vm.decide(ReviewState.HAS_ISSUES) }) { Text(stringResource(R.string.review_has_issues)) }
                OutlinedButton(onClick = { vm.decide(ReviewState.REJECTED) }) { Text(stringResource(R.string.review_reject)) }
            }
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                OutlinedButton(onClick = { vm.previous() }) { Text(stringResource(R.string.review_previous)) }
                OutlinedButton(onClick = { vm.next() }) { Text(stringResource(R.string.review_next)) }
            }
            Text(stringResource(R.string.review_keys), style = MaterialTheme.typography.bodySmall)
        }
    }
}

fun reviewStateLabel(s: ReviewState): Int = when (s) {
    ReviewState.RECEIVED -> R.string.review_received
    ReviewState.HAS_ISSUES -> R.string.review_has_issues
    ReviewState.APPROVED -> R.string.review_approved
    ReviewState.REJECTED -> R.string.review_rejected
}
