// The process-wide repository over this phone's store, background sync scheduling, and a
// checkpoint of the database whenever the app leaves the foreground.
package org.sangam.demo

import android.app.Application
import androidx.lifecycle.DefaultLifecycleObserver
import androidx.lifecycle.LifecycleOwner
import androidx.lifecycle.ProcessLifecycleOwner
import java.io.File
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.launch
import org.sangam.demo.data.SangamRepository
import org.sangam.demo.platform.KeystoreStoreKeyVault
import org.sangam.demo.platform.PrefsEnrolmentStorage
import org.sangam.demo.sync.SyncScheduler

class SangamApplication : Application() {
    lateinit var repository: SangamRepository
        private set

    private val appScope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    override fun onCreate() {
        super.onCreate()
        // The store is encrypted under a key the Android Keystore wraps (a store from before is
        // encrypted in place at this first open, losing nothing).
        val repo = SangamRepository(File(filesDir, "sangam.db").path, PrefsEnrolmentStorage(this), KeystoreStoreKeyVault(this))
        repo.backgroundSyncRequester = { SyncScheduler.syncWhenOnline(this) }
        repository = repo
        if (repo.isEnrolled()) SyncScheduler.schedulePeriodic(this)
        ProcessLifecycleOwner.get().lifecycle.addObserver(object : DefaultLifecycleObserver {
            override fun onStop(owner: LifecycleOwner) {
                // Leaving the foreground: fold the write-ahead log into the database file.
                appScope.launch { runCatching { repo.checkpoint() } }
            }
        })
    }
}
