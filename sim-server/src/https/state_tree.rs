//! A labeled state tree and its witnesses: the hash tree that reveals the requested paths (and
//! the labels beside them, so absent paths are provably absent) and prunes everything else to
//! its hash, keeping the root hash of the whole tree.

use ic_certification::hash_tree::{empty, fork, label, leaf, pruned};

/// A hash tree owning its labels and values.
pub type HashTree = ic_certification::hash_tree::HashTree<Vec<u8>>;
use std::collections::BTreeMap;

/// A node of the state tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabeledTree {
    /// A value.
    Leaf(Vec<u8>),
    /// Labeled children, in label order.
    SubTree(BTreeMap<Vec<u8>, LabeledTree>),
}

impl LabeledTree {
    /// An empty subtree.
    pub fn new() -> Self {
        LabeledTree::SubTree(BTreeMap::new())
    }

    /// Puts `value` at `path`, creating the subtrees on the way (replacing leaves on it).
    pub fn insert(&mut self, path: &[&[u8]], value: Vec<u8>) {
        let Some((first, rest)) = path.split_first() else {
            *self = LabeledTree::Leaf(value);
            return;
        };
        if let LabeledTree::Leaf(_) = self {
            *self = LabeledTree::new();
        }
        let LabeledTree::SubTree(children) = self else {
            unreachable!("made a subtree above")
        };
        children
            .entry(first.to_vec())
            .or_insert_with(LabeledTree::new)
            .insert(rest, value);
    }

    /// The hash tree revealing every value at or below each of `paths`.
    pub fn witness(&self, paths: &[Vec<Vec<u8>>]) -> HashTree {
        let paths: Vec<&[Vec<u8>]> = paths.iter().map(Vec::as_slice).collect();
        self.witness_of(&paths)
    }

    fn witness_of(&self, paths: &[&[Vec<u8>]]) -> HashTree {
        if paths.iter().any(|p| p.is_empty()) {
            return self.full();
        }
        let LabeledTree::SubTree(children) = self else {
            // A path going past a value: the value is not revealed.
            return pruned(self.full().digest());
        };
        let nodes = children
            .iter()
            .map(|(name, child)| {
                let below: Vec<&[Vec<u8>]> = paths
                    .iter()
                    .filter(|p| p[0] == *name)
                    .map(|p| &p[1..])
                    .collect();
                let content = if below.is_empty() {
                    pruned(child.full().digest())
                } else {
                    child.witness_of(&below)
                };
                label(name.clone(), content)
            })
            .collect();
        forks(nodes)
    }

    /// The whole subtree as a hash tree.
    pub fn full(&self) -> HashTree {
        match self {
            LabeledTree::Leaf(value) => leaf(value.clone()),
            LabeledTree::SubTree(children) => forks(
                children
                    .iter()
                    .map(|(name, child)| label(name.clone(), child.full()))
                    .collect(),
            ),
        }
    }
}

/// A balanced fork tree over labeled nodes in order.
fn forks(mut nodes: Vec<HashTree>) -> HashTree {
    match nodes.len() {
        0 => empty(),
        1 => nodes.pop().expect("one node"),
        n => {
            let right = nodes.split_off(n / 2);
            fork(forks(nodes), forks(right))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ic_certification::hash_tree::LookupResult;

    fn example() -> LabeledTree {
        let mut tree = LabeledTree::new();
        tree.insert(&[b"a", b"x"], b"hello".to_vec());
        tree.insert(&[b"a", b"y"], b"world".to_vec());
        tree.insert(&[b"b"], b"good".to_vec());
        tree.insert(&[b"d"], b"morning".to_vec());
        tree
    }

    fn path(labels: &[&[u8]]) -> Vec<Vec<u8>> {
        labels.iter().map(|l| l.to_vec()).collect()
    }

    #[test]
    fn witnesses_keep_the_root_hash() {
        let tree = example();
        let full = tree.full().digest();
        let witness = tree.witness(&[path(&[b"a", b"y"]), path(&[b"d"])]);
        assert_eq!(witness.digest(), full);
    }

    #[test]
    fn witnesses_reveal_requested_paths_and_prove_absence() {
        let tree = example();
        let witness = tree.witness(&[path(&[b"a", b"y"]), path(&[b"ax"]), path(&[b"d"])]);
        assert_eq!(
            witness.lookup_path([b"a", b"y"]),
            LookupResult::Found(b"world")
        );
        assert_eq!(witness.lookup_path([b"d"]), LookupResult::Found(b"morning"));
        assert_eq!(witness.lookup_path([b"ax"]), LookupResult::Absent);
        assert_eq!(witness.lookup_path([b"e"]), LookupResult::Absent);
        // Not requested: pruned.
        assert_eq!(witness.lookup_path([b"b"]), LookupResult::Unknown);
        assert_eq!(witness.lookup_path([b"a", b"x"]), LookupResult::Unknown);
    }

    #[test]
    fn a_requested_subtree_is_revealed_whole() {
        let tree = example();
        let witness = tree.witness(&[path(&[b"a"])]);
        assert_eq!(
            witness.lookup_path([b"a", b"x"]),
            LookupResult::Found(b"hello")
        );
        assert_eq!(
            witness.lookup_path([b"a", b"y"]),
            LookupResult::Found(b"world")
        );
    }
}
