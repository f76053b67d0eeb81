// What a coordinator works through on an iPad, as plain state the views render: the review queue
// (one response at a time, decided with one tap or one key, the next one shown at once) and the
// duplicate pairs (merged keeping either side, each merge undoable from the same list). Built
// and tested by `swift test` on Linux (ios-demo/linux/run.sh).
import Foundation

/// The responses waiting in one review state, and the one being looked at.
public struct ReviewQueue {
    public private(set) var items: [ReviewItem]
    public private(set) var position: Int

    public init(_ items: [ReviewItem], selected: String? = nil) {
        self.items = items
        position = items.firstIndex { $0.record.id == selected } ?? 0
    }

    public var current: ReviewItem? { items.indices.contains(position) ? items[position] : nil }
    public var isEmpty: Bool { items.isEmpty }

    @discardableResult
    public mutating func next() -> ReviewItem? {
        if position < items.count - 1 { position += 1 }
        return current
    }

    @discardableResult
    public mutating func previous() -> ReviewItem? {
        if position > 0 { position -= 1 }
        return current
    }

    @discardableResult
    public mutating func select(_ id: String) -> ReviewItem? {
        if let at = items.firstIndex(where: { $0.record.id == id }) { position = at }
        return current
    }

    /// Response `id` has left this state (decided here or elsewhere): it leaves the queue, and
    /// the one after it is shown (the one before, at the end).
    @discardableResult
    public mutating func decided(_ id: String) -> ReviewItem? {
        guard let at = items.firstIndex(where: { $0.record.id == id }) else { return current }
        items.remove(at: at)
        if at < position || position >= items.count { position = max(position - 1, 0) }
        return current
    }
}

/// The keys of a hardware keyboard on the review screen, as on the hub's console.
public enum ReviewKey: Equatable {
    case next, previous, approve, hasIssues, reject, comment

    public init?(_ key: Character) {
        switch key.lowercased() {
        case "j": self = .next
        case "k": self = .previous
        case "a": self = .approve
        case "i": self = .hasIssues
        case "r": self = .reject
        case "c": self = .comment
        default: return nil
        }
    }

    /// The review state a key decides, if it decides one.
    public var state: ReviewState? {
        switch self {
        case .approve: return .approved
        case .hasIssues: return .hasIssues
        case .reject: return .rejected
        default: return nil
        }
    }
}

/// A merge made from the duplicates screen: which subject was kept, which folded into it.
public struct Merged: Equatable {
    public let keep: String
    public let duplicate: String
    public let keepTitle: String?
    public let duplicateTitle: String?
}

/// The candidate pairs, and the merges made from this screen (newest first) for undoing.
public struct DuplicateReview {
    public private(set) var pairs: [DuplicatePair]
    public private(set) var merged: [Merged] = []

    public init(_ pairs: [DuplicatePair]) { self.pairs = pairs }

    /// The merge keeping `keep` of `pair` (either of its two subjects); nil for any other id.
    public func merge(_ pair: DuplicatePair, keeping keep: String) -> Merged? {
        if keep == pair.keep {
            return Merged(keep: pair.keep, duplicate: pair.duplicate, keepTitle: pair.keepTitle, duplicateTitle: pair.duplicateTitle)
        }
        if keep == pair.duplicate {
            return Merged(keep: pair.duplicate, duplicate: pair.keep, keepTitle: pair.duplicateTitle, duplicateTitle: pair.keepTitle)
        }
        return nil
    }

    /// `m` was merged: its pair, and every other naming the merged-away subject, leave the list.
    public mutating func mergedDone(_ m: Merged) {
        merged.insert(m, at: 0)
        pairs.removeAll { $0.keep == m.duplicate || $0.duplicate == m.duplicate }
    }

    /// `m` was unmerged: the pairs come back from a fresh search.
    public mutating func unmergedDone(_ m: Merged, fresh: [DuplicatePair]) {
        merged.removeAll { $0 == m }
        pairs = fresh
    }

    public mutating func refreshed(_ fresh: [DuplicatePair]) {
        let gone = Set(merged.map(\.duplicate))
        pairs = fresh.filter { !gone.contains($0.keep) && !gone.contains($0.duplicate) }
    }
}

extension SangamModel {
    /// Submitted responses in review state `state`, most recently updated first.
    public func reviewQueue(_ state: ReviewState = .received, limit: UInt32 = 200) async throws -> [ReviewItem] {
        try await read { try $0.listByReview(query: ReviewQuery(scope: nil, formId: nil, status: .submitted, state: state, limit: limit)) }
    }

    public func review(id: String) async throws -> ReviewView {
        try await read { try $0.review(id: id) }
    }

    /// Sets a response's review state, with a comment when one is typed (coordinators only).
    public func setReview(id: String, state: ReviewState, comment: String?) async throws {
        let text = comment?.trimmingCharacters(in: .whitespacesAndNewlines)
        try await write { try $0.setReview(id: id, state: state, comment: (text?.isEmpty ?? true) ? nil : text) }
        onLocalChange?()
    }

    /// Likely duplicate households and people on this device, best first.
    public func duplicateCandidates(minScore: UInt32 = 50) async throws -> [DuplicatePair] {
        try await read { try $0.duplicateCandidates(scope: nil, minScore: minScore) }
    }

    /// Folds `duplicate` into `keep`: its responses move, its details fill gaps (coordinators only).
    @discardableResult
    public func mergeSubjects(keep: String, duplicate: String) async throws -> MergeResult {
        let r = try await write { try $0.mergeSubjects(keep: keep, duplicate: duplicate) }
        onLocalChange?()
        return r
    }

    /// Undoes the merge of `duplicate`; what someone edited since stays as it is.
    @discardableResult
    public func unmergeSubject(duplicate: String) async throws -> UnmergeResult {
        let r = try await write { try $0.unmergeSubject(duplicate: duplicate) }
        onLocalChange?()
        return r
    }
}
