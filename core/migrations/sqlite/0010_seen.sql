-- What the reviewer saw of a record when deciding it (review::Judged as
-- JSON, from the decision in the reviews document): a record changed
-- afterwards comes back to the queue showing what was decided.
ALTER TABLE reviews ADD COLUMN seen TEXT;
