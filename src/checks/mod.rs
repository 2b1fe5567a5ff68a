//! Check kinds: the code that rules instantiate, one file per kind, each registered by one
//! line in [`KINDS`]. A kind parses its parameters from the rule's `[check]` table (with
//! spans, every mistake collected), says what it reads, and either compiles to row
//! expressions or gathers and judges aggregates (the contract is in [`api`]). Kinds never
//! execute plans: the executor (`crate::exec`) does.

pub mod api;
pub mod expr;
pub mod predicate;

pub mod compare;
pub mod conditional;
pub mod coverage;
pub mod identifier;
pub mod identity_code_leak;
pub mod in_code_list;
pub mod in_set;
pub mod members_present;
pub mod not_null;
pub mod pattern;
pub mod period_complete;
pub mod range;
pub mod reconcile;
pub mod reference;
pub mod unique;
pub mod value_length;

pub use api::{every_row, AggregateCheck, Check, EvalCx, Gather, KeyedSum, Kind, ParseCx, RowCheck, RowPlan, State};
pub use expr::pe;

use crate::spanned::{Errors, Table};

/// A registered kind: its name, one line saying what it checks, and its parser.
pub struct KindDef {
    pub name: &'static str,
    pub about: &'static str,
    pub parse: fn(&Table, &ParseCx, &mut Errors) -> Option<Check>,
}

/// Every kind; the order is the documentation order. A new kind is its file and one line here.
pub const KINDS: &[KindDef] = &[
    KindDef { name: "not-null", about: "required values are filled", parse: not_null::parse },
    KindDef { name: "unique", about: "a (compound) key identifies one row", parse: unique::parse },
    KindDef { name: "pattern", about: "values match a regular expression (whole value)", parse: pattern::parse },
    KindDef { name: "range", about: "numbers or dates lie between bounds, e.g. inside the package period", parse: range::parse },
    KindDef { name: "in-set", about: "values are one of a fixed set", parse: in_set::parse },
    KindDef { name: "value-length", about: "text values have between min and max characters", parse: value_length::parse },
    KindDef {
        name: "compare", about: "one column compares to another in the same row, e.g. valid_from ≤ valid_to", parse: compare::parse
    },
    KindDef {
        name: "in-code-list",
        about: "codes exist in a versioned code list, are leaves, and are valid on the row's date",
        parse: in_code_list::parse,
    },
    KindDef {
        name: "coverage",
        about: "share of rows or of a measure (euros, FTE) attached to a valid code, with a breakdown",
        parse: coverage::parse,
    },
    KindDef { name: "reference", about: "values exist in another table, or map to the submitting region", parse: reference::parse },
    KindDef {
        name: "period-complete",
        about: "every month of the period is present (optionally per group)",
        parse: period_complete::parse,
    },
    KindDef {
        name: "members-present",
        about: "every expected member (e.g. municipality × age × sex) is present",
        parse: members_present::parse,
    },
    KindDef { name: "reconcile", about: "aggregates of two tables agree by key, both directions", parse: reconcile::parse },
    KindDef { name: "conditional", about: "when a row matches a condition, another condition holds", parse: conditional::parse },
    KindDef {
        name: "identity-code-leak",
        about: "no Finnish personal identity code with a valid check character in text",
        parse: identity_code_leak::parse,
    },
    KindDef { name: "identifier", about: "identifiers with check digits: SOTE organisation OIDs, Y-tunnus", parse: identifier::parse },
];

impl Check {
    /// Parses a rule's `[check]` table by its `kind`.
    pub fn parse(t: &Table, cx: &ParseCx, errs: &mut Errors) -> Option<Check> {
        let kind = t.req_str("kind", errs)?;
        match KINDS.iter().find(|k| k.name == kind) {
            Some(k) => (k.parse)(t, cx, errs),
            None => {
                let help = match crate::suggest::best(&kind, KINDS.iter().map(|k| k.name)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("kinds: {}", KINDS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")),
                };
                errs.push_help(t.span_of("kind"), format!("unknown check kind `{kind}`"), help);
                None
            }
        }
    }
}
