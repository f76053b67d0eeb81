// A coordinator's iPad: the review queue (on a regular-width screen the queue beside the
// response; on a phone the response alone with previous and next; approve, has issues or reject
// in one tap or one key, the next shown at once) and duplicate households and people (each pair
// side by side, differences marked, merged keeping either, each merge undoable). The queue and
// merge logic is ReviewQueue and DuplicateReview in SangamKit, tested by `swift test`.
import SangamKit
import SwiftUI

struct ReviewQueueView: View {
    @EnvironmentObject var model: SangamModel
    @Environment(\.horizontalSizeClass) private var sizeClass
    @AppStorage(AppLanguage.storageKey) private var appLanguage = AppLanguage.current.rawValue
    @State private var filter: ReviewState = .received
    @State private var queue = ReviewQueue([])
    @State private var answers: FormStateView?
    @State private var review: ReviewView?
    @State private var comment = ""
    @State private var message: String?

    var body: some View {
        VStack(alignment: .leading, spacing: 8) {
            MessageBanner(message: $message)
            Picker(L("review_state"), selection: $filter) {
                Text(L("review_received")).tag(ReviewState.received)
                Text(L("review_has_issues")).tag(ReviewState.hasIssues)
                Text(L("review_approved")).tag(ReviewState.approved)
                Text(L("review_rejected")).tag(ReviewState.rejected)
            }
            .pickerStyle(.segmented)
            .padding(.horizontal)
            if queue.isEmpty {
                Text(L("review_none")).foregroundColor(.secondary).padding()
                Spacer()
            } else if sizeClass == .regular {
                HStack(spacing: 0) {
                    queueList.frame(maxWidth: 360)
                    Divider()
                    detail
                }
            } else {
                detail
            }
        }
        .navigationTitle(L("title_review"))
        .task(id: "\(model.changes)-\(filter)") { await load() }
    }

    private var queueList: some View {
        List(queue.items, id: \.record.id) { (item: ReviewItem) in
            Button {
                queue.select(item.record.id)
                Task { await show() }
            } label: {
                VStack(alignment: .leading) {
                    Text(item.record.title ?? item.record.id)
                        .fontWeight(item.record.id == queue.current?.record.id ? .bold : .regular)
                    Text([item.record.owner, ago(item.record.updatedAtMs)].compactMap { $0 }.joined(separator: " · ")).font(.caption)
                    if item.comments > 0 { Text(P("review_comments", Int(item.comments), String(item.comments))).font(.caption) }
                }
            }
            .accessibilityAddTraits(item.record.id == queue.current?.record.id ? .isSelected : [])
        }
    }

    @ViewBuilder
    private var detail: some View {
        if let current = queue.current {
            List {
                Section {
                    Text(current.record.title ?? current.record.id).font(.title2)
                    Text(L("review_position", String((queue.items.firstIndex { $0.record.id == current.record.id } ?? 0) + 1), String(queue.items.count))).font(.caption)
                }
                Section {
                    if let state = answers {
                        ForEach(state.questions.filter { $0.relevant && $0.value != nil }, id: \.name) { (q: QuestionView) in
                            VStack(alignment: .leading) {
                                Text(q.label ?? q.name).font(.headline)
                                Text(Answers.display(q.value, choices: q.choices))
                                if let problem = q.problem { Text(problem).font(.caption).foregroundColor(.red) }
                            }
                        }
                    } else {
                        Text(L("review_form_missing")).font(.caption)
                    }
                }
                if let comments = review?.comments, !comments.isEmpty {
                    Section(header: Text(L("review_comments_title"))) {
                        ForEach(comments, id: \.id) { (c: ReviewCommentView) in Text("\(c.byName): \(c.text)") }
                    }
                }
                Section {
                    TextField(L("review_comment"), text: $comment)
                    HStack {
                        Button(L("review_approve")) { decide(.approved) }.keyboardShortcut("a", modifiers: [])
                        Button(L("review_has_issues")) { decide(.hasIssues) }.keyboardShortcut("i", modifiers: [])
                        Button(L("review_reject")) { decide(.rejected) }.keyboardShortcut("r", modifiers: [])
                    }
                    .buttonStyle(.bordered)
                    HStack {
                        Button(L("review_previous")) { queue.previous(); Task { await show() } }.keyboardShortcut("k", modifiers: [])
                        Button(L("review_next")) { queue.next(); Task { await show() } }.keyboardShortcut("j", modifiers: [])
                    }
                    .buttonStyle(.bordered)
                    Text(L("review_keys")).font(.caption)
                }
            }
        }
    }

