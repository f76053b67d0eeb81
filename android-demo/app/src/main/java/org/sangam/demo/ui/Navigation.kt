// The app's screens and how they are reached: a bottom bar for the main lists, a top bar with
// the unsynced count, conflicts and enrolment, and detail screens by record id.
package org.sangam.demo.ui

import androidx.compose.foundation.layout.padding
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material.icons.automirrored.filled.List
import androidx.compose.material.icons.filled.CheckCircle
import androidx.compose.material.icons.filled.DateRange
import androidx.compose.material.icons.filled.Face
import androidx.compose.material.icons.filled.Home
import androidx.compose.material.icons.filled.Person
import androidx.compose.material.icons.filled.Refresh
import androidx.compose.material.icons.filled.Settings
import androidx.compose.material.icons.filled.Warning
import androidx.compose.material3.Badge
import androidx.compose.material3.BadgedBox
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.vector.ImageVector
import androidx.compose.ui.res.stringResource
import androidx.navigation.NavHostController
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.currentBackStackEntryAsState
import androidx.navigation.compose.rememberNavController
import org.sangam.UserRole
import org.sangam.demo.R
import org.sangam.demo.data.SangamRepository

object Routes {
    const val ENROL = "enrol"
    const val FORMS = "forms"
    const val RESPONSES = "responses"
    const val SUBJECTS = "subjects"
    const val MEETINGS = "meetings"
    const val SYNC = "sync"
    const val CONFLICTS = "conflicts"
    const val SURVEY = "survey/{id}"
    const val SUBJECT = "subject/{id}"
    const val MEETING = "meeting/{id}"
    const val RECORD_CONFLICTS = "conflicts/{id}"
    const val REVIEW = "review"
    const val DUPLICATES = "duplicates"

    fun survey(id: String) = "survey/$id"
    fun subject(id: String) = "subject/$id"
    fun meeting(id: String) = "meeting/$id"
    fun recordConflicts(id: String) = "conflicts/$id"
}

private data class Tab(val route: String, val label: Int, val icon: ImageVector)

private val tabs = listOf(
    Tab(Routes.FORMS, R.string.tab_forms, Icons.Filled.Home),
    Tab(Routes.RESPONSES, R.string.tab_responses, Icons.AutoMirrored.Filled.List),
    Tab(Routes.SUBJECTS, R.string.tab_subjects, Icons.Filled.Person),
    Tab(Routes.MEETINGS, R.string.tab_meetings, Icons.Filled.DateRange),
    Tab(Routes.SYNC, R.string.tab_sync, Icons.Filled.Refresh),
)

private fun NavHostController.openTab(route: String) {
    navigate(route) {
        popUpTo(Routes.FORMS) { saveState = true }
        launchSingleTop = true
        restoreState = true
    }
}

