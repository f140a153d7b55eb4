//! What the checker learned about each name it resolved, kept for tools:
//! hover, go to definition, find references, rename and completion read it.
//! Collected as the checker goes, so a file with errors still has the uses
//! of everything that did resolve.

use guifan_syntax::{SourceId, Span};

use crate::ir::Program;
use crate::schema::Schema;
use crate::types::Type;
use crate::CheckError;

/// One name written in a policy, and what it resolved to.
#[derive(Clone, Debug)]
pub struct Use {
    /// The file it is written in
    pub source: SourceId,
    /// The name as written (for a field access, the field's name only)
    pub span: Span,
    /// The policy it is written in
    pub policy: std::sync::Arc<str>,
    /// What it names
    pub target: Target,
    /// Its type there (narrowed where a presence test proves it present)
    pub ty: Type,
}

/// What a name resolved to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A field of a kind or record type (a subject's field read by name, or `x.field`)
    Field {
        /// The kind's or record's name
        record: String,
        /// The field
        name: String,
        /// Where the field is declared
        declared: (SourceId, Span),
        /// Whether it is declared optional (`?`)
        optional: bool,
    },
    /// A parameter of the policy
    Param {
        /// Its name
        name: String,
        /// Where it is declared, in the policy's file
        declared: Span,
    },
    /// A definition of the policy (`let` outside rules)
    Let {
        /// Its name
        name: String,
        /// Where it is declared, in the policy's file
        declared: Span,
    },
    /// A name bound inside a rule: a `for` item, a group key, a comprehension's
    /// item or a rule's own `let`
    Local {
        /// Its name
        name: String,
        /// Where it is bound, in the policy's file
        declared: Span,
    },
    /// A ranking (`rank daily by ...`)
    Rank {
        /// Its name
        name: String,
    },
    /// A built-in function
    Builtin {
        /// Its name
        name: String,
    },
    /// An effect called in `then`
    Effect {
        /// Its name
        name: String,
        /// Where it is declared
        declared: (SourceId, Span),
    },
}

impl Target {
    /// The name it stands for.
    pub fn name(&self) -> &str {
        match self {
            Target::Field { name, .. }
            | Target::Param { name, .. }
            | Target::Let { name, .. }
            | Target::Local { name, .. }
            | Target::Rank { name }
            | Target::Builtin { name }
            | Target::Effect { name, .. } => name,
        }
    }
}

/// Everything checking rule files produced, for tools: the program or the
/// errors, the schema as declared, and every resolved name.
#[derive(Debug)]
pub struct Checked {
    /// The compiled program, or every error found
    pub result: Result<Program, Vec<CheckError>>,
    /// The kinds, records and effects the files declare, and the record types
    /// that record literals make (also when checking failed)
    pub schema: Schema,
    /// Every name that resolved, in the order checked
    pub uses: Vec<Use>,
}
