"""Encodings: each one Chinese text comes in is told apart and recorded; doubtful files are
skipped and named, never stored as mojibake; a file stored with the wrong decoding is read
again and replaced."""

import json

import pytest
import sqlite_utils
from click.testing import CliRunner
from conftest import SEED_PAGES, check_index, ingest
from helpers_io import all_text, articles_of, documents, not_garbled, search_ids

from zzcorpus.cli import cli
from zzcorpus.readers import decode

PAGE = SEED_PAGES[2].read_text(encoding="utf-8")
PHRASE = "锂电池新能源是枣庄首位发展的产业"
# Traditional Chinese as Hong Kong and Taiwan papers print it; HK adds written Cantonese,
# which only Big5-HKSCS encodes.
TRAD = ("香港經濟穩步復甦\n\n本報訊 香港特區政府今日公佈最新經濟數據，本港第一季度經濟按年實質增長百分之二點七。"
        "財政司司長表示，訪港旅客人數持續回升，零售業及餐飲業的營業額均有改善，政府會繼續推動各項措施。\n")
TRAD_PHRASE = "訪港旅客人數持續回升"
HK = TRAD + "\n街坊話：「佢哋嘅生意好咗啲，冇咁難做喇，多謝大家嚟幫襯。」記者喺現場見到人流明顯增加。\n"
HK_PHRASE = "佢哋嘅生意好咗啲"

CASES = [  # (file bytes, text, expected encoding, phrase)
    ("big5", TRAD.encode("big5"), TRAD, "big5", TRAD_PHRASE),
    ("big5hkscs", HK.encode("big5hkscs"), HK, "big5hkscs", HK_PHRASE),
    ("gbk", PAGE.encode("gbk"), PAGE, "gb18030", PHRASE),
    ("utf-16-le", PAGE.encode("utf-16-le"), PAGE, "utf-16-le", PHRASE),
    ("utf-16-be", PAGE.encode("utf-16-be"), PAGE, "utf-16-be", PHRASE),
    ("utf-16-bom-le", b"\xff\xfe" + PAGE.encode("utf-16-le"), PAGE, "utf-16", PHRASE),
    ("utf-16-bom-be", b"\xfe\xff" + PAGE.encode("utf-16-be"), PAGE, "utf-16", PHRASE),
    ("utf-32-bom", PAGE.encode("utf-32"), PAGE, "utf-32", PHRASE),
    ("big5-crlf", TRAD.replace("\n", "\r\n").encode("big5"), TRAD, "big5", TRAD_PHRASE),
]


@pytest.mark.parametrize("name, data, text, expected, phrase", CASES, ids=[c[0] for c in CASES])
def test_each_encoding_is_detected_recorded_and_searchable(tmp_path, name, data, text, expected, phrase):
    path = tmp_path / f"{name}.txt"
    path.write_bytes(data)
    db_path = tmp_path / "e.db"
    result = ingest(path, db=db_path)
    assert result.exit_code == 0, result.stderr
    doc = documents(db_path)[path.name]
    assert doc["encoding"] == expected and doc["layout"] == "page"
    assert doc["raw"].replace("\r\n", "\n").lstrip("\ufeff") == text
    hits = search_ids(db_path, phrase)
    assert hits and hits <= {a["id"] for a in articles_of(db_path, path.name)}
    assert not_garbled(all_text(db_path), text)


def test_detection_on_short_snippets_of_every_seed_page():
    """30-character snippets of each seed page (and its traditional form) in each encoding."""
    trad = str.maketrans("这个们说对国为发经济业时会还进长",
                         "這個們說對國為發經濟業時會還進長")
    tried = wrong = 0
    for page in (p.read_text(encoding="utf-8") for p in SEED_PAGES):
        for start in range(0, len(page) - 30, 97):
            snippet = page[start:start + 30]
            for text, encoding in ((snippet, "gb18030"), (snippet, "utf-16-le"), (snippet, "utf-16-be"),
                                   (snippet.translate(trad), "big5hkscs")):
                data = text.encode(encoding, errors="ignore")
                tried += 1
                try:
                    got, _ = decode(data)
                except ValueError:
                    continue  # skipped is allowed; stored garbage is not
                wrong += got != data.decode(encoding)
    assert tried > 500 and wrong == 0


MIXED = [
    ("gbk-then-big5", PAGE[:400].encode("gbk") + TRAD.encode("big5")),
    ("utf8-then-gbk", PAGE[:400].encode("utf-8") + PAGE[400:800].encode("gbk")),
    ("big5-then-utf8", TRAD.encode("big5") + PAGE[:400].encode("utf-8")),
    ("latin1", "Café crème, naïve façade. ".encode("latin-1") * 20),
]


@pytest.mark.parametrize("name, data", MIXED, ids=[m[0] for m in MIXED])
def test_doubtful_files_are_skipped_named_with_the_encodings_tried(tmp_path, name, data):
    src = tmp_path / "in"
    src.mkdir()
    (src / f"{name}.txt").write_bytes(data)
    (src / "good.txt").write_text(PAGE, encoding="utf-8")
    db_path = tmp_path / "m.db"
    result = ingest(src, db=db_path)
    assert result.exit_code == 1
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("skipped")]
    assert f"{name}.txt" in line and ("GB18030" in line or "gb18030" in line)
    assert set(documents(db_path)) == {"good.txt"}


def test_encoding_option_overrides_and_bad_names_are_one_line(tmp_path):
    path = tmp_path / "trad.txt"
    path.write_bytes(TRAD.encode("big5"))
    db_path = tmp_path / "o.db"
    assert ingest(path, "--encoding", "BIG5", db=db_path).exit_code == 0
    assert documents(db_path)["trad.txt"]["encoding"] == "big5"
    result = ingest(path, "--encoding", "klingon", db=db_path)
    assert result.exit_code == 1 and "klingon" in result.output and "Traceback" not in result.output


def test_a_file_stored_with_the_wrong_decoding_is_read_again_and_replaced(tmp_path):
    """The mistake: Big5 read as GB18030 (it decodes, as garbage). Detection, or --force, fixes it."""
    path = tmp_path / "trad.txt"
    path.write_bytes(TRAD.encode("big5"))
    db_path = tmp_path / "r.db"
    assert ingest(path, "--encoding", "gb18030", db=db_path).exit_code == 0
    assert documents(db_path)["trad.txt"]["encoding"] == "gb18030"
    assert not search_ids(db_path, TRAD_PHRASE)
    n = len(articles_of(db_path, "trad.txt"))
    out = CliRunner().invoke(cli, ["ingest", str(path), "--db", str(db_path), "--json"])
    assert json.loads(out.stdout)[0]["replaced"] == 1
    assert documents(db_path)["trad.txt"]["encoding"] == "big5"
    assert search_ids(db_path, TRAD_PHRASE) and not_garbled(all_text(db_path), TRAD)
    assert len(articles_of(db_path, "trad.txt")) == n  # replaced, not doubled
    again = CliRunner().invoke(cli, ["ingest", str(path), "--db", str(db_path), "--json"])
    assert json.loads(again.stdout)[0]["unchanged"] == 1
    forced = CliRunner().invoke(cli, ["ingest", str(path), "--db", str(db_path), "--json", "--force"])
    assert json.loads(forced.stdout)[0]["replaced"] == 1
    db = sqlite_utils.Database(db_path)
    assert db.execute("select count(*) from articles").fetchone()[0] == n
    assert db.execute("select count(*) from article_index").fetchone()[0] == n
    check_index(db)
