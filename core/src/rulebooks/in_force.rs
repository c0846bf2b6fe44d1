//! The rulebook in force for an organisation and year: the newest
//! published version of the nearest organisation up the tree, or the
//! shipped default. What every ledger is priced by.

use crate::storage::{Organisation, Store, StoreError, StoredRulebook};
use vanguard_shared::ledger::{default_rulebook, Rulebook};

/// A rulebook as it prices a year: the book, its TOML, and whose it is.
#[derive(Debug, Clone)]
pub struct InForce {
    pub book: Rulebook,
    /// The TOML, to download and edit.
    pub body: String,
    /// The organisation that published it.
    pub owner_id: String,
    pub owner_name: String,
    /// The shipped default, not published by anyone yet.
    pub shipped: bool,
    pub published_by: Option<String>,
    pub published_at: Option<i64>,
}

impl InForce {
    /// What every sheet says it was priced by, e.g. "某某党委积分细则 第 2 版".
    pub fn label(&self) -> String {
        let default = if self.shipped {
            "（系统默认）"
        } else {
            ""
        };
        format!(
            "{}积分细则{default} {} 年第 {} 版",
            self.owner_name, self.book.year, self.book.version
        )
    }
}

/// The rulebook in force for `org_id` in `year`.
pub async fn in_force(store: &Store, org_id: &str, year: i32) -> Result<InForce, StoreError> {
    let chain = store.accounts().ancestry(org_id).await?;
    in_force_over(store, &chain, year).await
}

/// The rulebook in force for the organisation that `chain` (nearest first)
/// leads up from.
pub(super) async fn in_force_over(
    store: &Store,
    chain: &[Organisation],
    year: i32,
) -> Result<InForce, StoreError> {
    let ids: Vec<&str> = chain.iter().map(|o| o.id.as_str()).collect();
    let newest = store.rulebooks().newest_of(&ids, year).await?;
    // Nearest first: the chain's order decides, not the query's.
    for org in chain {
        if let Some(stored) = newest.iter().find(|b| b.org_id == org.id) {
            return read_stored(stored, &org.name);
        }
    }
    let top = chain.last();
    Ok(shipped(
        year,
        top.map_or("", |o| o.id.as_str()),
        top.map_or("", |o| o.name.as_str()),
    ))
}

pub(super) fn shipped(year: i32, owner_id: &str, owner_name: &str) -> InForce {
    let mut book = default_rulebook();
    book.year = year;
    InForce {
        body: with_header(vanguard_shared::ledger::rulebook::DEFAULT_TOML, year, 1)
            .unwrap_or_else(|| vanguard_shared::ledger::rulebook::DEFAULT_TOML.to_string()),
        book,
        owner_id: owner_id.to_string(),
        owner_name: owner_name.to_string(),
        shipped: true,
        published_by: None,
        published_at: None,
    }
}

fn read_stored(stored: &StoredRulebook, owner_name: &str) -> Result<InForce, StoreError> {
    let mut book = Rulebook::from_toml("rulebook", &stored.body)
        .map_err(|e| StoreError::Corrupt(format!("rulebook of {}: {e}", stored.org_id)))?;
    book.year = stored.year;
    book.version = stored.version;
    Ok(InForce {
        book,
        body: stored.body.clone(),
        owner_id: stored.org_id.clone(),
        owner_name: owner_name.to_string(),
        shipped: false,
        published_by: Some(stored.published_by.clone()),
        published_at: Some(stored.published_at),
    })
}

/// The TOML with its top-level `year` and `version` set in its structure,
/// however the text wrote those keys (quoted, or not at all), with the
/// comments people wrote kept: the stored text says what the row says, and
/// a downloaded copy uploads as the next version without editing them.
/// `None` when the text is not TOML.
pub fn with_header(text: &str, year: i32, version: u32) -> Option<String> {
    let mut doc: toml_edit::DocumentMut = text.parse().ok()?;
    let root = doc.as_table_mut();
    for (key, number) in [("version", i64::from(version)), ("year", i64::from(year))] {
        match root.get_mut(key) {
            // In place, where the author put it.
            Some(item) if item.is_value() => *item = toml_edit::value(number),
            _ => {
                root.remove(key);
                root.insert(key, toml_edit::value(number));
            }
        }
    }
    Some(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use vanguard_shared::ledger::rulebook::DEFAULT_TOML;

    #[test]
    fn the_header_is_set_in_the_structure_whatever_the_text_wrote() {
        let shipped = with_header(DEFAULT_TOML, 2027, 3).expect("TOML");
        let book = Rulebook::from_toml("t", &shipped).expect("reads back");
        assert_eq!((book.year, book.version), (2027, 3));
        assert!(
            shipped.contains("\nversion = 3\nyear = 2027\n"),
            "{shipped}"
        );
        assert!(shipped.contains('#'), "comments are kept");
        // A quoted key is the same key: replaced, never a second one.
        let quoted = DEFAULT_TOML
            .replacen("\nyear = ", "\n\"year\" = ", 1)
            .replacen("\nversion = ", "\n'version' = ", 1);
        assert_ne!(quoted, DEFAULT_TOML);
        let again = with_header(&quoted, 2027, 4).expect("TOML");
        let book = Rulebook::from_toml("t", &again).expect("reads back");
        assert_eq!((book.year, book.version), (2027, 4));
        assert_eq!(with_header("year = [", 2027, 1), None);
    }
}
