package org.sangam.demo

import android.content.Context
import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Surface
import androidx.compose.material3.lightColorScheme
import androidx.compose.ui.graphics.Color
import org.sangam.demo.platform.AppLocale
import org.sangam.demo.ui.SangamNavHost

class MainActivity : ComponentActivity() {
    /** The screens in the language chosen in the app (English / हिन्दी); see AppLocale. */
    override fun attachBaseContext(newBase: Context) {
        super.attachBaseContext(AppLocale.wrap(newBase))
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val repository = (application as SangamApplication).repository
        // Opened from a scanned enrolment QR code (sangam://enrol?hub=…&token=…).
        val enrolmentCode: String? = intent?.data?.takeIf { it.scheme == "sangam" }?.toString()
        setContent {
            MaterialTheme(colorScheme = lightColorScheme(primary = Color(0xFF8A3B12), secondary = Color(0xFF2E6B4F))) {
                Surface(color = MaterialTheme.colorScheme.background) {
                    SangamNavHost(repository, enrolmentCode)
                }
            }
        }
    }
}
