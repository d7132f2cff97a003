"""Dates: one normaliser for record fields and file names; a date that cannot be read is left
out with one line naming the record and the value, and reports by year and month still work."""

import json

import pytest
import sqlite_utils
from click.testing import CliRunner
from conftest import ingest
from helpers_io import documents

from zzcorpus.cli import cli
from zzcorpus.dates import normalise_date
from zzcorpus.readers import metadata_from_name


@pytest.mark.parametrize("given, iso", [
    ("2021/12/20", "2021-12-20"), ("2021年12月20日", "2021-12-20"), ("20211220", "2021-12-20"),
    ("二〇二一年十二月二十日", "2021-12-20"), ("二〇二一年三月一日", "2021-03-01"), ("2021.1.5", "2021-01-05"),
    ("２０２１－１２－２０", "2021-12-20"), ("2021-12-20T08:30:00+08:00", "2021-12-20"),
    ("2021", "2021"), ("二〇二一年", "2021"), ("2021-12", "2021-12"), ("2021年12月", "2021-12"),
])
def test_spellings_become_iso(given, iso):
    assert normalise_date(given) == iso


@pytest.mark.parametrize("bad", ["0750-01-01", "2150", "2021-02-30", "2021-13", "昨天", "", "12/20/2021"])
def test_unreadable_dates_say_why(bad):
    with pytest.raises(ValueError):
        normalise_date(bad)


def test_file_names_with_impossible_dates_give_none():
    assert metadata_from_name("枣庄日报_2024-02-30_02.txt") == {}
    assert metadata_from_name("枣庄日报_2024-02-29_02.txt")["date"] == "2024-02-29"


def test_record_dates_are_normalised_or_dropped_with_a_warning(tmp_path):
    dates = ["2021/12/20", "二〇二一年十二月二十一日", "20211222", "0750-01-01", "二〇二一年十三月", "2021"]
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(json.dumps({"title": f"标题{i}", "text": f"枣庄市发展新能源，第{i}篇。", "date": d},
                                         ensure_ascii=False) for i, d in enumerate(dates)), encoding="utf-8")
    db_path = tmp_path / "d.db"
    result = ingest(path, db=db_path)
    assert result.exit_code == 0  # every record is stored; the bad dates are named
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning")]
    assert len(warnings) == 2
    assert "r.jsonl#4" in warnings[0] and "0750-01-01" in warnings[0]
    assert "r.jsonl#5" in warnings[1] and "二〇二一年十三月" in warnings[1]
    docs = documents(db_path)
    assert [docs[f"r.jsonl#{i}"]["date"] for i in range(1, 7)] == [
        "2021-12-20", "2021-12-21", "2021-12-22", None, None, "2021"]
    db = sqlite_utils.Database(db_path)
    assert db.execute("select count(*) from articles").fetchone()[0] == 6
    for by, most in (("year", 1), ("month", 12)):
        out = CliRunner().invoke(cli, ["trend", "发展", "--by", by, "--db", str(db_path), "--json"])
        assert out.exit_code == 0, out.output
        assert 1 <= len(json.loads(out.stdout)) <= most


def test_csv_dates_too(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("title,text,date\n甲,锂电产业报道。,2021年12月20日\n乙,钠电产业报道。,去年\n", encoding="utf-8")
    db_path = tmp_path / "c.db"
    result = ingest(path, db=db_path)
    assert result.exit_code == 0 and "r.csv#2" in result.stderr and "去年" in result.stderr
    assert [d["date"] for d in sorted(documents(db_path).values(), key=lambda d: d["path"])] == ["2021-12-20", None]
