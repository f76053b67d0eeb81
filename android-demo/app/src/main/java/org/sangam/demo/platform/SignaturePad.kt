// A pad to sign (or draw) on with a finger, for image questions with `appearance: signature`
// or `draw`: the strokes are kept in SignatureStrokes (org.sangam.demo.data), drawn as the
// finger moves, and rendered black on white to a PNG when the person is done.
package org.sangam.demo.platform

import android.content.Context
import android.graphics.Bitmap
import android.graphics.Canvas
import android.graphics.Color
import android.graphics.Paint
import android.graphics.Path
import android.view.MotionEvent
import android.view.View
import java.io.ByteArrayOutputStream
import org.sangam.demo.data.SignatureStrokes

class SignaturePad(context: Context) : View(context) {
    val strokes = SignatureStrokes()

    /** Called after each stroke ends (to enable a Save button once something is signed). */
    var onChange: (() -> Unit)? = null

    private val ink = Paint(Paint.ANTI_ALIAS_FLAG).apply {
        color = Color.BLACK
        style = Paint.Style.STROKE
        strokeCap = Paint.Cap.ROUND
        strokeJoin = Paint.Join.ROUND
        strokeWidth = 3f * resources.displayMetrics.density
    }

    init {
        // Its spoken name is given where it is shown (the capture dialog), in the app's language.
        setBackgroundColor(Color.WHITE)
    }

    override fun onTouchEvent(event: MotionEvent): Boolean {
        when (event.actionMasked) {
            MotionEvent.ACTION_DOWN -> {
                parent?.requestDisallowInterceptTouchEvent(true)
                strokes.begin(event.x, event.y)
            }
            MotionEvent.ACTION_MOVE -> {
                for (i in 0 until event.historySize) strokes.lineTo(event.getHistoricalX(i), event.getHistoricalY(i))
                strokes.lineTo(event.x, event.y)
            }
            MotionEvent.ACTION_UP, MotionEvent.ACTION_CANCEL -> {
                strokes.lineTo(event.x, event.y)
                strokes.end()
                onChange?.invoke()
            }
            else -> return false
        }
        invalidate()
        return true
    }

    override fun onDraw(canvas: Canvas) {
        super.onDraw(canvas)
        draw(canvas, ink)
    }

    private fun draw(canvas: Canvas, paint: Paint) {
        for (stroke in strokes.strokes) {
            if (stroke.size == 1) {
                canvas.drawPoint(stroke[0].x, stroke[0].y, paint)
                continue
            }
            val p = Path()
            p.moveTo(stroke[0].x, stroke[0].y)
            for (pt in stroke.drop(1)) p.lineTo(pt.x, pt.y)
            canvas.drawPath(p, paint)
        }
    }

    fun clear() {
        strokes.clear()
        invalidate()
        onChange?.invoke()
    }

    /** The signature as a PNG the pad's size, black on white; null if nothing was signed. */
    fun toPng(): ByteArray? {
        if (strokes.isEmpty || width <= 0 || height <= 0) return null
        val bmp = Bitmap.createBitmap(width, height, Bitmap.Config.ARGB_8888)
        val c = Canvas(bmp)
        c.drawColor(Color.WHITE)
        draw(c, ink)
        val out = ByteArrayOutputStream()
        bmp.compress(Bitmap.CompressFormat.PNG, 100, out)
        bmp.recycle()
        return out.toByteArray()
    }
}
