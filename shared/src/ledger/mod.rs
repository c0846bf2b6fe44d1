//! The ledger engine: rulebooks, per-member ledgers, year-end evaluation.
//! Pure functions, the same on the server (official) and in the browser
//! (provisional).

pub mod assessment;
pub mod engine;
pub mod evaluation;
pub mod explain;
pub mod kinds;
pub mod points;
pub mod rulebook;
pub mod sheet;
pub mod year_end;

pub use engine::{
    compute, Adjustment, Entry, JobFact, Ledger, LedgerInput, Mode, Note, Prepared, RecordFact,
    Review, Source, VetoFact,
};
pub use evaluation::{evaluate, Evaluation, EvaluationError, MemberResult, Override};
pub use kinds::{
    Appraisal, AttendanceMark, Grade, Kind, LeaveKind, Outcome, Period, Section, Side,
};
pub use points::Points;
pub use rulebook::{
    default_rulebook, in_force, AppraisalPricing, CommitteeRules, Rulebook, RulebookError,
};
pub use sheet::subtotal;
pub use sheet::{
    BranchLedger, BranchRow, Chart, Preview, PreviewRow, Published, PublishedVersion,
    RulebookOverview, Sheet, SheetEntry,
};
