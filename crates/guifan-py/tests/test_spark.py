"""Guifan inside Spark (local mode): every generated record of every kind,
the ranking policy included, decided with `guifan.spark.decide` and compared
decision by decision with `guifan run` on the same records."""

import os
import sys

import pyarrow.parquet as pq
import pytest

import guifan
import guifan.spark
from rows import from_jsonl, from_table


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("guifan-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "5000")
        .getOrCreate()
    )
    yield session
    session.stop()


def zone_of(path):
    """The one zone of a file's timestamp columns (UTC when it has none):
    Spark shows instants in its session zone, `guifan run` in the offset written."""
    zones = set()

    def walk(t):
        import pyarrow as pa
        if pa.types.is_timestamp(t) and t.tz:
            zones.add(t.tz)
        for i in range(t.num_fields if hasattr(t, "num_fields") else 0):
            walk(t.field(i).type)
        if hasattr(t, "value_type"):
            walk(t.value_type)
        if hasattr(t, "key_type"):
            walk(t.key_type)
        if hasattr(t, "item_type"):
            walk(t.item_type)

    for field in pq.read_schema(path):
        walk(field.type)
    assert len(zones) <= 1, zones
    return zones.pop() if zones else "UTC"


def test_spark_decides_every_kind_as_guifan_run_does(spark, mix, rules_dir):
    expected = from_jsonl(mix["decisions"])
    got = []
    records = 0
    kinds = []
    for path in sorted(mix["parquet"].glob("*.parquet")):
        spark.conf.set("spark.sql.session.timeZone", zone_of(path))
        df = spark.read.parquet(str(path))
        records += df.count()
        decided = guifan.spark.decide(df, rules_dir, at=mix["at"])
        if path.stem == "merchant":
            effects = decided.schema["effects"].dataType
            assert effects.simpleString() == "array<struct<kind:string,args:map<string,string>>>"
        got.extend(r.asDict(recursive=True) for r in decided.collect())
        kinds.append(path.stem)
    assert records == mix["records"]
    assert "video" in kinds and len(kinds) >= 13
    got = from_table(got)
    assert len(got) == len(expected)
    assert got == expected
    # The ranking policy fired, with places over the whole DataFrame.
    assert any(r[2].startswith("tiktok_shop.ramadan") for r in got), "no ranking decision"
