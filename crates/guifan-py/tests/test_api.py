"""The Python API against the bundled catalogue: the same decisions as `guifan run`."""

import datetime as dt
import decimal
import json
import subprocess
import threading
import time

import pyarrow as pa
import pyarrow.json as pj
import pytest

import guifan
from conftest import ROOT, tool
from rows import from_jsonl, from_table

AT = "2023-04-20T12:00:00+08:00"
TRIAL = ROOT / "examples" / "douyin_zero_deposit_trial.jsonl"


@pytest.fixture(scope="module")
def rules():
    return guifan.RuleSet.from_dir(ROOT / "rules")


def cli(data, at=AT):
    out = subprocess.run([tool("guifan"), "run", "--rules", str(ROOT / "rules"), "--data", str(data),
                          "--at", at], capture_output=True, check=False)
    return out.stdout.decode("utf-8")


def test_a_record_is_decided_as_the_command_decides_it(rules):
    expected = [json.loads(line) for line in cli(TRIAL).splitlines()]
    records = [json.loads(line) for line in TRIAL.read_text("utf-8").splitlines()]
    assert [rules.decide(r, at=AT) for r in records] == expected
    assert expected[0]["decisions"][0]["effects"][0] == {"kind": "top_up_deposit", "amount": "1500.00 CNY"}


