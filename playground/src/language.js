// Guifan's syntax for CodeMirror: comments, strings, numbers with units,
// times, keywords, effects after `then`, and the highlighting of them.
import { StreamLanguage, HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { tags } from '@lezer/highlight';

const KEYWORDS = new Set([
  'and', 'or', 'not', 'if', 'then', 'else', 'true', 'false', 'now', 'is', 'present', 'absent',
  'in', 'for', 'where', 'when', 'message', 'rule', 'let', 'param', 'within', 'version', 'from',
  'until', 'policy', 'kind', 'effect', 'subject', 'zone', 'currency', 'title', 'source',
  'effective', 'rank', 'by', 'all', 'any', 'none', 'count', 'sum', 'min', 'max', 'every',
]);
const TYPES = new Set(['int', 'decimal', 'money', 'percent', 'duration', 'timestamp', 'date', 'string', 'bool', 'list']);

/** The tokenizer: one token per call, its style a highlighting tag's name. */
export const guifan = StreamLanguage.define({
  name: 'guifan',
  token(stream) {
    if (stream.eatSpace()) return null;
    if (stream.match('//')) { stream.skipToEnd(); return 'comment'; }
    if (stream.match(/^"(?:[^"\\]|\\.)*"?/)) return 'string';
    if (stream.match(/^\d{4}-\d{2}-\d{2}(T[\d:]+(Z|[+-]\d{2}:\d{2})?)?/)) return 'number';
    if (stream.match(/^\d+(\.\d+)?(%|[a-z]+\b)?/)) return 'number';
    if (stream.match(/^[A-Za-z_][\w]*(\/[A-Za-z_]+)?/)) {
      const word = stream.current();
      if (KEYWORDS.has(word)) return 'keyword';
      if (TYPES.has(word)) return 'typeName';
      if (/^[A-Z]{3}$/.test(word)) return 'unit';
      return stream.match(/^\s*\(/, false) ? 'function' : 'variableName';
    }
    if (stream.match(/^(==|!=|<=|>=|[<>+\-*/%|.:,{}()[\]=])/)) return 'operator';
    stream.next();
    return null;
  },
  languageData: { commentTokens: { line: '//' } },
  tokenTable: { unit: tags.unit, function: tags.function(tags.variableName) },
});

const style = HighlightStyle.define([
  { tag: tags.comment, color: 'var(--muted)', fontStyle: 'italic' },
  { tag: tags.string, color: '#0a7d3b' },
  { tag: tags.number, color: '#b35900' },
  { tag: tags.unit, color: '#b35900', fontWeight: '600' },
  { tag: tags.keyword, color: 'var(--accent)', fontWeight: '600' },
  { tag: tags.typeName, color: '#8250df' },
  { tag: tags.function(tags.variableName), color: '#bf3989' },
  { tag: tags.operator, color: 'var(--muted)' },
]);

/** Guifan highlighting for an editor. */
export const guifanHighlighting = [guifan, syntaxHighlighting(style)];
