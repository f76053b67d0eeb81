// One input per question kind the core reports: text, integer, decimal, select_one,
// select_multiple, date, time, datetime, geopoint (typed latitude/longitude), note, calculate
// (read-only), acknowledge, and media (CaptureViews.swift: a photo, a signature or drawing, an
// audio clip). Each change is handed to `onAnswer` at once (nil clears the answer); captured
// media go to `onMedia`, which stores the file and makes its name the answer.
import SangamKit
import SwiftUI

struct QuestionField: View {
    let question: QuestionView
    let fieldKey: String
    var onMedia: (Data, Capture) -> Void = { _, _ in }
    let onAnswer: (AnswerValue?) -> Void

    var body: some View {
        VStack(alignment: .leading, spacing: 6) {
            let label = question.label ?? question.name
            Text(question.required ? "\(label) *" : label)
                .font(question.kind == QuestionType.note ? .body : .headline)
            if let hint = question.hint {
                Text(hint).font(.caption).foregroundColor(.secondary)
            }
            input
            if let problem = question.problem {
                Text(problem).font(.caption).foregroundColor(.red)
            }
        }
        .padding(.vertical, 4)
        .id(fieldKey)
    }

    @ViewBuilder
    private var input: some View {
        let kind = question.kind
        if kind == QuestionType.note {
            EmptyView()
        } else if kind == QuestionType.calculate || question.readOnly {
            let shown = Answers.display(question.value, choices: question.choices)
            Text(shown.isEmpty ? "—" : shown)
        } else if kind == QuestionType.text {
            TextAnswer(question: question, keyboard: .default, multiline: true, parse: Answers.text, onAnswer: onAnswer)
        } else if kind == QuestionType.integer {
            TextAnswer(question: question, keyboard: .numbersAndPunctuation, multiline: false, parse: Answers.integer, onAnswer: onAnswer)
        } else if kind == QuestionType.decimal {
            TextAnswer(question: question, keyboard: .decimalPad, multiline: false, parse: Answers.decimal, onAnswer: onAnswer)
        } else if let capture = Capture.forQuestion(question) {
            MediaAnswer(question: question, capture: capture, onMedia: onMedia, onAnswer: onAnswer)
        } else if kind == QuestionType.selectOne {
            SelectOneAnswer(question: question, onAnswer: onAnswer)
        } else if kind == QuestionType.selectMultiple {
            SelectMultipleAnswer(question: question, onAnswer: onAnswer)
        } else if kind == QuestionType.date {
            DateAnswer(question: question, format: Answers.dateFormat, components: [.date], onAnswer: onAnswer)
        } else if kind == QuestionType.time {
            DateAnswer(question: question, format: Answers.timeFormat, components: [.hourAndMinute], onAnswer: onAnswer)
        } else if kind == QuestionType.datetime {
            DateAnswer(question: question, format: Answers.dateTimeFormat, components: [.date, .hourAndMinute], onAnswer: onAnswer)
        } else if kind == QuestionType.geopoint {
            GeopointAnswer(question: question, onAnswer: onAnswer)
        } else if kind == QuestionType.acknowledge {
            Toggle(L("ok"), isOn: Binding(
                get: { question.value == .bool(value: true) },
                set: { (on: Bool) in onAnswer(on ? .bool(value: true) : nil) }
            ))
        } else {
            TextAnswer(question: question, keyboard: .default, multiline: false, parse: Answers.text, onAnswer: onAnswer,
                       placeholder: "(\(kind))")
        }
    }
}

/// A text field that keeps what is typed and saves each change.
struct TextAnswer: View {
    let question: QuestionView
    let keyboard: UIKeyboardType
    let multiline: Bool
    let parse: (String) -> AnswerValue?
    let onAnswer: (AnswerValue?) -> Void
    var placeholder: String = ""
    @State private var text: String

