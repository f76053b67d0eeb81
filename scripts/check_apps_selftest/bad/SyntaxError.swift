// A deliberate syntax error: the checker must report it.
import SangamKit

func broken(store: SangamStore) {
    let forms = try? store.listForms(scope: nil
}
