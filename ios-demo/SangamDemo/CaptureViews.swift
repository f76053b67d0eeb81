// Capturing media answers: a photo from the camera, brought down to the question's max-pixels
// (PhotoSizing in SangamKit) and stored as JPEG; a signature or drawing on a pad (SignatureStrokes)
// stored as PNG; an audio clip from the microphone, AAC in MPEG-4, mono at 16 kHz and 32 kbit/s
// (about 240 KB a minute). What is captured goes to `onMedia`, which stores it durably and makes
// its name the answer. UIKit's camera picker and AVFoundation's recorder exist only on iOS, so
// this file is checked for syntax on Linux, and built by Xcode.
import AVFoundation
import SangamKit
import SwiftUI
import UIKit

struct MediaAnswer: View {
    let question: QuestionView
    let capture: Capture
    let onMedia: (Data, Capture) -> Void
    let onAnswer: (AnswerValue?) -> Void
    @State private var showCamera = false
    @State private var showPad = false
    @State private var problem: String?

    var body: some View {
        VStack(alignment: .leading, spacing: 6) {
            let attached = Answers.display(question.value)
            if !attached.isEmpty {
                HStack {
                    Text(L("media_attached", attached)).font(.caption)
                    Button(L("clear")) { onAnswer(nil) }.buttonStyle(.borderless)
                }
            }
            switch capture {
            case .photo:
                Button(question.value == nil ? L("take_photo") : L("retake_photo")) {
                    if UIImagePickerController.isSourceTypeAvailable(.camera) {
                        showCamera = true
                    } else {
                        problem = L("no_camera")
                    }
                }
                .buttonStyle(.bordered)
                .sheet(isPresented: $showCamera) {
                    CameraPicker { (image: UIImage?) in
                        showCamera = false
                        guard let image = image else { return }
                        if let jpeg = PhotoDownscale.jpeg(image, maxPixels: question.maxPixels.map { Int($0) }) {
                            problem = nil
                            onMedia(jpeg, .photo)
                        } else {
                            problem = L("photo_unreadable")
                        }
                    }
                }
            case .signature, .drawing:
                Button(capture == .signature ? L("sign") : L("draw")) { showPad = true }
                    .buttonStyle(.bordered)
                    .sheet(isPresented: $showPad) {
                        SignaturePadSheet(title: capture == .signature ? L("sign_here") : L("draw_here")) { (png: Data?) in
                            showPad = false
                            if let png = png { onMedia(png, capture) }
                        }
                    }
            case .audio:
                AudioButtons(onMedia: onMedia, problem: $problem)
            case .video, .file:
                Text(L("media_not_on_phone")).font(.caption)
            }
            if let problem = problem {
                Text(problem).font(.caption).foregroundColor(.red)
            }
        }
    }
}

/// The camera, as UIKit offers it.
struct CameraPicker: UIViewControllerRepresentable {
    let onDone: (UIImage?) -> Void

    func makeUIViewController(context: Context) -> UIImagePickerController {
        let picker = UIImagePickerController()
        picker.sourceType = .camera
        picker.delegate = context.coordinator
        return picker
    }

    func updateUIViewController(_ controller: UIImagePickerController, context: Context) {}

    func makeCoordinator() -> Coordinator { Coordinator(onDone: onDone) }

    final class Coordinator: NSObject, UIImagePickerControllerDelegate, UINavigationControllerDelegate {
        let onDone: (UIImage?) -> Void
        init(onDone: @escaping (UIImage?) -> Void) { self.onDone = onDone }

        func imagePickerController(_ picker: UIImagePickerController, didFinishPickingMediaWithInfo info: [UIImagePickerController.InfoKey: Any]) {
            onDone(info[.originalImage] as? UIImage)
        }

        func imagePickerControllerDidCancel(_ picker: UIImagePickerController) {
            onDone(nil)
        }
    }
}

enum PhotoDownscale {
    /// The photo upright (UIImage's size is already oriented), no larger than `maxPixels` on its
    /// longer side, as JPEG.
    static func jpeg(_ image: UIImage, maxPixels: Int?, quality: CGFloat = 0.85) -> Data? {
        let w = Int(image.size.width * image.scale), h = Int(image.size.height * image.scale)
        guard w > 0, h > 0 else { return nil }
        let target = PhotoSizing.target(width: w, height: h, maxPixels: maxPixels)
        let format = UIGraphicsImageRendererFormat()
        format.scale = 1
        let size = CGSize(width: target.width, height: target.height)
        let scaled = UIGraphicsImageRenderer(size: size, format: format).image { _ in
            image.draw(in: CGRect(origin: .zero, size: size))
        }
        return scaled.jpegData(compressionQuality: quality)
    }
}

/// A pad to sign or draw on with a finger, saved as a PNG black on white.
struct SignaturePadSheet: View {
    let title: String
    let onDone: (Data?) -> Void
    @State private var strokes = SignatureStrokes()
    @State private var size = CGSize(width: 320, height: 240)

