//! Source positions: which file, and which bytes of it.

/// Identifies one loaded source file; the runner maps it back to a path and text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(pub u32);

/// A byte range `start..end` in one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// First byte
    pub start: u32,
    /// One past the last byte
    pub end: u32,
}

impl Span {
    /// A span over `start..end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// Length in bytes.
    pub fn len(self) -> usize {
        self.end.saturating_sub(self.start) as usize
    }

    /// Whether the span covers no bytes.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The same span moved `by` bytes to the right.
    pub fn shifted(self, by: usize) -> Span {
        Span::new(self.start as usize + by, self.end as usize + by)
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(span: Span) -> Self {
        miette::SourceSpan::new((span.start as usize).into(), span.len())
    }
}

/// A value with the span it was written at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The value
    pub node: T,
    /// Where it was written
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Wraps `node` with its `span`.
    pub fn new(node: T, span: Span) -> Self {
        Spanned { node, span }
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.node
    }
}

#[cfg(test)]
mod tests {
    use super::Span;

    #[test]
    fn a_shifted_span_moves_both_ends_right() {
        assert_eq!(Span::new(2, 5).shifted(10), Span::new(12, 15));
        assert_eq!(Span::new(0, 0).shifted(3), Span::new(3, 3));
    }

    #[test]
    fn a_span_is_empty_only_when_it_covers_no_bytes() {
        assert!(Span::new(4, 4).is_empty());
        assert!(!Span::new(4, 5).is_empty());
        assert_eq!(Span::new(4, 9).len(), 5);
    }
}
