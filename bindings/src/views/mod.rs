//! Records and enums the apps see, one module per concept, each with its `From` conversions
//! from (and, for inputs, to) the core types.

mod actions;
mod answers;
mod conflicts;
mod forms;
mod meetings;
mod records;
mod responses;
mod review;
mod subjects;
mod sync;

pub use actions::{ActionChanges, ActionInput, ActionQuery, ActionStatus, ActionView};
pub use answers::{AnswerValue, StoredValue};
pub(crate) use answers::from_map;
pub use conflicts::{ConflictValueView, ConflictedRecord, FieldConflictView};
pub use forms::{
    ChoiceOption, FormStateView, InnerRepeatView, LeftOutAnswer, MigrationResult, QuestionType, QuestionView, RepeatRowState,
    RepeatView, ValidationResult, Violation,
};
pub use meetings::{AttendeeInput, AttendeeView, DecisionView, MeetingInput, MeetingView};
pub(crate) use records::rows;
pub use records::{ChangeBy, HistoryEntryView, RecordKind, RecordRow, RecordStatus, UserInfo, UserRole};
pub(crate) use responses::response_view;
pub use responses::{RepeatRowView, ResponseQuery, ResponseStatus, ResponseView};
pub use review::{ReviewCommentView, ReviewEvent, ReviewItem, ReviewQuery, ReviewState, ReviewView};
pub use subjects::{DuplicatePair, MergeFollowUp, MergeResult, SubjectSearch, SubjectView, UnmergeResult};
pub use sync::{BundleResult, Rejected, SyncProgressInfo, SyncResult, SyncStatusView};