    var body: some View {
        NavigationView {
            VStack {
                GeometryReader { geo in
                    StrokesView(strokes: strokes)
                        .background(Color.white)
                        .border(Color.gray)
                        .contentShape(Rectangle())
                        .gesture(DragGesture(minimumDistance: 0).onChanged { (g: DragGesture.Value) in
                            let p = StrokePoint(x: g.location.x, y: g.location.y)
                            if g.translation == .zero { strokes.begin(p) } else { strokes.lineTo(p) }
                        }.onEnded { _ in strokes.end() })
                        .onAppear { size = geo.size }
                        .accessibilityLabel(title)
                }
                .frame(height: 260)
                Spacer()
            }
            .padding()
            .navigationTitle(title)
            .toolbar {
                ToolbarItem(placement: .cancellationAction) { Button(L("cancel")) { onDone(nil) } }
                ToolbarItem(placement: .primaryAction) {
                    Button(L("save")) { onDone(png()) }.disabled(strokes.isEmpty)
                }
                ToolbarItem(placement: .bottomBar) { Button(L("clear")) { strokes.clear() } }
            }
        }
    }

    @MainActor private func png() -> Data? {
        let renderer = ImageRenderer(content: StrokesView(strokes: strokes).frame(width: size.width, height: size.height).background(Color.white))
        renderer.scale = 2
        return renderer.uiImage?.pngData()
    }
}

/// The strokes drawn as lines (a dot for a tap).
struct StrokesView: View {
    let strokes: SignatureStrokes

    var body: some View {
        Canvas { (ctx: inout GraphicsContext, _: CGSize) in
            for stroke in strokes.strokes {
                guard let first = stroke.first else { continue }
                var path = Path()
                if stroke.count == 1 {
                    path.addEllipse(in: CGRect(x: first.x - 1.5, y: first.y - 1.5, width: 3, height: 3))
                    ctx.fill(path, with: .color(.black))
                    continue
                }
                path.move(to: CGPoint(x: first.x, y: first.y))
                for p in stroke.dropFirst() { path.addLine(to: CGPoint(x: p.x, y: p.y)) }
                ctx.stroke(path, with: .color(.black), style: StrokeStyle(lineWidth: 3, lineCap: .round, lineJoin: .round))
            }
        }
    }
}

/// Record, then stop and save (or cancel), with the time so far.
struct AudioButtons: View {
    let onMedia: (Data, Capture) -> Void
    @Binding var problem: String?
    @StateObject private var recorder = AudioClipRecorder()

    var body: some View {
        if recorder.recording {
            HStack {
                Text(L("recording_for", recorder.elapsedText))
                Button(L("stop_and_save")) {
                    if let clip = recorder.stop() { onMedia(clip, .audio) } else { problem = L("recording_failed") }
                }
                .buttonStyle(.bordered)
                Button(L("cancel")) { recorder.cancel() }.buttonStyle(.borderless)
            }
        } else {
            Button(L("record_audio")) {
                AVAudioSession.sharedInstance().requestRecordPermission { (granted: Bool) in
                    DispatchQueue.main.async {
                        if !granted {
                            problem = L("microphone_denied")
                        } else if recorder.start() {
                            problem = nil
                        } else {
                            problem = L("recording_failed")
                        }
                    }
                }
            }
            .buttonStyle(.bordered)
        }
    }
}

final class AudioClipRecorder: ObservableObject {
    @Published private(set) var recording = false
    @Published private(set) var elapsedText = "0:00"
    private var recorder: AVAudioRecorder?
    private var timer: Timer?
    private let url = FileManager.default.temporaryDirectory.appendingPathComponent("sangam-clip.m4a")

    func start() -> Bool {
        try? FileManager.default.removeItem(at: url)
        let settings: [String: Any] = [
            AVFormatIDKey: Int(kAudioFormatMPEG4AAC),
            AVSampleRateKey: 16_000,
            AVNumberOfChannelsKey: 1,
            AVEncoderBitRateKey: 32_000,
        ]
        do {
            try AVAudioSession.sharedInstance().setCategory(.record, mode: .spokenAudio)
            try AVAudioSession.sharedInstance().setActive(true)
            let r = try AVAudioRecorder(url: url, settings: settings)
            guard r.record() else { return false }
            recorder = r
        } catch {
            return false
        }
        recording = true
        timer = Timer.scheduledTimer(withTimeInterval: 0.25, repeats: true) { [weak self] _ in
            guard let self = self, let r = self.recorder else { return }
            let s = Int(r.currentTime)
            self.elapsedText = String(format: "%d:%02d", s / 60, s % 60)
        }
        return true
    }

    /// Stops and returns the clip (nil if nothing was recorded); the file is removed.
    func stop() -> Data? {
        timer?.invalidate()
        timer = nil
        recorder?.stop()
        recorder = nil
        recording = false
        elapsedText = "0:00"
        try? AVAudioSession.sharedInstance().setActive(false)
        defer { try? FileManager.default.removeItem(at: url) }
        guard let data = try? Data(contentsOf: url), !data.isEmpty else { return nil }
        return data
    }

    func cancel() {
        _ = stop()
    }

    deinit {
        timer?.invalidate()
        recorder?.stop()
    }
}
