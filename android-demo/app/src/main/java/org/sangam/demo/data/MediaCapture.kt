// What a media question asks the phone to capture, and the platform-free arithmetic of capturing
// it: which capture screen a question gets (camera, signature pad, audio recorder, a file), what
// file type its answer is stored as, the size a photo is brought down to for the question's
// max-pixels, and the strokes of a signature. The Android code that touches the camera, the
// screen and the microphone (org.sangam.demo.platform) only carries these out.
package org.sangam.demo.data

import org.sangam.QuestionType
import org.sangam.QuestionView

/** The capture screen a media question opens. */
enum class Capture(val ext: String, val mime: String) {
    /** The camera; stored as JPEG, brought down to the question's max-pixels. */
    PHOTO("jpg", "image/jpeg"),
    /** A pad the person signs on with a finger (`appearance: signature`). */
    SIGNATURE("png", "image/png"),
    /** A pad for a free drawing (`appearance: draw`, `annotate`). */
    DRAWING("png", "image/png"),
    /** The microphone; AAC in an MPEG-4 file, mono, small enough for 2G. */
    AUDIO("m4a", "audio/mp4"),
    /** The camera's video mode. */
    VIDEO("mp4", "video/mp4"),
    /** Any file the person picks; its type is the picked file's. */
    FILE("bin", "application/octet-stream"),
    ;

    companion object {
        /** The capture a question asks for, or null for a question that is not media. */
        fun forQuestion(q: QuestionView): Capture? = forKind(q.kind, q.appearance)

        fun forKind(kind: QuestionType, appearance: String?): Capture? {
            val looks = appearance.orEmpty().lowercase().split(' ', ',').filter { it.isNotBlank() }
            return when (kind) {
                QuestionType.IMAGE -> when {
                    "signature" in looks -> SIGNATURE
                    "draw" in looks || "annotate" in looks -> DRAWING
                    else -> PHOTO
                }
                QuestionType.AUDIO -> AUDIO
                QuestionType.VIDEO -> VIDEO
                QuestionType.FILE -> FILE
                else -> null
            }
        }
    }
}

/** Photo sizes for a question's max-pixels (ODK's meaning: the longer side at most that many). */
object PhotoSizing {
    /** The longer side when a form sets no max-pixels: about 1 MP, a few hundred KB as JPEG. */
    const val DEFAULT_MAX_PIXELS = 1280

    /** The size a `width`×`height` photo is stored at: never enlarged, the aspect kept. */
    fun target(width: Int, height: Int, maxPixels: Int?): Pair<Int, Int> {
        require(width > 0 && height > 0) { "a photo has a size" }
        val limit = (maxPixels ?: DEFAULT_MAX_PIXELS).coerceAtLeast(1)
        val longer = maxOf(width, height)
        if (longer <= limit) return width to height
        val scale = limit.toDouble() / longer
        val w = Math.round(width * scale).toInt().coerceIn(1, limit)
        val h = Math.round(height * scale).toInt().coerceIn(1, limit)
        return w to h
    }

    /**
     * The largest power of two the decoder may shrink by while decoding (BitmapFactory's
     * inSampleSize) and still give at least the target size, so a 13 MP photo is never held
     * whole in a cheap phone's memory.
     */
    fun sampleSize(width: Int, height: Int, targetWidth: Int, targetHeight: Int): Int {
        var s = 1
        while (width / (s * 2) >= targetWidth && height / (s * 2) >= targetHeight) s *= 2
        return s
    }
}

/** A point of a stroke, in the pad's pixels. */
data class StrokePoint(val x: Float, val y: Float)

/**
 * The strokes of a signature or drawing as the finger makes them. Points closer than
 * `minStep` pixels to the last one are dropped (a finger at rest reports the same spot many
 * times a second).
 */
class SignatureStrokes(private val minStep: Float = 1.5f) {
    private val done = mutableListOf<List<StrokePoint>>()
    private var current: MutableList<StrokePoint>? = null

    val strokes: List<List<StrokePoint>> get() = done + listOfNotNull(current?.toList())

    /** Nothing signed yet (a tap with no movement counts as a dot, which is something). */
    val isEmpty: Boolean get() = strokes.isEmpty()

    fun begin(x: Float, y: Float) {
        end()
        current = mutableListOf(StrokePoint(x, y))
    }

    fun lineTo(x: Float, y: Float) {
        val c = current ?: return begin(x, y)
        val last = c.last()
        val dx = x - last.x
        val dy = y - last.y
        if (dx * dx + dy * dy >= minStep * minStep) c.add(StrokePoint(x, y))
    }

    fun end() {
        current?.let { done.add(it.toList()) }
        current = null
    }

    fun clear() {
        done.clear()
        current = null
    }

    /** The box around every point, as left, top, right, bottom; null when empty. */
    fun bounds(): FloatArray? {
        val all = strokes.flatten()
        if (all.isEmpty()) return null
        return floatArrayOf(all.minOf { it.x }, all.minOf { it.y }, all.maxOf { it.x }, all.maxOf { it.y })
    }
}