def test_times_and_exact_numbers_from_python_values(rules):
    record = json.loads(TRIAL.read_text("utf-8").splitlines()[0])
    at = dt.datetime(2023, 4, 20, 12, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    record["goods_balance"] = decimal.Decimal("3000.00")
    assert rules.decide(record, at=at) == rules.decide(json.loads(TRIAL.read_text("utf-8").splitlines()[0]), at=AT)
    with pytest.raises(guifan.GuifanError, match="time zone"):
        rules.decide(record, at=dt.datetime(2023, 4, 20, 12))
    with pytest.raises(guifan.GuifanError) as bad:
        rules.decide(record, at="yesterday")
    assert bad.value.code == "guifan::python::invalid_time"


def test_a_record_that_does_not_fit_raises_with_its_field(rules):
    record = json.loads(TRIAL.read_text("utf-8").splitlines()[0])
    record["listings_online"] = "many"
    with pytest.raises(guifan.DataError) as bad:
        rules.decide(record, at=AT)
    assert (bad.value.code, bad.value.path, bad.value.id) == ("guifan::data::invalid", "listings_online", "dy-e1")
    assert "expected an int" in bad.value.message


def test_rule_files_that_do_not_check_raise_with_their_place():
    with pytest.raises(guifan.RulesError) as bad:
        guifan.RuleSet.from_sources({"bad.schema": "kind k { n: mony }"})
    e = bad.value
    assert (e.code, e.file, e.line, e.column) == ("guifan::check::unknown_type", "bad.schema", 1, 13)
    assert e.problems[0]["message"] == "unknown type `mony`"


def test_parameters_change_decisions_and_bad_ones_raise():
    rules = guifan.RuleSet.from_dir(ROOT / "rules")
    record = json.loads(TRIAL.read_text("utf-8").splitlines()[1])  # 150 listings, personal store
    fired = lambda: [d["rule"].rsplit(".", 1)[1] for d in rules.decide(record, at=AT)["decisions"]]
    assert "listing_cap" in fired()
    before = rules.revision
    rules.set_param("douyin.zero_deposit_trial", "personal_listing_cap", 200)
    assert "listing_cap" not in fired()
    assert rules.revision != before
    with pytest.raises(guifan.ParamError) as bad:
        rules.set_param("douyin.zero_deposit_trial", "personal_listing_cap", "lots")
    assert bad.value.name == "personal_listing_cap"


def test_json_lines_are_decided_and_a_bad_line_is_placed_while_the_others_go_on(rules):
    lines = TRIAL.read_text("utf-8").splitlines()
    lines.insert(1, '{"kind": "merchant", "id": "broken", "platform": "douyin", "listings_online": "x"}')
    answers = rules.decide_jsonl("\n".join(lines) + "\n", at=AT)
    assert len(answers) == len(lines)
    assert answers[1]["line"] == 2 and answers[1]["id"] == "broken"
    assert answers[1]["error"]["code"] == "guifan::data::invalid"
    good = [a for i, a in enumerate(answers) if i != 1]
    assert good == [json.loads(l) for l in cli(TRIAL).splitlines()]


def test_a_pyarrow_batch_read_from_json_is_decided_as_the_json_is(rules):
    table = pj.read_json(TRIAL)
    batch = table.combine_chunks().to_batches()[0]
    decided = rules.decide_arrow(batch, at=AT)
    assert decided.schema == guifan.decisions_schema()
    assert from_table(decided.to_pylist()) == from_jsonl(cli(TRIAL))


def test_a_bad_row_of_a_batch_is_a_row_of_the_table_with_its_row_number(rules):
    batch = pa.RecordBatch.from_pydict({
        "kind": ["merchant", "merchant"], "id": ["a", "b"], "platform": ["douyin", "douyin"],
        "listings_online": ["lots", None]})
    decided = rules.decide_arrow(batch, at=AT).to_pylist()
    errors = [r for r in decided if r["error_code"] == "guifan::data::invalid"]
    assert [r["subject"] for r in errors] == ["a", "b"]
    assert errors[0]["error"].startswith("row 1: ")
    assert "listings_online" in errors[0]["error"]


def test_a_float_column_is_refused_by_name(rules):
    batch = pa.RecordBatch.from_pydict({"kind": ["claim"], "id": ["c"], "price": [1.5]})
    with pytest.raises(guifan.DataError) as bad:
        rules.decide_arrow(batch, at=AT)
    assert bad.value.path == "price"
    assert "not exact" in bad.value.message


def test_ranking_keys_of_parts_give_the_places_of_the_whole(rules, mix):
    videos = [l for l in mix["jsonl"].read_text("utf-8").splitlines() if '"kind":"video"' in l.replace(" ", "")]
    assert len(videos) > 100
    whole = rules.decide_jsonl("\n".join(videos), at=mix["at"])
    half = len(videos) // 2
    parts = ["\n".join(videos[:half]), "\n".join(videos[half:])]
    keys = [rules.rank_keys(p.encode("utf-8"), at=mix["at"]) for p in parts]
    ranked = rules.with_rank_keys(keys)
    split = ranked.decide_jsonl(parts[0], at=mix["at"]) + ranked.decide_jsonl(parts[1], at=mix["at"])
    assert split == whole
    # Without the other half's keys, the places (and so the decisions) differ.
    alone = rules.decide_jsonl(parts[0], at=mix["at"]) + rules.decide_jsonl(parts[1], at=mix["at"])
    assert alone != whole


def test_deciding_releases_the_gil_and_threads_share_a_rule_set(rules, mix):
    data = mix["jsonl"].read_bytes()
    ticks = 0
    stop = threading.Event()

    def spin():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1

    spinner = threading.Thread(target=spin)
    spinner.start()
    time.sleep(0.05)
    start = ticks
    answers = rules.decide_jsonl(data, at=mix["at"])
    during = ticks - start
    stop.set()
    spinner.join()
    assert len(answers) == mix["records"]
    # A Python thread ran all along: the GIL was not held while deciding.
    assert during > 10_000, during

    results = []
    def decide_all():
        results.append(rules.decide_jsonl(data[:200_000].rsplit(b"\n", 1)[0], at=mix["at"]))
    threads = [threading.Thread(target=decide_all) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == results[0] for r in results) and len(results) == 4


def test_version_and_repr(rules):
    assert guifan.version()
    assert "14 policies" in repr(rules)
    assert "douyin.zero_deposit_trial" in rules.policies
    assert rules.needs_ranks
