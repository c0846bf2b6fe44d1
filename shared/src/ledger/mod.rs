//! The ledger engine: rulebooks, per-member ledgers, year-end evaluation.
//! Pure functions, the same on the server (official) and in the browser
//! (provisional).

pub mod assessment;
pub mod engine;
pub mod evaluation;
pub mod kinds;
pub mod points;
pub mod rulebook;
pub mod sheet;

pub use engine::{
    compute, Adjustment, Entry, Ledger, LedgerInput, Mode, Note, Prepared, RecordFact, Review,
    Source, VetoFact,
};
pub use evaluation::{evaluate, Evaluation, EvaluationError, MemberResult, Override};
pub use kinds::{AttendanceMark, Grade, Kind, LeaveKind, Outcome, Period, Section, Side};
pub use points::Points;
pub use rulebook::{default_rulebook, in_force, Rulebook, RulebookError};
pub use sheet::subtotal;
pub use sheet::{
    BranchLedger, BranchRow, Chart, Preview, PreviewRow, Published, PublishedVersion,
    RulebookOverview, Sheet, SheetEntry,
};
