// Taking a photo for a media question: the camera app writes a full-size JPEG to the capture
// file (CaptureFiles), which is then decoded at the smallest power-of-two reduction that still
// covers the question's max-pixels (so a 13 MP photo never sits whole in memory), scaled
// exactly, turned upright from its EXIF orientation and stored as a JPEG. The capture file is
// deleted once read.
package org.sangam.demo.platform

import android.content.Context
import android.content.Intent
import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.graphics.Matrix
import android.media.ExifInterface
import android.provider.MediaStore
import java.io.ByteArrayOutputStream
import java.io.File
import java.io.IOException
import org.sangam.demo.data.PhotoSizing

class PhotoCapture(private val context: Context) {
    private val file: File get() = CaptureFiles.fileFor(context, CaptureFiles.uri(CaptureFiles.PHOTO)) ?: error("capture file")

    /** The camera app's intent, writing to the capture file; null if the phone has no camera app. */
    fun intent(): Intent? {
        file.delete()
        val out = CaptureFiles.uri(CaptureFiles.PHOTO)
        val i = Intent(MediaStore.ACTION_IMAGE_CAPTURE)
            .putExtra(MediaStore.EXTRA_OUTPUT, out)
            .addFlags(Intent.FLAG_GRANT_WRITE_URI_PERMISSION or Intent.FLAG_GRANT_READ_URI_PERMISSION)
        return if (i.resolveActivity(context.packageManager) != null) i else null
    }

    /**
     * The photo the camera just took, as JPEG bytes no larger than `maxPixels` on its longer
     * side, or null if the camera wrote nothing (the person backed out).
     */
    fun takeResult(maxPixels: Int?, quality: Int = 85): ByteArray? {
        val f = file
        if (!f.exists() || f.length() == 0L) return null
        try {
            val bounds = BitmapFactory.Options().apply { inJustDecodeBounds = true }
            BitmapFactory.decodeFile(f.path, bounds)
            if (bounds.outWidth <= 0 || bounds.outHeight <= 0) throw IOException("the camera's file is not a picture")
            val rotation = rotationOf(f)
            // The target is for the upright photo; a quarter turn swaps the sides.
            val (tw, th) = PhotoSizing.target(bounds.outWidth, bounds.outHeight, maxPixels)
            val opts = BitmapFactory.Options().apply {
                inSampleSize = PhotoSizing.sampleSize(bounds.outWidth, bounds.outHeight, tw, th)
            }
            val decoded = BitmapFactory.decodeFile(f.path, opts) ?: throw IOException("the camera's picture cannot be read")
            val m = Matrix()
            m.postScale(tw.toFloat() / decoded.width, th.toFloat() / decoded.height)
            if (rotation != 0) m.postRotate(rotation.toFloat())
            val upright = Bitmap.createBitmap(decoded, 0, 0, decoded.width, decoded.height, m, true)
            if (upright !== decoded) decoded.recycle()
            val out = ByteArrayOutputStream()
            upright.compress(Bitmap.CompressFormat.JPEG, quality, out)
            upright.recycle()
            return out.toByteArray()
        } finally {
            f.delete()
        }
    }

    private fun rotationOf(f: File): Int = try {
        when (ExifInterface(f.path).getAttributeInt(ExifInterface.TAG_ORIENTATION, ExifInterface.ORIENTATION_NORMAL)) {
            ExifInterface.ORIENTATION_ROTATE_90 -> 90
            ExifInterface.ORIENTATION_ROTATE_180 -> 180
            ExifInterface.ORIENTATION_ROTATE_270 -> 270
            else -> 0
        }
    } catch (e: IOException) {
        0
    }
}
