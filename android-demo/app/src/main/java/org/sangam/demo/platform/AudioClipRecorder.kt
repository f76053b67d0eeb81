// Recording an audio answer (a deep-listening interview, a spoken consent): AAC in an MPEG-4
// file, mono at 16 kHz and 32 kbit/s (about 240 KB a minute, speech stays clear and a clip
// crosses a 2G link), into a file in the app's cache that is read and deleted when the
// recording stops. The RECORD_AUDIO permission is asked for by the activity before start().
package org.sangam.demo.platform

import android.content.Context
import android.media.MediaRecorder
import android.os.SystemClock
import java.io.File
import java.io.IOException

class AudioClipRecorder(context: Context) {
    private val file = File(File(context.cacheDir, "capture").apply { mkdirs() }, "audio.m4a")
    private var recorder: MediaRecorder? = null
    private var startedAt = 0L

    val isRecording: Boolean get() = recorder != null

    /** Milliseconds recorded so far (0 when not recording). */
    val elapsedMs: Long get() = if (recorder == null) 0 else SystemClock.elapsedRealtime() - startedAt

    @Throws(IOException::class)
    fun start() {
        check(recorder == null) { "already recording" }
        file.delete()
        val r = MediaRecorder()
        try {
            r.setAudioSource(MediaRecorder.AudioSource.MIC)
            r.setOutputFormat(MediaRecorder.OutputFormat.MPEG_4)
            r.setAudioEncoder(MediaRecorder.AudioEncoder.AAC)
            r.setAudioChannels(1)
            r.setAudioSamplingRate(16_000)
            r.setAudioEncodingBitRate(32_000)
            r.setOutputFile(file.path)
            r.prepare()
            r.start()
        } catch (e: RuntimeException) {
            r.release()
            throw IOException("the microphone could not be started: ${e.message}", e)
        }
        recorder = r
        startedAt = SystemClock.elapsedRealtime()
    }

    /** Stops and returns the clip's bytes (null if it was too short to hold any sound). */
    fun stop(): ByteArray? {
        val r = recorder ?: return null
        recorder = null
        val ok = try {
            r.stop()
            true
        } catch (e: RuntimeException) {
            false // stopped before any audio was written: MediaRecorder throws
        } finally {
            r.release()
        }
        return try {
            if (ok && file.length() > 0) file.readBytes() else null
        } finally {
            file.delete()
        }
    }

    /** Stops and throws the clip away. */
    fun cancel() {
        stop()
    }
}