@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun SangamNavHost(repository: SangamRepository, enrolmentCode: String? = null) {
    val nav = rememberNavController()
    val entry by nav.currentBackStackEntryAsState()
    val route = entry?.destination?.route
    val changes by repository.changes.collectAsState()
    var unsynced by remember { mutableStateOf<Long?>(null) }
    LaunchedEffect(changes) {
        unsynced = if (repository.isEnrolled()) runCatching { repository.unsyncedCount() }.getOrNull() else null
    }
    val settings by repository.settings.collectAsState()
    // Reviewing and merging are a coordinator's work (the core refuses them to field workers).
    val coordinator = settings?.role == UserRole.COORDINATOR || settings?.role == UserRole.ADMIN
    val start = if (repository.isEnrolled() && enrolmentCode == null) Routes.FORMS else Routes.ENROL
    val isTab = tabs.any { it.route == route }

    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(stringResource(titleFor(route))) },
                navigationIcon = {
                    if (!isTab && route != Routes.ENROL) {
                        IconButton(onClick = { nav.popBackStack() }) {
                            Icon(Icons.AutoMirrored.Filled.ArrowBack, contentDescription = stringResource(R.string.cd_back))
                        }
                    }
                },
                actions = {
                    if (route != Routes.ENROL) {
                        IconButton(onClick = { nav.openTab(Routes.SYNC) }) {
                            BadgedBox(badge = { if ((unsynced ?: 0L) > 0L) Badge { Text(unsynced.toString()) } }) {
                                Icon(Icons.Filled.Refresh, contentDescription = stringResource(R.string.cd_unsynced))
                            }
                        }
                        if (coordinator) {
                            IconButton(onClick = { nav.navigate(Routes.REVIEW) }) {
                                Icon(Icons.Filled.CheckCircle, contentDescription = stringResource(R.string.title_review))
                            }
                            IconButton(onClick = { nav.navigate(Routes.DUPLICATES) }) {
                                Icon(Icons.Filled.Face, contentDescription = stringResource(R.string.title_duplicates))
                            }
                        }
                        IconButton(onClick = { nav.navigate(Routes.CONFLICTS) }) {
                            Icon(Icons.Filled.Warning, contentDescription = stringResource(R.string.title_conflicts))
                        }
                        IconButton(onClick = { nav.navigate(Routes.ENROL) }) {
                            Icon(Icons.Filled.Settings, contentDescription = stringResource(R.string.cd_enrolment))
                        }
                    }
                },
            )
        },
        bottomBar = {
            if (isTab) {
                NavigationBar {
                    tabs.forEach { tab ->
                        NavigationBarItem(
                            selected = route == tab.route,
                            onClick = { nav.openTab(tab.route) },
                            icon = { Icon(tab.icon, contentDescription = null) },
                            label = { Text(stringResource(tab.label)) },
                        )
                    }
                }
            }
        },
    ) { padding ->
        NavHost(nav, startDestination = start, modifier = Modifier.padding(padding)) {
            composable(Routes.ENROL) {
                EnrolmentScreen(initialCode = enrolmentCode, onEnrolled = {
                    nav.navigate(Routes.FORMS) { popUpTo(Routes.ENROL) { inclusive = true } }
                })
            }
            composable(Routes.FORMS) { FormsScreen(openSurvey = { id -> nav.navigate(Routes.survey(id)) }) }
            composable(Routes.RESPONSES) {
                ResponsesScreen(
                    openSurvey = { id -> nav.navigate(Routes.survey(id)) },
                    openConflicts = { id -> nav.navigate(Routes.recordConflicts(id)) },
                )
            }
            composable(Routes.SUBJECTS) { SubjectsScreen(openSubject = { id -> nav.navigate(Routes.subject(id)) }) }
            composable(Routes.MEETINGS) { MeetingsScreen(openMeeting = { id -> nav.navigate(Routes.meeting(id)) }) }
            composable(Routes.SYNC) { SyncScreen() }
            composable(Routes.REVIEW) { ReviewScreen() }
            composable(Routes.DUPLICATES) { DuplicatesScreen() }
            composable(Routes.CONFLICTS) { ConflictsScreen(openRecord = { id -> nav.navigate(Routes.recordConflicts(id)) }) }
            composable(Routes.SURVEY) { e ->
                val id = e.arguments?.getString("id") ?: return@composable
                SurveyScreen(id, onClose = { nav.popBackStack() })
            }
            composable(Routes.SUBJECT) { e ->
                val id = e.arguments?.getString("id") ?: return@composable
                SubjectScreen(id, openSurvey = { rid -> nav.navigate(Routes.survey(rid)) })
            }
            composable(Routes.MEETING) { e ->
                val id = e.arguments?.getString("id") ?: return@composable
                MeetingScreen(id)
            }
            composable(Routes.RECORD_CONFLICTS) { e ->
                val id = e.arguments?.getString("id") ?: return@composable
                RecordConflictsScreen(id)
            }
        }
    }
}

private fun titleFor(route: String?): Int = when (route) {
    Routes.ENROL -> R.string.title_enrol
    Routes.FORMS -> R.string.tab_forms
    Routes.RESPONSES -> R.string.tab_responses
    Routes.SUBJECTS -> R.string.title_subjects
    Routes.MEETINGS -> R.string.tab_meetings
    Routes.SYNC -> R.string.tab_sync
    Routes.CONFLICTS -> R.string.title_conflicts
    Routes.SURVEY -> R.string.title_survey
    Routes.SUBJECT -> R.string.title_subject
    Routes.MEETING -> R.string.kind_meeting
    Routes.RECORD_CONFLICTS -> R.string.title_resolve
    Routes.REVIEW -> R.string.title_review
    Routes.DUPLICATES -> R.string.title_duplicates
    else -> R.string.app_name
}