    private func load() async {
        do {
            queue = ReviewQueue(try await model.reviewQueue(filter), selected: queue.current?.record.id)
            await show()
        } catch { message = errorText(error) }
    }

    private func show() async {
        guard let id = queue.current?.record.id else { answers = nil; review = nil; return }
        let language = AppLanguage(rawValue: appLanguage)?.formLanguage ?? FormLanguages.english
        answers = try? await model.formState(responseId: id, language: language)
        review = try? await model.review(id: id)
    }

    private func decide(_ state: ReviewState) {
        guard let id = queue.current?.record.id else { return }
        let text = comment
        Task {
            do {
                try await model.setReview(id: id, state: state, comment: text)
                queue.decided(id)
                comment = ""
                message = L("review_saved")
                await show()
            } catch { message = errorText(error) }
        }
    }
}

struct DuplicatesView: View {
    @EnvironmentObject var model: SangamModel
    @Environment(\.horizontalSizeClass) private var sizeClass
    @State private var review = DuplicateReview([])
    @State private var details: [String: [String: AnswerValue]] = [:]
    @State private var message: String?

    var body: some View {
        List {
            MessageBanner(message: $message)
            if !review.merged.isEmpty {
                Section(header: Text(L("merged_here"))) {
                    ForEach(review.merged, id: \.duplicate) { (m: Merged) in
                        HStack {
                            Text(L("merged_pair", m.duplicateTitle ?? m.duplicate, m.keepTitle ?? m.keep))
                            Spacer()
                            Button(L("undo")) { undo(m) }.buttonStyle(.bordered)
                        }
                    }
                }
            }
            if review.pairs.isEmpty { Text(L("duplicates_none")).foregroundColor(.secondary) }
            ForEach(review.pairs.prefix(50), id: \.duplicate) { (pair: DuplicatePair) in
                Section(header: Text(L("duplicate_score", String(pair.score)))) {
                    Text(pair.reasons.joined(separator: " · ")).font(.caption)
                    let layout = sizeClass == .regular ? AnyLayout(HStackLayout(alignment: .top, spacing: 16)) : AnyLayout(VStackLayout(alignment: .leading, spacing: 12))
                    layout {
                        side(pair, keep: pair.keep, title: pair.keepTitle, other: pair.duplicate)
                        side(pair, keep: pair.duplicate, title: pair.duplicateTitle, other: pair.keep)
                    }
                }
            }
        }
        .navigationTitle(L("title_duplicates"))
        .task(id: model.changes) { await load() }
    }

    private func side(_ pair: DuplicatePair, keep: String, title: String?, other: String) -> some View {
        let mine = details[keep] ?? [:]
        let theirs = details[other] ?? [:]
        let keys = Set(mine.keys).union(theirs.keys).sorted()
        return VStack(alignment: .leading, spacing: 4) {
            Text(title ?? "—").font(.headline)
            ForEach(keys, id: \.self) { (k: String) in
                let differs = mine[k] != theirs[k]
                // Marked in words too, not only by weight (VoiceOver, colour-blind eyes).
                Text((differs ? "≠ " : "") + "\(k): \(Answers.display(mine[k]))").fontWeight(differs ? .bold : .regular)
            }
            Button(L("keep_this_one")) { merge(pair, keep) }.buttonStyle(.borderedProminent)
        }
    }

    private func load() async {
        do {
            review.refreshed(try await model.duplicateCandidates())
            await loadDetails()
        } catch { message = errorText(error) }
    }

    private func loadDetails() async {
        var found: [String: [String: AnswerValue]] = [:]
        for p in review.pairs.prefix(50) {
            for id in [p.keep, p.duplicate] where found[id] == nil {
                found[id] = (try? await model.subject(id: id))?.attrs
            }
        }
        details = found
    }

    private func merge(_ pair: DuplicatePair, _ keep: String) {
        guard let m = review.merge(pair, keeping: keep) else { return }
        Task {
            do {
                let r = try await model.mergeSubjects(keep: m.keep, duplicate: m.duplicate)
                review.mergedDone(m)
                message = P("merged_responses", r.responsesMoved.count, String(r.responsesMoved.count))
            } catch { message = errorText(error) }
        }
    }

    private func undo(_ m: Merged) {
        Task {
            do {
                try await model.unmergeSubject(duplicate: m.duplicate)
                review.unmergedDone(m, fresh: try await model.duplicateCandidates())
                await loadDetails()
                message = L("unmerged")
            } catch { message = errorText(error) }
        }
    }
}
