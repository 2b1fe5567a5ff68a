//! The submission contract's tables and columns (shared/design/package-format.md): what
//! the loader types, requires and warns about. Rules are validated against it too.

/// The value types of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ColType {
    String,
    /// ISO `YYYY-MM-DD`.
    Date,
    /// `YYYY-MM`, held as the first day of the month.
    Month,
    Integer,
    Number,
}

impl ColType {
    pub fn name(self) -> &'static str {
        match self {
            ColType::String => "string",
            ColType::Date => "date",
            ColType::Month => "month",
            ColType::Integer => "integer",
            ColType::Number => "number",
        }
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, ColType::Integer | ColType::Number)
    }

    pub fn is_temporal(self) -> bool {
        matches!(self, ColType::Date | ColType::Month)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub ty: ColType,
    pub required: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct TableSpec {
    pub name: &'static str,
    pub required: bool,
    pub columns: &'static [ColumnSpec],
}

impl TableSpec {
    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }
}

const fn c(name: &'static str, ty: ColType, required: bool) -> ColumnSpec {
    ColumnSpec { name, ty, required }
}

use ColType::*;

pub const TABLES: &[TableSpec] = &[
    TableSpec {
        name: "activity",
        required: true,
        columns: &[
            c("event_id", String, true),
            c("event_date", Date, true),
            c("service_code", String, true),
            c("unit_oid", String, true),
            c("production", String, true),
            c("municipality", String, true),
            c("age", Integer, true),
            c("sex", String, true),
            c("contact_mode", String, false),
            c("professional", String, false),
            c("diagnosis", String, false),
            c("volume", Number, false),
        ],
    },
    TableSpec {
        name: "costs",
        required: true,
        columns: &[
            c("month", Month, true),
            c("service_code", String, true),
            c("cost_center", String, true),
            c("account", String, true),
            c("production", String, true),
            c("amount_eur", Number, true),
        ],
    },
    TableSpec {
        name: "staff",
        required: true,
        columns: &[
            c("month", Month, true),
            c("service_code", String, true),
            c("unit_oid", String, true),
            c("occupation", String, true),
            c("fte", Number, true),
        ],
    },
    TableSpec {
        name: "population",
        required: true,
        columns: &[
            c("year", Integer, true),
            c("municipality", String, true),
            c("age", Integer, true),
            c("sex", String, true),
            c("population", Integer, true),
        ],
    },
    TableSpec {
        name: "service_map",
        required: false,
        columns: &[
            c("local_id", String, true),
            c("kind", String, true),
            c("service_code", String, true),
            c("valid_from", Date, true),
            c("valid_to", Date, false),
        ],
    },
];

pub fn table(name: &str) -> Option<&'static TableSpec> {
    TABLES.iter().find(|t| t.name == name)
}

pub fn table_names() -> impl Iterator<Item = &'static str> {
    TABLES.iter().map(|t| t.name)
}
