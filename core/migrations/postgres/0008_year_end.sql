-- The year-end evaluation of a branch: the job side (业务) entered per
-- member and year, the overrides of proposed grades with their reasons,
-- the branch's lock of the year (and its reopening), and the public notice.
-- Each row names the branch it was decided in: a member who moves keeps
-- their past years where they were.
CREATE TABLE job_results (
    member_id TEXT NOT NULL,
    year BIGINT NOT NULL,
    branch_id TEXT NOT NULL,
    appraisal TEXT NOT NULL,
    tasks_assigned BIGINT,
    tasks_completed BIGINT,
    note TEXT,
    entered_by TEXT NOT NULL,
    entered_at BIGINT NOT NULL,
    PRIMARY KEY (member_id, year)
);
CREATE INDEX job_results_branch ON job_results(branch_id, year);

CREATE TABLE grade_overrides (
    member_id TEXT NOT NULL,
    year BIGINT NOT NULL,
    branch_id TEXT NOT NULL,
    grade TEXT NOT NULL,
    reason TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at BIGINT NOT NULL,
    PRIMARY KEY (member_id, year)
);
CREATE INDEX grade_overrides_branch ON grade_overrides(branch_id, year);

-- One row per branch and year once it was first locked; `locked` 0 after a
-- reopening, whose reason stays beside it. `snapshot` is the evaluation as
-- locked (JSON): what the year's results are while it stays locked.
CREATE TABLE evaluation_locks (
    branch_id TEXT NOT NULL,
    year BIGINT NOT NULL,
    locked BIGINT NOT NULL,
    locked_by TEXT NOT NULL,
    locked_at BIGINT NOT NULL,
    reopened_by TEXT,
    reopened_at BIGINT,
    reopen_reason TEXT,
    snapshot TEXT NOT NULL,
    PRIMARY KEY (branch_id, year)
);

CREATE TABLE evaluation_notices (
    branch_id TEXT NOT NULL,
    year BIGINT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    objection TEXT NOT NULL,
    named TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (branch_id, year)
);

-- The branch assessment (六化): each checklist item's finding at each
-- stage, the branch's self-check and the committee's spot-check, which
-- prevails; with the evidence or the reason noted.
CREATE TABLE branch_findings (
    branch_id TEXT NOT NULL,
    year BIGINT NOT NULL,
    item_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    score TEXT NOT NULL,
    note TEXT NOT NULL,
    found_by TEXT NOT NULL,
    found_at BIGINT NOT NULL,
    PRIMARY KEY (branch_id, year, item_id, stage)
);

-- Long exports (a committee's every member): run in the background, their
-- progress and finished file kept here so that any server process answers
-- the polls and the download.
CREATE TABLE export_jobs (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    title TEXT NOT NULL,
    state TEXT NOT NULL,
    done BIGINT NOT NULL,
    total BIGINT NOT NULL,
    file_name TEXT,
    file BYTEA,
    message TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Veto items (一票否决) found against a member for a year, with the reason:
-- the year-end grade they force, beside who found them and when.
CREATE TABLE member_vetoes (
    member_id TEXT NOT NULL,
    year BIGINT NOT NULL,
    branch_id TEXT NOT NULL,
    veto_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    found_by TEXT NOT NULL,
    found_at BIGINT NOT NULL,
    PRIMARY KEY (member_id, year, veto_id)
);
CREATE INDEX member_vetoes_branch ON member_vetoes(branch_id, year);
