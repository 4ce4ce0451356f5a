//! The one traversal of a selection set that the pipeline's passes share (cost, the input walk,
//! the outline): fields as they are, inline fragments and fragment spreads resolved to the
//! selections they add and the type those apply to. Each pass decides what a spread of a
//! fragment seen before means (measured once and counted again, or skipped).

use async_graphql::Positioned;
use async_graphql::parser::types::{ExecutableDocument, Field, Selection, SelectionSet};

/// One item of a selection set.
pub enum Item<'a> {
    Field(&'a Positioned<Field>),
    /// The selections of an inline fragment (`name` is `None`) or of a spread fragment that the
    /// document defines, on type `on` (the enclosing type when the fragment has no condition).
    /// A spread of an undefined fragment is left out: validation reports it.
    Fragment {
        name: Option<&'a str>,
        on: &'a str,
        set: &'a SelectionSet,
    },
}

/// The items of `set`, selected on type `parent`.
pub fn items<'a>(
    doc: &'a ExecutableDocument,
    parent: &'a str,
    set: &'a SelectionSet,
) -> impl Iterator<Item = Item<'a>> {
    set.items.iter().filter_map(move |sel| match &sel.node {
        Selection::Field(f) => Some(Item::Field(f)),
        Selection::InlineFragment(i) => Some(Item::Fragment {
            name: None,
            on: i
                .node
                .type_condition
                .as_ref()
                .map_or(parent, |t| t.node.on.node.as_str()),
            set: &i.node.selection_set.node,
        }),
        Selection::FragmentSpread(s) => {
            let name = &s.node.fragment_name.node;
            let def = doc.fragments.get(name)?;
            Some(Item::Fragment {
                name: Some(name.as_str()),
                on: def.node.type_condition.node.on.node.as_str(),
                set: &def.node.selection_set.node,
            })
        }
    })
}
