"""Figures for docs/python.md, measured in one run on the same records:
`guifan run` on JSON Lines and on Parquet, `decide_arrow` from Python, Spark
local[2] end to end, and GoRules ZEN (the `zen-engine` package) deciding the
trial policy's rules. Run by scripts/bench-python.sh."""

import json
import os
import subprocess
import sys
import time

import pyarrow.parquet as pq

import guifan
import guifan.spark
import trial

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
AT = "2023-04-20T12:00:00+08:00"


def best(f, runs=3):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


def main(folder, n):
    release = os.path.join(ROOT, "target", "release")
    jsonl = os.path.join(folder, "trial.jsonl")
    parquet = os.path.join(folder, "parquet", "merchant.parquet")
    rules_dir = os.path.join(ROOT, "rules")
    rules = guifan.RuleSet.from_dir(rules_dir)
    out = {}


    def run_to_null(data, jobs):
        with open(os.devnull, "wb") as null:
            subprocess.run([os.path.join(release, "guifan"), "run", "--rules", rules_dir, "--data", data,
                            "--at", AT, "--quiet", "--jobs", str(jobs)], stdout=null, check=True)

    for jobs in (1, 2):
        out[f"guifan run, JSON Lines, {jobs} core(s)"] = n / best(lambda: run_to_null(jsonl, jobs))
        out[f"guifan run, Parquet, {jobs} core(s)"] = n / best(lambda: run_to_null(parquet, jobs))

    batches = pq.read_table(parquet).to_batches(max_chunksize=65536)
    out["Python decide_arrow (2 cores)"] = n / best(lambda: [rules.decide_arrow(b, AT) for b in batches])

    records = [json.loads(l) for l in open(jsonl, encoding="utf-8")]
    sample = records[:50_000]
    out["Python decide (a dict at a time, 1 core)"] = len(sample) / best(lambda: [rules.decide(r, AT) for r in sample], 1)

    import zen
    decision = zen.ZenEngine().create_decision(trial.jdm())
    inputs = [dict(r, now=AT) for r in sample]
    disagree = 0
    for r, i in zip(sample[:20_000], inputs):
        z = sorted(k for k in trial.RULES if decision.evaluate(i)["result"].get(k) is True)
        g = sorted(d["rule"].rsplit(".", 1)[1] for d in rules.decide(r, AT)["decisions"])
        disagree += z != g
    out["zen-engine evaluate (a dict at a time, 1 core)"] = len(inputs) / best(lambda: [decision.evaluate(i) for i in inputs], 1)
    out["zen-engine disagreements in 20,000 records"] = disagree

    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
             .config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
             .config("spark.sql.session.timeZone", "+08:00").getOrCreate())
    spark.read.parquet(parquet).count()
    out["Spark local[2], Parquet to decisions (end to end)"] = n / best(
        lambda: guifan.spark.decide(spark.read.parquet(parquet), rules_dir, at=AT)
        .write.format("noop").mode("overwrite").save(), 2)
    spark.stop()

    for k, v in out.items():
        print(f"{k:55} {v:>12,.0f}" + ("" if "disagree" in k else " records/s"))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
