"""Guifan (规范): declarative e-commerce platform policies, decided from Python.

Load rule files, then decide records given as dicts, JSON Lines or pyarrow
record batches at an evaluation time you pass in. Money is exact (never a
float), calendar words are computed in each policy's zone, and a decision is
the catalogue's decision record as plain Python data (what ``json.loads`` of
``guifan run``'s output gives)::

    import guifan
    rules = guifan.RuleSet.from_dir("rules")
    rules.decide({"kind": "merchant", "id": "m-1", ...}, at="2023-04-20T12:00:00+08:00")

A ``RuleSet`` is safe to share across threads; deciding releases the GIL.
Errors are ``GuifanError`` exceptions (``RulesError``, ``DataError``,
``ParamError``) with ``code`` and ``message``, and where: ``file``, ``line``
and ``column`` of a rule file, or ``path`` and ``line`` of a record.
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
import json as _json
import os as _os
from typing import Any, Iterable, Mapping, Optional, Sequence, Tuple, Union

from . import _guifan
from ._guifan import DataError, GuifanError, ParamError, RulesError

__all__ = [
    "RuleSet",
    "GuifanError",
    "RulesError",
    "DataError",
    "ParamError",
    "decisions_schema",
    "version",
    "read_sources",
]

Time = Union[str, _dt.datetime, None]


def version() -> str:
    """The version of the Guifan engine."""
    return _guifan.version()


def _time_text(at: Time) -> str:
    """An evaluation time as RFC 3339 text: ``None`` is now (UTC)."""
    if at is None:
        return _dt.datetime.now(_dt.timezone.utc).isoformat()
    if isinstance(at, str):
        return at
    if isinstance(at, _dt.datetime):
        if at.tzinfo is None or at.utcoffset() is None:
            raise GuifanError(
                "a datetime without a time zone is ambiguous: give it a tzinfo"
            )
        return at.isoformat()
    raise TypeError(f"at: expected an RFC 3339 string or an aware datetime, not {type(at).__name__}")


def _json_default(value: Any) -> Any:
    """Python values JSON has no word for, as the text Guifan reads exactly."""
    if isinstance(value, _decimal.Decimal):
        return str(value)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise GuifanError("a datetime in a record needs a time zone")
        return value.isoformat()
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    raise TypeError(f"{type(value).__name__} is not a record value")


def _dumps(value: Any) -> str:
    return _json.dumps(value, default=_json_default, ensure_ascii=False)


def read_sources(rules_dir: Union[str, "os.PathLike[str]"]) -> list:
    """Every rule file (``*.policy``, ``*.schema``) under a directory, as
    ``(relative path, text)`` pairs: what ``RuleSet.from_sources`` takes, and
    what Spark ships to its workers."""
    root = _os.fspath(rules_dir)
    sources = []
    for folder, dirs, files in _os.walk(root):
        dirs.sort()
        for name in sorted(files):
            if name.endswith((".policy", ".schema")):
                path = _os.path.join(folder, name)
                with open(path, encoding="utf-8-sig") as f:
                    sources.append((_os.path.relpath(path, root), f.read()))
    return sources


def decisions_schema():
    """The pyarrow schema of decision tables: subject, kind, rule, version,
    effects (list of struct{kind, args: map<string, string>}), message,
    error_code, error."""
    return _guifan.Rules.decisions_schema()


class RuleSet:
    """One loaded and checked rule set."""

    __slots__ = ("_rules",)

    def __init__(self, native: "_guifan.Rules") -> None:
        self._rules = native

    @classmethod
    def from_dir(cls, path: Union[str, "os.PathLike[str]"]) -> "RuleSet":
        """Loads every rule file under a directory (its ``schema/`` included)."""
        return cls(_guifan.Rules.from_dir(_os.fspath(path)))

    @classmethod
    def from_sources(
        cls, sources: Union[Mapping[str, str], Iterable[Tuple[str, str]]]
    ) -> "RuleSet":
        """Loads rule files given as text: a mapping or pairs of file name and text."""
        pairs = list(sources.items()) if isinstance(sources, Mapping) else list(sources)
        return cls(_guifan.Rules.from_sources([(str(n), str(t)) for n, t in pairs]))

    def set_param(self, policy: str, name: str, value: Any) -> None:
        """Sets a parameter of a policy (``set_param("douyin.zero_deposit_trial",
        "personal_listing_cap", 150)``); money as a string or a Decimal. Threads
        deciding meanwhile see the old value or the new, never half of it."""
        self._rules.set_param(policy, name, _dumps(value))

    def set_params(self, params: Mapping[str, Mapping[str, Any]]) -> None:
        """Sets several parameters: ``{policy: {name: value}}``."""
        for policy, values in params.items():
            for name, value in values.items():
                self.set_param(policy, name, value)

    @property
    def revision(self) -> str:
        """A digest of the rule files and parameters."""
        return self._rules.revision

    @property
    def policies(self) -> list:
        """The policies' IDs."""
        return self._rules.policies

    @property
    def needs_ranks(self) -> bool:
        """Whether a policy ranks subjects against each other (then a
        population is decided together: ``decide_jsonl``, ``decide_arrow``)."""
        return self._rules.needs_ranks

    def decide(self, record: Mapping[str, Any], at: Time = None) -> dict:
        """Decides one record (a dict with ``kind`` and ``id``): its decision
        record as plain Python data. Raises ``DataError`` when it does not fit
        the schema."""
        text = self._rules.decide_json(_dumps(record).encode("utf-8"), _time_text(at))
        return _json.loads(text)

    def decide_jsonl(self, data: Union[bytes, str], at: Time = None) -> list:
        """Decides JSON Lines, ranked together as one population: per record,
        its decision record, or ``{"line", "id", "error": {"code", "path",
        "message"}}`` when it cannot be read (the others go on)."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        return _json.loads(self._rules.decide_jsonl(data, _time_text(at)))

    def decide_arrow(self, batch: Any, at: Time = None) -> Any:
        """Decides every row of a ``pyarrow.RecordBatch`` (read in place
        through the Arrow C data interface); answers the decision table (see
        ``decisions_schema``) as a ``pyarrow.RecordBatch``."""
        return self._rules.decide_arrow(batch, _time_text(at))

    def rank_keys(self, batch: Any, at: Time = None) -> str:
        """The ranking keys of a batch's rows (a ``pyarrow.RecordBatch``, or
        JSON Lines as bytes), as text: the first pass over one part of a
        population (see ``with_rank_keys``)."""
        if isinstance(batch, (bytes, str)):
            data = batch.encode("utf-8") if isinstance(batch, str) else batch
            return self._rules.rank_keys_jsonl(data, _time_text(at))
        return self._rules.rank_keys_arrow(batch, _time_text(at))

    def with_rank_keys(self, parts: Sequence[str]) -> "RuleSet":
        """This rule set with the places that the keys of every part of a
        population give: each part is then decided as if with all the others."""
        return RuleSet(self._rules.with_rank_keys(list(parts)))

    def __repr__(self) -> str:
        return repr(self._rules)
