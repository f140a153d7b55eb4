"""Guifan inside Spark: ``decide(df, rules_dir, at=...)`` decides every row of
a DataFrame with ``mapInArrow`` and returns the decisions in typed columns.

The rule files are read on the driver and shipped with the function, so the
workers need no access to the rules directory; each Python worker loads them
once (not per batch). When a policy ranks subjects against each other, a
first pass computes every row's ranking keys where the rows are, the keys
(one small line per ranked subject) are collected on the driver and shipped
with the second pass, which decides each row with its places in the whole
DataFrame — the same decisions as ``guifan run`` on the same records.

Spark holds timestamps as instants: a time a message or effect shows is in
the offset of the session time zone (``spark.sql.session.timeZone``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Iterator, Mapping, Optional

from . import RuleSet, Time, _time_text, read_sources

__all__ = ["decide", "DECISIONS_DDL"]

#: The Spark schema of the decisions (``guifan.decisions_schema()`` in Spark's words).
DECISIONS_DDL = (
    "subject string, kind string, rule string, version string, "
    "effects array<struct<kind: string, args: map<string, string>>>, "
    "message string, error_code string, error string"
)

# Rule sets loaded in this Python worker, by the digest of what defines them.
_loaded: dict = {}


def _load(token: str, sources: list, params: Optional[Mapping], keys: Optional[list]) -> RuleSet:
    rules = _loaded.get(token)
    if rules is None:
        rules = RuleSet.from_sources(sources)
        if params:
            rules.set_params(params)
        if keys is not None:
            rules = rules.with_rank_keys(keys)
        _loaded.clear()
        _loaded[token] = rules
    return rules


def _token(*parts: Any) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(json.dumps(part, sort_keys=True, default=str).encode("utf-8"))
    return digest.hexdigest()


def decide(
    df: Any,
    rules_dir: str,
    at: Time = None,
    params: Optional[Mapping[str, Mapping[str, Any]]] = None,
) -> Any:
    """The decisions about every row of ``df`` (a pyspark DataFrame whose
    columns are the records' fields: ``kind``, ``id``, ...) as a DataFrame of
    ``DECISIONS_DDL``: a row per rule that fired or failed, and per record
    that could not be read. ``params``: ``{policy: {name: value}}``."""
    sources = read_sources(rules_dir)
    at_text = _time_text(at)
    # Loaded on the driver too: rule files that do not check fail here, at once.
    driver_rules = RuleSet.from_sources(sources)
    if params:
        driver_rules.set_params(params)
    keys = None
    if driver_rules.needs_ranks:
        first = _token("keys", sources, params)

        def rank_keys(batches: Iterator[Any]) -> Iterator[Any]:
            import pyarrow as pa

            rules = _load(first, sources, params, None)
            for batch in batches:
                text = rules.rank_keys(batch, at_text)
                yield pa.RecordBatch.from_arrays([pa.array([text], pa.string())], ["keys"])

        keys = [row["keys"] for row in df.mapInArrow(rank_keys, "keys string").collect()]
    second = _token("decide", sources, params, keys)

    def decisions(batches: Iterator[Any]) -> Iterator[Any]:
        rules = _load(second, sources, params, keys)
        for batch in batches:
            yield rules.decide_arrow(batch, at_text)

    return df.mapInArrow(decisions, DECISIONS_DDL)