    init(question: QuestionView, keyboard: UIKeyboardType, multiline: Bool, parse: @escaping (String) -> AnswerValue?,
         onAnswer: @escaping (AnswerValue?) -> Void, placeholder: String = "") {
        self.question = question
        self.keyboard = keyboard
        self.multiline = multiline
        self.parse = parse
        self.onAnswer = onAnswer
        self.placeholder = placeholder
        _text = State(initialValue: Answers.editText(question.value))
    }

    var body: some View {
        TextField(placeholder, text: $text, axis: multiline ? .vertical : .horizontal)
            .keyboardType(keyboard)
            .textFieldStyle(.roundedBorder)
            .overlay(RoundedRectangle(cornerRadius: 6).stroke(question.problem == nil ? Color.clear : Color.red))
            .onChange(of: text) { (value: String) in onAnswer(parse(value)) }
    }
}

struct SelectOneAnswer: View {
    let question: QuestionView
    let onAnswer: (AnswerValue?) -> Void

    var body: some View {
        let chosen = Answers.chosen(question.value)
        ForEach(question.choices ?? [], id: \.name) { (c: ChoiceOption) in
            Button {
                onAnswer(.text(value: c.name))
            } label: {
                HStack {
                    Image(systemName: chosen.contains(c.name) ? "largecircle.fill.circle" : "circle")
                        .accessibilityHidden(true)
                    Text(c.label)
                }
            }
            .buttonStyle(.borderless)
            // VoiceOver says which choice is the answer, not the circle's name.
            .accessibilityAddTraits(chosen.contains(c.name) ? .isSelected : [])
        }
        if !chosen.isEmpty {
            Button(L("clear")) { onAnswer(nil) }.buttonStyle(.borderless)
        }
    }
}

struct SelectMultipleAnswer: View {
    let question: QuestionView
    let onAnswer: (AnswerValue?) -> Void

    var body: some View {
        let chosen = Answers.chosen(question.value)
        ForEach(question.choices ?? [], id: \.name) { (c: ChoiceOption) in
            Toggle(c.label, isOn: Binding(
                get: { chosen.contains(c.name) },
                set: { (on: Bool) in onAnswer(Answers.toggle(question.value, choice: c.name, on: on)) }
            ))
        }
    }
}

/// Date, time or datetime: a "Set" button until answered, then the platform picker.
struct DateAnswer: View {
    let question: QuestionView
    let format: String
    let components: DatePickerComponents
    let onAnswer: (AnswerValue?) -> Void

    var body: some View {
        if let date = Answers.date(from: question.value, format: format) {
            HStack {
                DatePicker("", selection: Binding(
                    get: { date },
                    set: { (picked: Date) in onAnswer(Answers.dateAnswer(picked, format: format)) }
                ), displayedComponents: components)
                .labelsHidden()
                Spacer()
                Button(L("clear")) { onAnswer(nil) }.buttonStyle(.borderless)
            }
        } else {
            Button(L("set_to_now")) { onAnswer(Answers.dateAnswer(Date(), format: format)) }
                .buttonStyle(.borderless)
        }
    }
}

/// A geopoint typed in as latitude and longitude ("lat lon", as ODK stores it).
struct GeopointAnswer: View {
    let question: QuestionView
    let onAnswer: (AnswerValue?) -> Void
    @State private var latitude: String
    @State private var longitude: String

    init(question: QuestionView, onAnswer: @escaping (AnswerValue?) -> Void) {
        self.question = question
        self.onAnswer = onAnswer
        let (lat, lon) = Answers.geopointParts(question.value)
        _latitude = State(initialValue: lat)
        _longitude = State(initialValue: lon)
    }

    var body: some View {
        HStack {
            TextField(L("latitude"), text: $latitude)
                .keyboardType(.numbersAndPunctuation)
                .onChange(of: latitude) { (v: String) in onAnswer(Answers.geopoint(latitude: v, longitude: longitude)) }
            TextField(L("longitude"), text: $longitude)
                .keyboardType(.numbersAndPunctuation)
                .onChange(of: longitude) { (v: String) in onAnswer(Answers.geopoint(latitude: latitude, longitude: v)) }
        }
        .textFieldStyle(.roundedBorder)
    }
}
