// What a coordinator works through on a tablet, as plain state the screens render: the review
// queue (one response at a time, decided with one tap or one key, the next one shown at once)
// and the duplicate pairs (merged keeping either side, each merge undoable from the same list).
// Pure Kotlin: compiled and run on the JVM by android-demo/data-layer-test/run.sh.
package org.sangam.demo.data

import org.sangam.DuplicatePair
import org.sangam.ReviewItem
import org.sangam.ReviewState

/** The responses waiting in one review state, and the one being looked at. */
class ReviewQueue(items: List<ReviewItem>, selected: String? = null) {
    private val list: MutableList<ReviewItem> = items.toMutableList()
    var position: Int = list.indexOfFirst { it.record.id == selected }.coerceAtLeast(0)
        private set

    val items: List<ReviewItem> get() = list
    val current: ReviewItem? get() = list.getOrNull(position)
    val isEmpty: Boolean get() = list.isEmpty()

    fun next(): ReviewItem? {
        if (position < list.size - 1) position++
        return current
    }

    fun previous(): ReviewItem? {
        if (position > 0) position--
        return current
    }

    fun select(id: String): ReviewItem? {
        val at = list.indexOfFirst { it.record.id == id }
        if (at >= 0) position = at
        return current
    }

    /**
     * Response `id` has left this state (decided here or elsewhere): it leaves the queue, and the
     * one after it is shown (the one before, at the end).
     */
    fun decided(id: String): ReviewItem? {
        val at = list.indexOfFirst { it.record.id == id }
        if (at < 0) return current
        list.removeAt(at)
        if (at < position || position >= list.size) position = (position - 1).coerceAtLeast(0)
        return current
    }
}

/** The keys of a hardware keyboard on the review screen, as on the hub's console. */
enum class ReviewKey { NEXT, PREVIOUS, APPROVE, HAS_ISSUES, REJECT, COMMENT;

    /** The review state a key decides, if it decides one. */
    val state: ReviewState?
        get() = when (this) {
            APPROVE -> ReviewState.APPROVED
            HAS_ISSUES -> ReviewState.HAS_ISSUES
            REJECT -> ReviewState.REJECTED
            else -> null
        }

    companion object {
        fun of(key: Char): ReviewKey? = when (key.lowercaseChar()) {
            'j' -> NEXT
            'k' -> PREVIOUS
            'a' -> APPROVE
            'i' -> HAS_ISSUES
            'r' -> REJECT
            'c' -> COMMENT
            else -> null
        }
    }
}

/** A merge made from the duplicates screen: which subject was kept, which folded into it. */
data class Merged(val keep: String, val duplicate: String, val keepTitle: String?, val duplicateTitle: String?)

/** The candidate pairs, and the merges made from this screen (newest first) for undoing. */
class DuplicateReview(pairs: List<DuplicatePair>) {
    var pairs: List<DuplicatePair> = pairs
        private set
    private val done = ArrayDeque<Merged>()
    val merged: List<Merged> get() = done.toList()

    /** The merge keeping `keep` of `pair` (either of its two subjects). */
    fun merge(pair: DuplicatePair, keep: String): Merged {
        require(keep == pair.keep || keep == pair.duplicate) { "keep one of the pair" }
        val keepFirst = keep == pair.keep
        return Merged(
            keep = keep,
            duplicate = if (keepFirst) pair.duplicate else pair.keep,
            keepTitle = if (keepFirst) pair.keepTitle else pair.duplicateTitle,
            duplicateTitle = if (keepFirst) pair.duplicateTitle else pair.keepTitle,
        )
    }

    /** `m` was merged: its pair, and every other pair naming the merged-away subject, leave the list. */
    fun mergedDone(m: Merged) {
        done.addFirst(m)
        pairs = pairs.filterNot { it.keep == m.duplicate || it.duplicate == m.duplicate }
    }

    /** `m` was unmerged: the pairs come back from a fresh search (`fresh`). */
    fun unmergedDone(m: Merged, fresh: List<DuplicatePair>) {
        done.remove(m)
        pairs = fresh
    }

    fun refreshed(fresh: List<DuplicatePair>) {
        pairs = fresh.filterNot { p -> done.any { it.duplicate == p.keep || it.duplicate == p.duplicate } }
    }
}
