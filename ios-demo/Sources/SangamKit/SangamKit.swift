// SangamKit re-exports the generated bindings, so the app imports one module.
@_exported import Sangam
