//! Stable sorting for code the phone runs.
//!
//! The standard library's sort is compiled afresh for every element type
//! and comparison, a few kilobytes each; on the phone every copy is
//! download. There, [`stable_by`] sorts positions through one shared copy
//! and then moves the items into place. Natively (the server, where speed
//! counts and size does not) it is the standard sort itself.

use std::cmp::Ordering;

/// Sorts `items` by `cmp`, keeping equal items in their order.
pub fn stable_by<T>(items: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    #[cfg(target_arch = "wasm32")]
    by_positions(items, cmp);
    #[cfg(not(target_arch = "wasm32"))]
    items.sort_by(cmp);
}

/// [`stable_by`] as the phone does it: one compiled sort for all types.
pub fn by_positions<T>(items: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    let order = sorted_positions(items.len(), &|a, b| cmp(&items[a], &items[b]));
    // `order[k]` is the position of the item that belongs at k; `dest`
    // inverts it. Each swap puts one item where it belongs.
    let mut dest = vec![0; order.len()];
    for (k, from) in order.into_iter().enumerate() {
        dest[from] = k;
    }
    for i in 0..items.len() {
        while dest[i] != i {
            let j = dest[i];
            items.swap(i, j);
            dest.swap(i, j);
        }
    }
}

/// Not generic, so compiled once.
fn sorted_positions(len: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|a, b| cmp(*a, *b));
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn sorts_as_the_standard_stable_sort(items in proptest::collection::vec((0u8..6, any::<u16>()), 0..200)) {
            // Sorting by the first field only: equal keys must keep their order.
            let mut want = items.clone();
            want.sort_by_key(|a| a.0);
            let mut got = items;
            by_positions(&mut got, |a, b| a.0.cmp(&b.0));
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn sorts_owned_values_and_reverses() {
        let mut words: Vec<String> = ["b", "d", "a", "c", "a"].map(String::from).to_vec();
        by_positions(&mut words, |a, b| b.cmp(a));
        assert_eq!(words, ["d", "c", "b", "a", "a"]);
        let mut none: Vec<String> = Vec::new();
        by_positions(&mut none, |a, b| a.cmp(b));
        assert!(none.is_empty());
    }
}
