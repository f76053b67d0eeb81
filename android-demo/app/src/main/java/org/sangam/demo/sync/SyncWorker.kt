// The background sync: a CoroutineWorker that runs the same repository sync as "Sync now",
// reports progress through WorkManager, and is cancelled (between round trips) when stopped.
package org.sangam.demo.sync

import android.content.Context
import android.util.Log
import androidx.work.CoroutineWorker
import androidx.work.Data
import androidx.work.WorkerParameters
import androidx.work.workDataOf
import org.sangam.ApiException
import org.sangam.SyncProgressInfo
import org.sangam.SyncResult
import org.sangam.demo.SangamApplication

class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val repo = (applicationContext as SangamApplication).repository
        if (!repo.isEnrolled()) return Result.success()
        return try {
            val result: SyncResult = repo.sync { p -> setProgressAsync(progressData(p)) }
            // Counts only: no record contents or personal data in logs.
            Log.i(TAG, "sync done: sent ${result.progress.docsSent}, received ${result.progress.docsReceived}, rejected ${result.rejected.size}, new conflicts ${result.newConflicts.size}")
            Result.success(progressData(result.progress))
        } catch (e: ApiException.Network) {
            Log.i(TAG, "hub not reachable; will retry")
            Result.retry()
        } catch (e: ApiException.Cancelled) {
            Result.retry()
        } catch (e: ApiException.Auth) {
            Log.w(TAG, "the hub refused this device's token; enrol again")
            Result.failure()
        } catch (e: ApiException) {
            Log.w(TAG, "sync failed: ${e::class.java.simpleName}")
            if (runAttemptCount < MAX_ATTEMPTS) Result.retry() else Result.failure()
        }
    }

    companion object {
        private const val TAG = "SangamSync"
        private const val MAX_ATTEMPTS = 5
        const val ROUND_TRIPS = "round_trips"
        const val DOCS_SENT = "docs_sent"
        const val DOCS_RECEIVED = "docs_received"
        const val BYTES_SENT = "bytes_sent"
        const val BYTES_RECEIVED = "bytes_received"

        fun progressData(p: SyncProgressInfo): Data = workDataOf(
            ROUND_TRIPS to p.roundTrips.toInt(),
            DOCS_SENT to p.docsSent.toLong(),
            DOCS_RECEIVED to p.docsReceived.toLong(),
            BYTES_SENT to p.bytesSent.toLong(),
            BYTES_RECEIVED to p.bytesReceived.toLong(),
        )
    }
}
