// Background sync with WorkManager: a periodic sync and an on-demand "sync as soon as a network
// is there", both with a CONNECTED constraint, so work saved offline leaves the phone when
// connectivity returns.
package org.sangam.demo.sync

import android.content.Context
import androidx.work.BackoffPolicy
import androidx.work.Constraints
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkInfo
import androidx.work.WorkManager
import androidx.work.WorkQuery
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.flow.Flow

object SyncScheduler {
    const val PERIODIC = "sangam-periodic-sync"
    const val WHEN_ONLINE = "sangam-sync-when-online"

    private val online: Constraints = Constraints.Builder()
        .setRequiredNetworkType(NetworkType.CONNECTED)
        .build()

    /** Every 30 minutes while a network is there (WorkManager's minimum is 15). */
    fun schedulePeriodic(context: Context) {
        val request = PeriodicWorkRequestBuilder<SyncWorker>(30, TimeUnit.MINUTES)
            .setConstraints(online)
            .addTag(PERIODIC)
            .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, 1, TimeUnit.MINUTES)
            .build()
        WorkManager.getInstance(context)
            .enqueueUniquePeriodicWork(PERIODIC, ExistingPeriodicWorkPolicy.UPDATE, request)
    }

    /** One sync as soon as the phone is online; a request already waiting is kept. */
    fun syncWhenOnline(context: Context) {
        val request = OneTimeWorkRequestBuilder<SyncWorker>()
            .setConstraints(online)
            .addTag(WHEN_ONLINE)
            .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, 30, TimeUnit.SECONDS)
            .build()
        WorkManager.getInstance(context).enqueueUniqueWork(WHEN_ONLINE, ExistingWorkPolicy.KEEP, request)
    }

    fun cancelAll(context: Context) {
        val wm = WorkManager.getInstance(context)
        wm.cancelUniqueWork(PERIODIC)
        wm.cancelUniqueWork(WHEN_ONLINE)
    }

    /** The state and progress of both kinds of background sync, for the sync screen. */
    fun workInfos(context: Context): Flow<List<WorkInfo>> =
        WorkManager.getInstance(context).getWorkInfosFlow(WorkQuery.fromUniqueWorkNames(listOf(PERIODIC, WHEN_ONLINE)))
}
