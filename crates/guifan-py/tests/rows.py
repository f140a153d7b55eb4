"""Decisions as comparable rows: from `guifan run`'s JSON Lines and from decision tables."""

import json


def _value(v):
    """A decided value, compared as JSON reads it: text as it is, others compact."""
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def _text(t):
    """A decision table's argument text, read as the value it writes."""
    if t is None:
        return None
    try:
        v = json.loads(t)
    except ValueError:
        return t
    return t if isinstance(v, str) else _value(v)


def _effects(effects):
    """Effects as a tuple of (kind, sorted args)."""
    out = []
    for e in effects:
        if isinstance(e.get("args"), list):  # a decision table's map, as pyarrow gives it
            args = tuple(sorted((k, _text(v)) for k, v in e["args"]))
        elif isinstance(e.get("args"), dict):  # as Spark gives it
            args = tuple(sorted((k, _text(v)) for k, v in e["args"].items()))
        else:  # a decision record's effect object
            args = tuple(sorted((k, _value(v)) for k, v in e.items() if k != "kind"))
        out.append((e["kind"], args))
    return tuple(out)


def from_jsonl(text):
    """(kind, subject, rule, version, effects, message, error_code) per decision and failure."""
    rows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        for d in record["decisions"]:
            rows.append((record["kind"], record["subject"], d["rule"], d.get("version"),
                         _effects(d["effects"]), d.get("message"), None))
        for e in record.get("errors", []):
            rows.append((record["kind"], record["subject"], e["rule"], None, None, None, e["code"]))
    return sorted(rows, key=repr)


def from_table(dicts):
    """The same rows from a decision table's rows (pyarrow `to_pylist`, Spark `asDict`)."""
    rows = []
    for r in dicts:
        effects = None if r["effects"] is None else _effects(r["effects"])
        rows.append((r["kind"], r["subject"], r["rule"], r["version"], effects,
                     r["message"], r["error_code"]))
    return sorted(rows, key=repr)
