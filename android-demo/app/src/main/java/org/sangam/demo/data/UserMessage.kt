// What went wrong, in a form a screen can say in the person's language. Pure Kotlin: the data
// layer names the kind of problem and keeps the core's detail; the app picks the words
// (ui/Texts.kt maps each kind to a string resource).
package org.sangam.demo.data

import org.sangam.ApiException

/** A message a field worker can act on; never includes answers (the core's messages do not). */
data class UserMessage(val kind: Kind, val detail: String = "") {
    enum class Kind {
        /** The hub could not be reached; the work is kept and sync retries. */
        NETWORK,
        /** The hub refused the device token: enrol again. */
        AUTH,
        FORBIDDEN,
        CANCELLED,
        VALIDATION,
        INVALID_INPUT,
        NOT_FOUND,
        STORAGE,
        KEY,
        OTHER,
        NOT_ENROLLED,
        /** Not an error of the core's; `detail` is the exception's class name. */
        UNEXPECTED,
    }
}

fun userMessage(e: Throwable): UserMessage = when (e) {
    is ApiException.Network -> UserMessage(UserMessage.Kind.NETWORK)
    is ApiException.Auth -> UserMessage(UserMessage.Kind.AUTH)
    is ApiException.Forbidden -> UserMessage(UserMessage.Kind.FORBIDDEN, e.message.orEmpty())
    is ApiException.Cancelled -> UserMessage(UserMessage.Kind.CANCELLED)
    is ApiException.Validation -> UserMessage(UserMessage.Kind.VALIDATION, e.message.orEmpty())
    is ApiException.InvalidInput -> UserMessage(UserMessage.Kind.INVALID_INPUT, e.message.orEmpty())
    is ApiException.NotFound -> UserMessage(UserMessage.Kind.NOT_FOUND, e.message.orEmpty())
    is ApiException.Storage -> UserMessage(UserMessage.Kind.STORAGE, e.message.orEmpty())
    is ApiException.Key -> UserMessage(UserMessage.Kind.KEY, e.message.orEmpty())
    is ApiException.Other -> UserMessage(UserMessage.Kind.OTHER, e.message.orEmpty())
    is NotEnrolledException -> UserMessage(UserMessage.Kind.NOT_ENROLLED)
    else -> UserMessage(UserMessage.Kind.UNEXPECTED, e::class.java.simpleName)
}

/**
 * How the syncs have gone, kept by the core across restarts: when one last finished, and the
 * failure since then as a message kind with the core's detail.
 */
data class SyncStatus(val lastOkMs: Long?, val failedAtMs: Long?, val failure: UserMessage?) {
    companion object {
        fun of(v: org.sangam.SyncStatusView): SyncStatus {
            val kind = when (v.failureKind) {
                null -> null
                "network" -> UserMessage.Kind.NETWORK
                "auth" -> UserMessage.Kind.AUTH
                "forbidden" -> UserMessage.Kind.FORBIDDEN
                "storage" -> UserMessage.Kind.STORAGE
                else -> UserMessage.Kind.OTHER
            }
            return SyncStatus(v.lastOkMs, v.failedAtMs, kind?.let { UserMessage(it, v.failureMessage.orEmpty()) })
        }
    }
}

/** Thrown by the repository when a screen needs the store before enrolment. */
class NotEnrolledException : IllegalStateException("not enrolled")
