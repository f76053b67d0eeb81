// Where the camera app writes a photo or video for us: one file in the app's cache, offered to
// the camera through a content:// address this provider serves (the camera gets write access to
// that one address for that one capture; nothing else of the app is reachable). Android 7 and
// later refuse file:// addresses across apps, and AndroidX's FileProvider is not used, so the
// app serves the file itself.
package org.sangam.demo.platform

import android.content.ContentProvider
import android.content.ContentValues
import android.content.Context
import android.database.Cursor
import android.database.MatrixCursor
import android.net.Uri
import android.os.ParcelFileDescriptor
import android.provider.OpenableColumns
import java.io.File
import java.io.FileNotFoundException

class CaptureFiles : ContentProvider() {
    override fun onCreate(): Boolean = true

    override fun openFile(uri: Uri, mode: String): ParcelFileDescriptor {
        val ctx = context ?: throw FileNotFoundException("no context")
        val file = fileFor(ctx, uri) ?: throw FileNotFoundException("not a capture address: $uri")
        val flags = when {
            mode.contains('w') -> ParcelFileDescriptor.MODE_READ_WRITE or ParcelFileDescriptor.MODE_CREATE or ParcelFileDescriptor.MODE_TRUNCATE
            else -> ParcelFileDescriptor.MODE_READ_ONLY
        }
        return ParcelFileDescriptor.open(file, flags)
    }

    override fun getType(uri: Uri): String? = when (uri.lastPathSegment) {
        PHOTO -> "image/jpeg"
        VIDEO -> "video/mp4"
        else -> null
    }

    override fun query(uri: Uri, projection: Array<out String>?, selection: String?, selectionArgs: Array<out String>?, sortOrder: String?): Cursor? {
        val ctx = context ?: return null
        val file = fileFor(ctx, uri) ?: return null
        val cols = arrayOf(OpenableColumns.DISPLAY_NAME, OpenableColumns.SIZE)
        return MatrixCursor(cols, 1).apply { addRow(arrayOf<Any>(file.name, file.length())) }
    }

    override fun insert(uri: Uri, values: ContentValues?): Uri? = null
    override fun delete(uri: Uri, selection: String?, selectionArgs: Array<out String>?): Int = 0
    override fun update(uri: Uri, values: ContentValues?, selection: String?, selectionArgs: Array<out String>?): Int = 0

    companion object {
        const val AUTHORITY = "org.sangam.demo.capture"
        const val PHOTO = "photo.jpg"
        const val VIDEO = "video.mp4"

        fun uri(name: String): Uri = Uri.parse("content://$AUTHORITY/$name")

        /** The one file behind a capture address (only the two names above exist). */
        fun fileFor(ctx: Context, uri: Uri): File? {
            if (uri.authority != AUTHORITY) return null
            val name = uri.lastPathSegment ?: return null
            if (name != PHOTO && name != VIDEO) return null
            val dir = File(ctx.cacheDir, "capture").apply { mkdirs() }
            return File(dir, name)
        }
    }
}
