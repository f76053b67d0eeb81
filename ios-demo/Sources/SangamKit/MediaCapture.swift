// What a media question asks the device to capture, and the platform-free arithmetic of capturing
// it: which capture screen a question gets (camera, signature pad, audio recorder), the file type
// its answer is stored as, the size a photo is brought down to for the question's max-pixels,
// and the strokes of a signature. The app's views (SangamDemo/CaptureViews.swift) only carry
// these out with the camera, the screen and the microphone.
import Foundation

/// The capture screen a media question opens.
public enum Capture: String, CaseIterable, Sendable {
    /// The camera; stored as JPEG, brought down to the question's max-pixels.
    case photo
    /// A pad the person signs on with a finger (`appearance: signature`).
    case signature
    /// A pad for a free drawing (`appearance: draw`, `annotate`).
    case drawing
    /// The microphone; AAC in an MPEG-4 file, mono, small enough for 2G.
    case audio
    /// The camera's video mode.
    case video
    /// Any file the person picks.
    case file

    public var ext: String {
        switch self {
        case .photo: return "jpg"
        case .signature, .drawing: return "png"
        case .audio: return "m4a"
        case .video: return "mp4"
        case .file: return "bin"
        }
    }

    public var mime: String {
        switch self {
        case .photo: return "image/jpeg"
        case .signature, .drawing: return "image/png"
        case .audio: return "audio/mp4"
        case .video: return "video/mp4"
        case .file: return "application/octet-stream"
        }
    }

    /// The capture a question asks for, or nil for a question that is not media.
    public static func forQuestion(_ q: QuestionView) -> Capture? {
        forKind(q.kind, appearance: q.appearance)
    }

    public static func forKind(_ kind: QuestionType, appearance: String?) -> Capture? {
        let looks = Set((appearance ?? "").lowercased().split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init))
        switch kind {
        case .image:
            if looks.contains("signature") { return .signature }
            if looks.contains("draw") || looks.contains("annotate") { return .drawing }
            return .photo
        case .audio: return .audio
        case .video: return .video
        case .file: return .file
        default: return nil
        }
    }
}

/// Photo sizes for a question's max-pixels (ODK's meaning: the longer side at most that many).
public enum PhotoSizing {
    /// The longer side when a form sets no max-pixels: about 1 MP, a few hundred KB as JPEG.
    public static let defaultMaxPixels = 1280

    /// The size a `width`×`height` photo is stored at: never enlarged, the aspect kept.
    public static func target(width: Int, height: Int, maxPixels: Int?) -> (width: Int, height: Int) {
        precondition(width > 0 && height > 0, "a photo has a size")
        let limit = max(maxPixels ?? defaultMaxPixels, 1)
        let longer = max(width, height)
        if longer <= limit { return (width, height) }
        let scale = Double(limit) / Double(longer)
        let w = min(max(Int((Double(width) * scale).rounded()), 1), limit)
        let h = min(max(Int((Double(height) * scale).rounded()), 1), limit)
        return (w, h)
    }
}

/// A point of a stroke, in the pad's points.
public struct StrokePoint: Equatable, Sendable {
    public let x: Double
    public let y: Double
    public init(x: Double, y: Double) { self.x = x; self.y = y }
}

/// The strokes of a signature or drawing as the finger makes them. Points closer than `minStep`
/// to the last one are dropped (a finger at rest reports the same spot many times a second).
public struct SignatureStrokes: Sendable {
    public private(set) var done: [[StrokePoint]] = []
    private var current: [StrokePoint]?
    private let minStep: Double

    public init(minStep: Double = 1.5) { self.minStep = minStep }

    public var strokes: [[StrokePoint]] { done + (current.map { [$0] } ?? []) }

    /// Nothing signed yet (a tap with no movement counts as a dot, which is something).
    public var isEmpty: Bool { strokes.isEmpty }

    public mutating func begin(_ p: StrokePoint) {
        end()
        current = [p]
    }

    public mutating func lineTo(_ p: StrokePoint) {
        guard let last = current?.last else { return begin(p) }
        let dx = p.x - last.x, dy = p.y - last.y
        if dx * dx + dy * dy >= minStep * minStep { current?.append(p) }
    }

    public mutating func end() {
        if let c = current { done.append(c) }
        current = nil
    }

    public mutating func clear() {
        done = []
        current = nil
    }

    /// The box around every point (minX, minY, maxX, maxY); nil when empty.
    public func bounds() -> (minX: Double, minY: Double, maxX: Double, maxY: Double)? {
        let all = strokes.flatMap { $0 }
        guard let first = all.first else { return nil }
        return all.dropFirst().reduce((first.x, first.y, first.x, first.y)) { b, p in
            (min(b.0, p.x), min(b.1, p.y), max(b.2, p.x), max(b.3, p.y))
        }
    }
}
