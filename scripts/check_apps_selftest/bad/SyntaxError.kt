// A deliberate syntax error: the checker must report it.
package selftest

fun broken(store: org.sangam.SangamStore {
    val x = store.listForms(null
}
