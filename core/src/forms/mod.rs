//! Forms: XLSForm surveys imported into a typed definition, the expression language of their
//! columns, and the live state a phone renders from.
//!
//! - [`definition`]: the typed form ([`FormDefinition`]) that a `form` record stores as JSON.
//! - [`xlsform`]: reads an `.xlsx` XLSForm into a definition, or reports every problem with
//!   sheet, row and column; [`inspect`] renders either for people or as JSON.
//! - [`expr`]: parser and evaluator for `relevant`, `constraint`, `calculation` and friends.
//! - [`attachments`]: the CSV, XML and GeoJSON files that `select_one_from_file`, lookups
//!   and `pulldata` read.
//! - [`state`]: which questions are relevant, required and read-only, calculated values,
//!   constraint violations and filtered choices for a set of answers, recomputed cheaply
//!   after each change.
//!
//! The store operations (publish, list, validate a response, move a draft to a new version)
//! are in [`crate::record::form`].

pub mod attachments;
pub mod definition;
pub mod expr;
mod inspect;
pub mod migrate;
pub mod state;
pub mod xlsform;

pub use definition::FormDefinition;
pub use inspect::{inspect, InspectReport};
pub use state::{CompiledForm, DeviceInfo, FormState, LiveForm};
pub use xlsform::{Problem, ProblemKind};
