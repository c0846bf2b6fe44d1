//! The SQL of documents, sync states, actors, the audit log and the
//! materialized tables, shared by both backends like `sql_store`. The one
//! difference is how a writer takes a document's lock, passed in as `$begin`
//! and `$lock`.

/// Every materialized table, with the columns that identify a row and the
/// rest, for the rebuild comparison.
pub(crate) const MATERIALIZED: &[(&str, &str)] = &[
    ("records", "doc_id, record_id, member_id, year, kind, occurred_at, occurred_ts, event_id, hours, place, lat, lon, note, code, withdrawn"),
    ("reviews", "doc_id, record_id, member_id, year, status, reason, reviewer, reviewed_at"),
    ("adjustments", "doc_id, adjustment_id, member_id, year, points, reason, section, side, reviewer"),
    ("grades", "doc_id, member_id, year, proposal, override_grade, reason, reviewer"),
    ("events", "doc_id, event_id, branch_id, year, kind, title, starts_at, ends_at, place, code_key, cancelled"),
    ("attendance", "doc_id, event_id, member_id, outcome, reason, reviewer"),
];

macro_rules! doc_store {
    ($store:ty, $db:ty, $txn:ident, $writer:ident, $writer_setup:expr, $begin:literal, $lock:literal) => {
        /// Upserts record rows, from any number of documents, in one
        /// statement. A record listed twice keeps its last version.
        async fn upsert_records(
            conn: &mut <$db as sqlx::Database>::Connection,
            records: &[(&vanguard_shared::documents::DocId, &vanguard_shared::documents::CheckinRecord)],
        ) -> Result<(), $crate::storage::StoreError> {
            let mut unique: Vec<(String, &vanguard_shared::documents::DocId, &vanguard_shared::documents::CheckinRecord)> = Vec::new();
            for (id, r) in records {
                let doc_id = id.to_string();
                unique.retain(|(d, _, u)| !(*d == doc_id && u.record_id == r.record_id));
                unique.push((doc_id, id, r));
            }
            if unique.is_empty() {
                return Ok(());
            }
            let mut q = sqlx::QueryBuilder::<$db>::new(
                "INSERT INTO records (doc_id, record_id, member_id, year, kind, occurred_at, occurred_ts, event_id, hours, place, lat, lon, note, code, withdrawn) ",
            );
            q.push_values(&unique, |mut row, (doc_id, id, r)| {
                row.push_bind(doc_id.as_str())
                    .push_bind(r.record_id.as_str())
                    .push_bind(id.owner.as_str())
                    .push_bind(i64::from(id.year))
                    .push_bind(r.kind.as_str())
                    .push_bind(r.occurred_at.to_rfc3339())
                    .push_bind(r.occurred_at.timestamp())
                    .push_bind(r.event_id.as_deref())
                    .push_bind(r.hours)
                    .push_bind(r.place.as_deref())
                    .push_bind(r.lat)
                    .push_bind(r.lon)
                    .push_bind(r.note.as_deref())
                    .push_bind(r.code.as_deref())
                    .push_bind(r.withdrawn);
            });
            q.push(
                " ON CONFLICT (doc_id, record_id) DO UPDATE SET kind = excluded.kind, occurred_at = excluded.occurred_at, \
                 occurred_ts = excluded.occurred_ts, event_id = excluded.event_id, hours = excluded.hours, place = excluded.place, \
                 lat = excluded.lat, lon = excluded.lon, note = excluded.note, code = excluded.code, withdrawn = excluded.withdrawn",
            );
            q.build().execute(&mut *conn).await?;
            Ok(())
        }

        /// Writes the rows of `entries` for document `id`: upserts, so a
        /// re-sent entry replaces its earlier row.
        async fn materialize(
            conn: &mut <$db as sqlx::Database>::Connection,
            id: &vanguard_shared::documents::DocId,
            entries: &[vanguard_shared::documents::Entry],
        ) -> Result<(), $crate::storage::StoreError> {
            use vanguard_shared::documents::Entry;
            let records: Vec<_> = entries
                .iter()
                .filter_map(|e| match e {
                    Entry::Record(r) => Some((id, r)),
                    _ => None,
                })
                .collect();
            upsert_records(&mut *conn, &records).await?;
            materialize_reviews_and_events(conn, id, entries).await
        }

        /// The rows of every entry but records.
        async fn materialize_reviews_and_events(
            conn: &mut <$db as sqlx::Database>::Connection,
            id: &vanguard_shared::documents::DocId,
            entries: &[vanguard_shared::documents::Entry],
        ) -> Result<(), $crate::storage::StoreError> {
            use vanguard_shared::documents::Entry;
            let doc_id = id.to_string();
            let owner = id.owner.as_str();
            let year = i64::from(id.year);
            for entry in entries {
                match entry {
                    Entry::Record(_) => {}
                    Entry::Decision(d) => {
                        sqlx::query(
                            "INSERT INTO reviews (doc_id, record_id, member_id, year, status, reason, reviewer, reviewed_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                             ON CONFLICT (doc_id, record_id) DO UPDATE SET status = excluded.status, reason = excluded.reason, \
                             reviewer = excluded.reviewer, reviewed_at = excluded.reviewed_at",
                        )
                        .bind(&doc_id)
                        .bind(&d.record_id)
                        .bind(owner)
                        .bind(year)
                        .bind(d.status.as_str())
                        .bind(&d.reason)
                        .bind(&d.by)
                        .bind(d.at.map(|t| t.to_rfc3339()))
                        .execute(&mut *conn)
                        .await?;
                    }
                    Entry::Adjustment(a) => {
                        sqlx::query(
                            "INSERT INTO adjustments (doc_id, adjustment_id, member_id, year, points, reason, section, side, reviewer) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                             ON CONFLICT (doc_id, adjustment_id) DO UPDATE SET points = excluded.points, reason = excluded.reason, \
                             section = excluded.section, side = excluded.side, reviewer = excluded.reviewer",
                        )
                        .bind(&doc_id)
                        .bind(&a.adjustment_id)
                        .bind(owner)
                        .bind(year)
                        .bind(a.points)
                        .bind(&a.reason)
                        .bind(a.section.as_str())
                        .bind(a.side.as_str())
                        .bind(&a.by)
                        .execute(&mut *conn)
                        .await?;
                    }
                    Entry::Grade(g) => {
                        sqlx::query(
                            "INSERT INTO grades (doc_id, member_id, year, proposal, override_grade, reason, reviewer) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7) \
                             ON CONFLICT (doc_id) DO UPDATE SET proposal = excluded.proposal, override_grade = excluded.override_grade, \
                             reason = excluded.reason, reviewer = excluded.reviewer",
                        )
                        .bind(&doc_id)
                        .bind(owner)
                        .bind(year)
                        .bind(g.proposal.map(|g| g.as_str()))
                        .bind(g.override_grade.map(|g| g.as_str()))
                        .bind(&g.reason)
                        .bind(&g.by)
                        .execute(&mut *conn)
                        .await?;
                    }
                    Entry::Event(e) => {
                        sqlx::query(
                            "INSERT INTO events (doc_id, event_id, branch_id, year, kind, title, starts_at, ends_at, place, code_key, cancelled) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                             ON CONFLICT (doc_id, event_id) DO UPDATE SET kind = excluded.kind, title = excluded.title, \
                             starts_at = excluded.starts_at, ends_at = excluded.ends_at, place = excluded.place, \
                             code_key = excluded.code_key, cancelled = excluded.cancelled",
                        )
                        .bind(&doc_id)
                        .bind(&e.event_id)
                        .bind(owner)
                        .bind(year)
                        .bind(e.kind.as_str())
                        .bind(&e.title)
                        .bind(e.start.to_rfc3339())
                        .bind(e.end.map(|t| t.to_rfc3339()))
                        .bind(&e.place)
                        .bind(&e.code_key)
                        .bind(e.cancelled)
                        .execute(&mut *conn)
                        .await?;
                    }
                    Entry::Attendance { event_id, rows } => {
                        // The whole map was read: replace the event's rows.
                        sqlx::query("DELETE FROM attendance WHERE doc_id = $1 AND event_id = $2")
                            .bind(&doc_id)
                            .bind(event_id)
                            .execute(&mut *conn)
                            .await?;
                        for row in rows {
                            sqlx::query(
                                "INSERT INTO attendance (doc_id, event_id, member_id, outcome, reason, reviewer) VALUES ($1, $2, $3, $4, $5, $6)",
                            )
                            .bind(&doc_id)
                            .bind(event_id)
                            .bind(&row.member_id)
                            .bind(row.outcome.as_str())
                            .bind(&row.reason)
                            .bind(&row.by)
                            .execute(&mut *conn)
                            .await?;
                        }
                    }
                }
            }
            Ok(())
        }

        async fn fetch_changes(
            conn: &mut <$db as sqlx::Database>::Connection,
            id: &str,
            after: i64,
        ) -> Result<Vec<(i64, Vec<u8>)>, $crate::storage::StoreError> {
            Ok(sqlx::query_as("SELECT seq, data FROM document_changes WHERE doc_id = $1 AND seq > $2 ORDER BY seq")
                .bind(id)
                .bind(after)
                .fetch_all(&mut *conn)
                .await?)
        }

        /// The snapshot and the changes after it. Outside a transaction
        /// the two reads are separate snapshots (PostgreSQL's read
        /// committed; SQLite between statements), and a compaction may fall
        /// between them and delete changes the first read's snapshot lacks:
        /// the changes must run on from the snapshot without a gap, or the
        /// document is read again.
        async fn fetch_document(
            conn: &mut <$db as sqlx::Database>::Connection,
            id: &str,
        ) -> Result<Option<$crate::storage::StoredDoc>, $crate::storage::StoreError> {
            for _ in 0..8 {
                let row: Option<(Vec<u8>, i64, i64)> =
                    sqlx::query_as("SELECT snapshot, snapshot_seq, seq FROM documents WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *conn)
                        .await?;
                let Some((snapshot, snapshot_seq, seq)) = row else {
                    return Ok(None);
                };
                let mut changes = fetch_changes(conn, id, snapshot_seq).await?;
                // Later changes than the row's head may have arrived meanwhile.
                changes.retain(|(s, _)| *s <= seq);
                let whole = changes.len() as i64 == seq - snapshot_seq
                    && changes.iter().zip(snapshot_seq + 1..).all(|((s, _), want)| *s == want);
                if whole {
                    return Ok(Some($crate::storage::StoredDoc {
                        head: $crate::storage::DocHead { seq, snapshot_seq },
                        snapshot,
                        changes,
                    }));
                }
            }
            Err($crate::storage::StoreError::Unavailable(format!(
                "document {id} kept being compacted while it was read"
            )))
        }

        pub struct $txn {
            tx: sqlx::Transaction<'static, $db>,
            id: String,
            head: $crate::storage::DocHead,
        }

        #[async_trait::async_trait]
        impl $crate::storage::DocTx for $txn {
            fn head(&self) -> $crate::storage::DocHead {
                self.head
            }

            async fn changes_after(&mut self, seq: i64) -> Result<Vec<(i64, Vec<u8>)>, $crate::storage::StoreError> {
                fetch_changes(&mut self.tx, &self.id, seq).await
            }

            async fn load(&mut self) -> Result<$crate::storage::StoredDoc, $crate::storage::StoreError> {
                fetch_document(&mut self.tx, &self.id)
                    .await?
                    .ok_or_else(|| $crate::storage::StoreError::Corrupt(format!("document {} vanished under its lock", self.id)))
            }

            async fn actor_owners(
                &mut self,
                actors: &[String],
            ) -> Result<Vec<(String, Option<String>)>, $crate::storage::StoreError> {
                let mut found = Vec::new();
                for actor in actors {
                    let row: Option<(Option<String>,)> = sqlx::query_as("SELECT member_id FROM actors WHERE actor_id = $1")
                        .bind(actor)
                        .fetch_optional(&mut *self.tx)
                        .await?;
                    if let Some((member,)) = row {
                        found.push((actor.clone(), member));
                    }
                }
                Ok(found)
            }

            async fn commit(
                mut self: Box<Self>,
                commit: &$crate::storage::PendingCommit,
                new_actors: &[String],
            ) -> Result<(), $crate::storage::StoreError> {
                for actor in new_actors {
                    sqlx::query("INSERT INTO actors (actor_id, member_id, first_seen) VALUES ($1, $2, $3)")
                        .bind(actor)
                        .bind(&commit.member_id)
                        .bind(commit.at)
                        .execute(&mut *self.tx)
                        .await
                        .map_err($crate::storage::classify)?;
                }
                let stored = write_commits(&mut self.tx, std::slice::from_ref(commit)).await?;
                if stored != [true] {
                    return Err($crate::storage::StoreError::Corrupt(format!(
                        "document {} moved on under its lock",
                        self.id
                    )));
                }
                self.tx.commit().await?;
                Ok(())
            }
        }

        /// Stores accepted messages, each only if its document is still at
        /// the expected sequence number: claims the next numbers (one
        /// statement for all), then multi-row inserts of the changes, audit
        /// lines and record rows. Answers, per commit, whether
        /// it was stored. The caller's transaction makes it all or nothing.
        async fn write_commits(
            conn: &mut <$db as sqlx::Database>::Connection,
            commits: &[$crate::storage::PendingCommit],
        ) -> Result<Vec<bool>, $crate::storage::StoreError> {
            let mut claim = sqlx::QueryBuilder::<$db>::new(
                "UPDATE documents SET seq = v.column3, updated_at = v.column4 FROM (",
            );
            claim.push_values(commits, |mut row, c| {
                row.push_bind(c.id.to_string())
                    .push_bind(c.expected_seq)
                    .push_bind(c.expected_seq + 1)
                    .push_bind(c.at);
            });
            claim.push(") AS v WHERE documents.id = v.column1 AND documents.seq = v.column2 RETURNING documents.id");
            let claimed: std::collections::HashSet<String> = claim
                .build_query_as::<(String,)>()
                .fetch_all(&mut *conn)
                .await?
                .into_iter()
                .map(|(id,)| id)
                .collect();
            let stored: Vec<bool> = commits.iter().map(|c| claimed.contains(&c.id.to_string())).collect();
            let ours: Vec<&$crate::storage::PendingCommit> = commits
                .iter()
                .zip(&stored)
                .filter_map(|(c, ok)| ok.then_some(c))
                .collect();
            if ours.is_empty() {
                return Ok(stored);
            }
            let mut changes = sqlx::QueryBuilder::<$db>::new("INSERT INTO document_changes (doc_id, seq, data) ");
            changes.push_values(&ours, |mut row, c| {
                row.push_bind(c.id.to_string()).push_bind(c.expected_seq + 1).push_bind(c.change.as_slice());
            });
            changes.build().execute(&mut *conn).await?;
            let mut audit = sqlx::QueryBuilder::<$db>::new("INSERT INTO audit_log (at, member_id, peer_id, doc_id, change_hashes) ");
            audit.push_values(&ours, |mut row, c| {
                row.push_bind(c.at)
                    .push_bind(c.member_id.as_str())
                    .push_bind(c.peer_id.as_str())
                    .push_bind(c.id.to_string())
                    .push_bind(c.change_hashes.join(","));
            });
            audit.build().execute(&mut *conn).await?;
            let records: Vec<_> = ours
                .iter()
                .flat_map(|c| {
                    c.entries.iter().filter_map(move |e| match e {
                        vanguard_shared::documents::Entry::Record(r) => Some((&c.id, r)),
                        _ => None,
                    })
                })
                .collect();
            upsert_records(&mut *conn, &records).await?;
            for c in &ours {
                materialize_reviews_and_events(&mut *conn, &c.id, &c.entries).await?;
            }
            Ok(stored)
        }

        async fn put_sync_states(
            conn: &mut <$db as sqlx::Database>::Connection,
            rows: &[$crate::storage::SyncStateRow],
        ) -> Result<(), $crate::storage::StoreError> {
            // Five binds a row, well under either database's limit.
            for chunk in rows.chunks(1000) {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO sync_states (doc_id, member_id, peer_id, state, updated_at) ",
                );
                q.push_values(chunk, |mut row, r| {
                    row.push_bind(r.doc_id.as_str())
                        .push_bind(r.member_id.as_str())
                        .push_bind(r.peer_id.as_str())
                        .push_bind(r.state.as_slice())
                        .push_bind(r.at);
                });
                q.push(
                    " ON CONFLICT (doc_id, member_id, peer_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
                );
                q.build().execute(&mut *conn).await?;
            }
            Ok(())
        }

        /// The group committer's own connection (`CommitWriter`).
        pub struct $writer {
            conn: <$db as sqlx::Database>::Connection,
        }

        #[async_trait::async_trait]
        impl $crate::storage::CommitWriter for $writer {
            async fn commit_many(
                &mut self,
                commits: &[$crate::storage::PendingCommit],
            ) -> Result<Vec<bool>, $crate::storage::StoreError> {
                if commits.is_empty() {
                    return Ok(Vec::new());
                }
                let mut tx = sqlx::Connection::begin_with(&mut self.conn, $begin).await?;
                let stored = write_commits(&mut tx, commits).await?;
                // Ended here either way: a dropped transaction on a connection
                // that never returns to a pool would stay open, holding the
                // row locks its claim took, until the next group.
                if stored.contains(&true) {
                    tx.commit().await?;
                } else {
                    tx.rollback().await?;
                }
                Ok(stored)
            }
        }

        #[async_trait::async_trait]
        impl $crate::storage::DocumentStore for $store {
            async fn create_documents(&self, docs: &[$crate::storage::NewDocument]) -> Result<(), $crate::storage::StoreError> {
                let mut tx = self.pool.begin().await?;
                for d in docs {
                    sqlx::query(
                        "INSERT INTO documents (id, kind, owner_id, year, snapshot, snapshot_seq, seq, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, 0, 0, $6, $6) ON CONFLICT (id) DO NOTHING",
                    )
                    .bind(d.id.to_string())
                    .bind(d.id.kind.as_str())
                    .bind(&d.id.owner)
                    .bind(i64::from(d.id.year))
                    .bind(&d.snapshot)
                    .bind(d.at)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn existing_documents(&self, ids: &[String]) -> Result<Vec<String>, $crate::storage::StoreError> {
                let mut found = Vec::new();
                // A member's list is a handful; a committee admin's, chunks of a few hundred.
                for chunk in ids.chunks(500) {
                    let marks = (1..=chunk.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
                    let sql = format!("SELECT id FROM documents WHERE id IN ({marks})");
                    let mut query = sqlx::query_as::<_, (String,)>(&sql);
                    for id in chunk {
                        query = query.bind(id);
                    }
                    found.extend(query.fetch_all(&self.pool).await?.into_iter().map(|(id,)| id));
                }
                Ok(found)
            }

            async fn document_head(&self, id: &str) -> Result<Option<$crate::storage::DocHead>, $crate::storage::StoreError> {
                let row: Option<(i64, i64)> = sqlx::query_as("SELECT seq, snapshot_seq FROM documents WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|(seq, snapshot_seq)| $crate::storage::DocHead { seq, snapshot_seq }))
            }

            async fn changes_after(&self, id: &str, seq: i64) -> Result<Vec<(i64, Vec<u8>)>, $crate::storage::StoreError> {
                let mut conn = self.pool.acquire().await?;
                fetch_changes(&mut conn, id, seq).await
            }

            async fn load_document(&self, id: &str) -> Result<Option<$crate::storage::StoredDoc>, $crate::storage::StoreError> {
                let mut conn = self.pool.acquire().await?;
                fetch_document(&mut conn, id).await
            }

            async fn begin_document(&self, id: &str) -> Result<Option<Box<dyn $crate::storage::DocTx>>, $crate::storage::StoreError> {
                let mut tx = self.pool.begin_with($begin).await?;
                let row: Option<(i64, i64)> = sqlx::query_as($lock)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                Ok(row.map(|(seq, snapshot_seq)| {
                    Box::new($txn {
                        tx,
                        id: id.to_string(),
                        head: $crate::storage::DocHead { seq, snapshot_seq },
                    }) as Box<dyn $crate::storage::DocTx>
                }))
            }

            async fn commit_writer(&self) -> Result<Box<dyn $crate::storage::CommitWriter>, $crate::storage::StoreError> {
                // Detached: the pool opens another for the readers.
                let mut conn = self.pool.acquire().await?.detach();
                for statement in $writer_setup {
                    sqlx::query(statement).execute(&mut conn).await?;
                }
                Ok(Box::new($writer { conn }))
            }

            async fn sync_state(
                &self,
                doc_id: &str,
                member_id: &str,
                peer_id: &str,
            ) -> Result<Option<Vec<u8>>, $crate::storage::StoreError> {
                let row: Option<(Vec<u8>,)> = sqlx::query_as(
                    "SELECT state FROM sync_states WHERE doc_id = $1 AND member_id = $2 AND peer_id = $3",
                )
                .bind(doc_id)
                .bind(member_id)
                .bind(peer_id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(s,)| s))
            }

            async fn put_sync_states(
                &self,
                rows: &[$crate::storage::SyncStateRow],
            ) -> Result<(), $crate::storage::StoreError> {
                if rows.is_empty() {
                    return Ok(());
                }
                let mut tx = self.pool.begin().await?;
                put_sync_states(&mut *tx, rows).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn compact_document(
                &self,
                id: &str,
                through_seq: i64,
                snapshot: &[u8],
            ) -> Result<bool, $crate::storage::StoreError> {
                let mut tx = self.pool.begin_with($begin).await?;
                let locked: Option<(i64, i64)> = sqlx::query_as($lock).bind(id).fetch_optional(&mut *tx).await?;
                match locked {
                    Some((seq, snapshot_seq)) if snapshot_seq < through_seq && seq >= through_seq => {}
                    _ => return Ok(false),
                }
                sqlx::query("UPDATE documents SET snapshot = $1, snapshot_seq = $2 WHERE id = $3")
                    .bind(snapshot)
                    .bind(through_seq)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM document_changes WHERE doc_id = $1 AND seq <= $2")
                    .bind(id)
                    .bind(through_seq)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn documents_to_compact(&self, min_changes: i64) -> Result<Vec<String>, $crate::storage::StoreError> {
                let rows: Vec<(String,)> = sqlx::query_as("SELECT id FROM documents WHERE seq - snapshot_seq >= $1 ORDER BY id")
                    .bind(min_changes)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(|(id,)| id).collect())
            }

            async fn document_ids(&self) -> Result<Vec<String>, $crate::storage::StoreError> {
                let rows: Vec<(String,)> = sqlx::query_as("SELECT id FROM documents ORDER BY id")
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(|(id,)| id).collect())
            }

            async fn rematerialize(
                &self,
                id: &vanguard_shared::documents::DocId,
                entries: &[vanguard_shared::documents::Entry],
            ) -> Result<(), $crate::storage::StoreError> {
                let mut tx = self.pool.begin().await?;
                for (table, _) in $crate::storage::doc_sql::MATERIALIZED {
                    sqlx::query(&format!("DELETE FROM {table} WHERE doc_id = $1"))
                        .bind(id.to_string())
                        .execute(&mut *tx)
                        .await?;
                }
                materialize(&mut tx, id, entries).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn member_records(
                &self,
                member_id: &str,
                year: i32,
            ) -> Result<Vec<$crate::storage::RecordRow>, $crate::storage::StoreError> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT r.record_id, r.kind, r.occurred_at, r.event_id, r.hours, r.place, r.lat, r.lon, r.note, r.code, r.withdrawn, \
                     v.status, v.reason, v.reviewer \
                     FROM records r LEFT JOIN reviews v ON v.member_id = r.member_id AND v.year = r.year AND v.record_id = r.record_id \
                     WHERE r.member_id = $1 AND r.year = $2 ORDER BY r.occurred_ts, r.record_id",
                )
                .bind(member_id)
                .bind(i64::from(year))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|row| {
                        Ok($crate::storage::RecordRow {
                            record_id: row.try_get(0)?,
                            kind: row.try_get(1)?,
                            occurred_at: row.try_get(2)?,
                            event_id: row.try_get(3)?,
                            hours: row.try_get(4)?,
                            place: row.try_get(5)?,
                            lat: row.try_get(6)?,
                            lon: row.try_get(7)?,
                            note: row.try_get(8)?,
                            code: row.try_get(9)?,
                            withdrawn: row.try_get(10)?,
                            review_status: row.try_get(11)?,
                            review_reason: row.try_get(12)?,
                            reviewer: row.try_get(13)?,
                        })
                    })
                    .collect()
            }

            async fn dump_materialized(&self) -> Result<Vec<String>, $crate::storage::StoreError> {
                use sqlx::Row;
                let mut out = Vec::new();
                for (table, columns) in $crate::storage::doc_sql::MATERIALIZED {
                    // Every column as text, so one query shape serves all tables.
                    let select = columns
                        .split(", ")
                        .map(|c| format!("COALESCE(CAST({c} AS TEXT), '∅')"))
                        .collect::<Vec<_>>()
                        .join(" || '|' || ");
                    let sql = format!("SELECT {select} FROM {table}");
                    for row in sqlx::query(&sql).fetch_all(&self.pool).await? {
                        let line: String = row.try_get(0)?;
                        out.push(format!("{table}: {line}"));
                    }
                }
                out.sort();
                Ok(out)
            }

            async fn audit_log(&self, doc_id: &str) -> Result<Vec<$crate::storage::AuditRow>, $crate::storage::StoreError> {
                let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
                    "SELECT at, member_id, peer_id, change_hashes FROM audit_log WHERE doc_id = $1 ORDER BY id",
                )
                .bind(doc_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(at, member_id, peer_id, hashes)| $crate::storage::AuditRow {
                        at,
                        member_id,
                        peer_id,
                        change_hashes: hashes.split(',').map(str::to_string).collect(),
                    })
                    .collect())
            }
        }
    };
}

pub(crate) use doc_store;
