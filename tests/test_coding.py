"""The `code` command on the seed corpus and on made-up articles: every count recomputed here
from the stored tokens (title_seg / body_seg) and printed text, by brute force over each entry
(independent of coding.py's one-pass matcher); KH Coder operators on articles written for them;
the crosstab against scipy; malformed dictionaries as one-line errors."""

import fnmatch
import json
import math
import sqlite3
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from scipy import stats

from zzcorpus.cli import cli
from zzcorpus.coding import Codebook
from zzcorpus.dictionaries import load_dictionary
from zzcorpus.segment import DEFAULT_USERDICT, Segmenter, is_word

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
PAGES = sorted(SEEDS.glob("[0-9][0-9][0-9]_*.txt"))
META = [("枣庄日报", "2024-03-19", PAGES[:2]), ("枣庄日报", "2024-05-02", PAGES[2:3]),
        ("大众日报", "2024-06-10", PAGES[3:])]

# One test dictionary, written in each format below: words, globs, phrases the segmenter cuts
# (数字经济 -> 数字 经济, which holds 经济; 急难愁盼 -> 急难 愁 盼), a spaced phrase and substrings.
CODES = {
    "经济": ["经济", "投资", "招商*", "'亿元'"],
    "数字经济": ["数字经济", "经济 开发区"],
    "产业": ["产业*", "产业链"],
    "锂电": ["锂电*", "锂电池", "'锂电'"],
    "民生": ["群众", "急难愁盼", "'急难愁盼'"],
}


def yaml_text(codes):
    return "".join(f"{c}:\n" + "".join(f"  - {json.dumps(e, ensure_ascii=False)}\n" for e in es)
                   for c, es in codes.items())


def liwc_text(codes):
    head = "%\n" + "".join(f"{i}\t{c}\n" for i, c in enumerate(codes, 1)) + "%\n"
    ids = {}
    for i, es in enumerate(codes.values(), 1):
        for e in es:
            ids.setdefault(e, []).append(str(i))
    return head + "".join(f"{e}\t{' '.join(n)}\n" for e, n in ids.items())


def wordstat_text(codes):
    return "".join(f"{c}\n" + "".join(f"\t{e} (1)\n" for e in es) for c, es in codes.items())


def khcoder_text(codes):
    # A KH Coder word atom joins a phrase's words with '+'.
    return "".join(f"*{c}\n" + " or ".join(e.replace(" ", "+") for e in es) + "\n\n" for c, es in codes.items())


FORMATS = {"yml": yaml_text, "dic": liwc_text, "cat": wordstat_text, "txt": khcoder_text}


def run(db, *args):
    return CliRunner().invoke(cli, ["code", *map(str, args), "--db", str(db)])


def rows_of(db, *args):
    result = run(db, *args, "--json")
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def cut():
    return Segmenter(userdicts=(str(DEFAULT_USERDICT),)).cut  # the seeds were ingested with it


def stored_articles(db):
    """article id -> paragraphs (stored tokens), printed text, tokens, source, date."""
    conn = sqlite3.connect(db)
    out = {}
    for art_id, t_seg, b_seg, kicker, title, subtitle, body, tokens, source, date in conn.execute(
            "SELECT id, title_seg, body_seg, kicker, title, subtitle, body, tokens, source, date FROM report_articles"):
        seg = "\n".join(s for s in (t_seg, b_seg) if s)
        out[art_id] = {"paragraphs": [p.split(" ") for p in seg.split("\n") if p],
                       "text": "\n".join(x for x in (kicker, title, subtitle, body) if x),
                       "tokens": tokens, "source": source, "date": date}
    conn.close()
    return out


@pytest.fixture(scope="module")
def seeds(seed_db):
    return stored_articles(seed_db)


def reference(codes, articles, cut, *, nested=False):
    """article id -> Counter(code -> matches), by brute force: every occurrence of every entry,
    then (unless nested) those lying inside a longer occurrence of any entry dropped, then the
    distinct stretches of each code counted. Token and substring matches apart."""
    compiled = []  # (code, 'tok', [alternatives of [token patterns]]) or (code, 'str', text)
    for code, entries in codes.items():
        for e in entries:
            if e.startswith("'"):
                compiled.append((code, "str", e[1:-1]))
                continue
            seq = []
            for part in e.split():
                seq += [part] if "*" in part else cut(part)
            alternatives = [seq] + ([[e]] if len(seq) > 1 and " " not in e else [])
            compiled.append((code, "tok", alternatives))
    out = {}
    for art_id, art in articles.items():
        hits = []  # (space, start, end, code): space = paragraph index, or -1 for the text
        for code, kind, what in compiled:
            if kind == "str":
                i = art["text"].find(what)
                while i >= 0:
                    hits.append((-1, i, i + len(what), code))
                    i = art["text"].find(what, i + 1)
                continue
            for p, tokens in enumerate(art["paragraphs"]):
                for seq in what:
                    for i in range(len(tokens) - len(seq) + 1):
                        if all(fnmatch.fnmatchcase(t, pat) and is_word(t) if "*" in pat else t == pat
                               for t, pat in zip(tokens[i:], seq)):
                            hits.append((p, i, i + len(seq), code))
        if not nested:
            hits = [h for h in hits if not any(o[0] == h[0] and o[1] <= h[1] and h[2] <= o[2]
                                               and (o[2] - o[1]) > (h[2] - h[1]) for o in hits)]
        counts = Counter(code for code in {(h[3], h[:3]) for h in hits} for code in [code[0]])
        if counts:
            out[art_id] = counts
    return out


def expected_rows(codes, ref, articles):
    n_articles, n_tokens = len(articles), sum(a["tokens"] for a in articles.values())
    rows = []
    for code in codes:
        holding = [a for a in ref if ref[a][code]]
        matches = sum(ref[a][code] for a in holding)
        rows.append({"code": code, "articles": len(holding), "share": len(holding) / n_articles,
                     "matches": matches, "per_million": matches * 1e6 / n_tokens})
    return rows


def assert_rows(got, want):
    assert [r["code"] for r in got] == [r["code"] for r in want]
    for g, w in zip(got, want):
        assert {k: g[k] for k in ("articles", "matches")} == {k: w[k] for k in ("articles", "matches")}, g["code"]
        assert g["share"] == pytest.approx(w["share"]) and g["per_million"] == pytest.approx(w["per_million"])


# --- counts on the seeds, every format ---------------------------------------------------------

@pytest.mark.parametrize("suffix", FORMATS)
def test_counts_in_every_format_match_the_stored_text(seed_db, seeds, cut, tmp_path, suffix):
    path = tmp_path / f"dictionary.{suffix}"
    path.write_text(FORMATS[suffix](CODES), encoding="utf-8")
    ref = reference(CODES, seeds, cut)
    assert_rows(rows_of(seed_db, path), expected_rows(CODES, ref, seeds))
    nested = reference(CODES, seeds, cut, nested=True)
    assert_rows(rows_of(seed_db, path, "--nested"), expected_rows(CODES, nested, seeds))


def test_the_seeds_exercise_every_kind_of_entry(seeds, cut):
    ref, nested = reference(CODES, seeds, cut), reference(CODES, seeds, cut, nested=True)
    total = lambda r, code: sum(c[code] for c in r.values())  # noqa: E731
    assert total(ref, "数字经济") >= 2  # 数字 经济 and 经济 开发区 occur
    assert total(nested, "经济") > total(ref, "经济")  # ... and the 经济 inside them is not counted
    assert all(total(ref, code) > 0 for code in CODES)


def test_save_writes_the_article_matrix(seed_copy, cut, tmp_path):
    path = tmp_path / "d.yml"
    path.write_text(yaml_text(CODES), encoding="utf-8")
    result = run(seed_copy, path, "--save", "codes")
    assert result.exit_code == 0, result.output
    articles = stored_articles(seed_copy)
    ref = reference(CODES, articles, cut)
    conn = sqlite3.connect(seed_copy)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("SELECT * FROM codes ORDER BY article_id")]
    saved = conn.execute("SELECT command, params, rows FROM saved_reports WHERE name = 'codes'").fetchone()
    conn.close()
    assert [r["article_id"] for r in rows] == sorted(articles)
    assert list(rows[0]) == ["article_id", "source", "date", *CODES]
    for r in rows:
        assert {c: r[c] for c in CODES} == {c: ref.get(r["article_id"], Counter())[c] for c in CODES}
    assert saved["command"] == "code" and saved["rows"] == len(articles)
    assert json.loads(saved["params"])["codes"] == list(CODES)


def test_seed_dictionaries_run(seed_db):
    for name in ("dictionary.yml", "coding_rules.txt"):
        rows = rows_of(seed_db, SEEDS / name)
        assert all(r["articles"] > 0 for r in rows), name


# --- the 工业母机 case ----------------------------------------------------------------------------

def ingest_records(tmp_path, records, name="made_up.jsonl"):
    src = tmp_path / name
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    db = tmp_path / "made_up.db"
    result = CliRunner().invoke(cli, ["ingest", str(src), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


def test_a_longer_entry_wins_over_the_words_inside_it(tmp_path):
    db = ingest_records(tmp_path, [{
        "title": "工业母机产业加快发展", "source": "测试报", "date": "2024-05-01",
        "text": "本市工业母机企业和工业企业共同发展，工业母机订单增长。\n印度尼西亚客商来访，印度客商也来了。"}])
    conn = sqlite3.connect(db)
    title_seg, body_seg = conn.execute("SELECT title_seg, body_seg FROM articles").fetchone()
    conn.close()
    assert title_seg.startswith("工业 母机") and body_seg.count("工业 母机") == 2  # jieba cuts it
    dictionary = tmp_path / "d.yml"
    dictionary.write_text("工业: [工业]\n机床: [工业母机]\n印度: [\"'印度'\"]\n印尼: [\"'印度尼西亚'\"]\n"
                          "印度词: [印度]\n", encoding="utf-8")
    counts = {r["code"]: r["matches"] for r in rows_of(db, dictionary)}
    assert counts == {"工业": 1, "机床": 3, "印度": 1, "印尼": 1, "印度词": 1}
    nested = {r["code"]: r["matches"] for r in rows_of(db, dictionary, "--nested")}
    assert nested == {"工业": 4, "机床": 3, "印度": 2, "印尼": 1, "印度词": 1}
    kwic = rows_of(db, dictionary, "--kwic", "工业", "--width", "4")
    assert [(r["left"], r["match"], r["right"]) for r in kwic] == [("机企业和", "工业", "企业共同")]


# --- KH Coder operators --------------------------------------------------------------------------

LONG = "经济发展很快，全市上下一心，各个部门积极行动，认真落实各项政策措施，全力以赴推动，科技进步明显。"
MADE_UP = {  # title -> text; 经济 and 科技进步 (one token) at known distances in words
    "甲": "经济发展很快，科技进步明显。",  # same sentence, 3 words apart
    "乙": "经济发展很快。科技进步明显。",  # same paragraph, another sentence
    "丙": "经济发展很快。\n科技进步明显。",  # another paragraph
    "丁": LONG,  # same sentence, 12 words apart
    "戊": "科技进步带动经济增长。",  # the other order, 2 words apart
    "己": "工业企业稳步发展。",
}
RULES = {  # code -> (condition, titles of the articles it must code)
    "近": ("near(经济-科技进步)", "甲乙丙戊"),
    "同句": ("near(经济-科技进步)[b]", "甲戊"),
    "同段": ("near(经济-科技进步)[d]", "甲乙戊"),
    "十二词": ("near(科技进步-经济)[12]", "甲乙丙丁戊"),
    "十一词": ("near(经济-科技进步)[11]", "甲乙丙戊"),
    "同句十二词": ("near(经济-科技进步)[b12]", "甲丁戊"),
    "顺序": ("seq(经济-科技进步)", "甲乙丙"),
    "逆序": ("seq(科技进步-经济)", "戊"),
    "名词": ("经济->n", "甲乙丙丁戊"),
    "动词": ("经济-->v", ""),
    "子串": ("'发展很'", "甲乙丙丁"),
    "非": ("经济 and not '很快'", "戊"),
    "括号": ("(经济 or 工业) and not 科技进步", "己"),
    "符号": ("工业 | 科技进步 & !经济", "己"),
    "引用": ("<*近> and not <*同句>", "乙丙"),
    "两行": ("工业\n or 带动", "戊己"),
    "泛": ("*", ""),  # replaced below: a glob
}


def test_each_kh_coder_operator(tmp_path):
    db = ingest_records(tmp_path, [{"title": t, "text": x, "source": "测试报", "date": "2024-05-01"}
                                   for t, x in MADE_UP.items()])
    rules = dict(RULES)
    rules["泛"] = ("科技* and 稳步*", "")  # globs: 科技进步 and 稳步发展 never meet
    rules["泛或"] = ("科技* or 稳步*", "甲乙丙丁戊己")
    path = tmp_path / "rules.txt"
    path.write_text("".join(f"*{code}\n{cond}\n\n" for code, (cond, _) in rules.items()), encoding="utf-8")
    result = run(db, path, "--save", "m")
    assert result.exit_code == 0, result.output + result.stderr
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    titles = dict(conn.execute("SELECT id, title FROM articles"))
    matrix = [dict(r) for r in conn.execute("SELECT * FROM m")]
    conn.close()
    for code, (_, want) in rules.items():
        got = "".join(sorted((titles[r["article_id"]] for r in matrix if r[code]), key="甲乙丙丁戊己".index))
        assert got == want, code
    by_title = {titles[r["article_id"]]: r for r in matrix}
    assert by_title["甲"]["近"] == 1 and by_title["甲"]["名词"] == 1  # one chain, one 经济
    assert by_title["戊"]["非"] == 1  # the 经济 that made it true (not the absent 很快)
    # The concordance of a seq chain runs from its first word to its last.
    kwic = rows_of(db, path, "--kwic", "顺序", "--width", "3")
    assert [r["match"] for r in kwic] == ["经济发展很快，科技进步", "经济发展很快。科技进步", "经济"]


@pytest.mark.parametrize("condition, why", [
    ("经济 or '投资", "an unclosed quote"),
    ("经济 工业", "expected and / or before '工业'"),
    ("(经济 or 工业", "'(' is not closed"),
    ("经济 and", "the condition ends"),
    ("经济 or <*没有>", "no code named '没有'"),
    ("<>报纸-->枣庄日报", "external variables"),
    ("经济=>经济", "'=>'"),
    ("near(经济)", "two or more words"),
    ("near(经济-科技)[x]", "the option is [N] words"),
    ("near('经济'-科技)", "takes words, not 'strings'"),
    ("经济 or * ", "would match every word"),
    ("<*乙>", "refer to each other in a circle"),
])
def test_malformed_rules_give_one_line_errors(seed_db, tmp_path, condition, why):
    path = tmp_path / "rules.txt"
    path.write_text(f"# rules\n*乙\n<*甲>\n\n*甲\n{condition}\n", encoding="utf-8")
    result = run(seed_db, path)
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert message.startswith(f"Error: {path}:") and why in message and "\n" not in message
    line = 2 if why.startswith("refer") else 6  # a circle: where its first code is named
    assert f"{path}:{line}:" in message
    with pytest.raises(ValueError, match=f"{line}:"):
        Codebook(load_dictionary(path), cut=lambda text: [text])


def test_malformed_entries_and_options(seed_db, tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("经济:\n  - 经济\n  - \"'投资\"\n", encoding="utf-8")
    result = run(seed_db, bad)
    assert result.exit_code == 1 and f"{bad}:3:" in result.stderr and "quoted whole" in result.stderr
    bad.write_text("经济:\n  - 经济\n 工业: [\n", encoding="utf-8")
    result = run(seed_db, bad)
    assert result.exit_code == 1 and f"{bad}:3:" in result.stderr and "Traceback" not in result.output
    good = SEEDS / "dictionary.yml"
    for args, why in [
        (["--by", "week"], "unknown group 'week': choose from source, year, month, day"),
        (["--trend", "--by", "source", "--out", str(tmp_path / "t.svg")], "--trend needs --by year, month, day"),
        (["--trend", "--by", "month"], "--trend needs --out"),
        (["--out", str(tmp_path / "t.svg")], "add --trend or --network"),
        (["--network", "--out", str(tmp_path / "t.pdf")], "unknown picture type '.pdf'"),
        (["--kwic", "没有"], "no code '没有' in the dictionary: codes are 经济, 工业"),
        (["--save", "articles"], "one of the corpus's own tables"),
    ]:
        result = run(seed_db, good, *args)
        assert result.exit_code == 1, args
        assert why in result.stderr and result.stderr.count("\n") == 1, result.stderr


# --- groups, crosstab, pictures ------------------------------------------------------------------

@pytest.fixture(scope="module")
def grouped_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("grouped") / "corpus.db"
    for source, date, pages in META:
        result = CliRunner().invoke(cli, ["ingest", *map(str, pages), "--source", source, "--date", date,
                                          "--db", str(path)])
        assert result.exit_code == 0, result.output
    return path


@pytest.mark.parametrize("by", ["source", "month"])
def test_by_group_crosstab_against_scipy(grouped_db, cut, by):
    articles = stored_articles(grouped_db)
    seed_codes = {c.name: [e for e, _ in c.entries] for c in load_dictionary(SEEDS / "dictionary.yml").codes}
    ref = reference(seed_codes, articles, cut)
    group = {a: (art["source"] if by == "source" else art["date"][:7]) for a, art in articles.items()}
    groups = sorted(set(group.values()))
    rows = rows_of(grouped_db, SEEDS / "dictionary.yml", "--by", by)
    assert [(r["code"], r["group"]) for r in rows] == [(c, g) for c in seed_codes for g in groups]
    for code in seed_codes:
        mine = [r for r in rows if r["code"] == code]
        with_code = [sum(1 for a in ref if group[a] == g and ref[a][code]) for g in groups]
        totals = [sum(1 for a in group if group[a] == g) for g in groups]
        tokens = [sum(articles[a]["tokens"] for a in group if group[a] == g) for g in groups]
        matches = [sum(ref[a][code] for a in ref if group[a] == g) for g in groups]
        table = [with_code, [t - w for t, w in zip(totals, with_code)]]
        chi2, p, _, expected = stats.chi2_contingency(table, correction=False)
        n = sum(totals)
        for j, r in enumerate(mine):
            assert (r["articles"], r["matches"]) == (with_code[j], matches[j])
            assert r["share"] == pytest.approx(with_code[j] / totals[j])
            assert r["per_million"] == pytest.approx(matches[j] * 1e6 / tokens[j])
            assert r["chi2"] == pytest.approx(chi2) and r["p"] == pytest.approx(p)
            resid = (with_code[j] - expected[0][j]) / math.sqrt(
                expected[0][j] * (1 - sum(with_code) / n) * (1 - totals[j] / n))
            assert r["residual"] == pytest.approx(resid)


def test_trend_and_network_pictures(grouped_db, cut, tmp_path):
    trend = tmp_path / "trend.svg"
    result = run(grouped_db, SEEDS / "dictionary.yml", "--trend", "--by", "month", "--out", trend)
    assert result.exit_code == 0, result.output + result.stderr
    svg = trend.read_text(encoding="utf-8")
    ET.fromstring(svg)
    assert all(code in svg for code in ("经济", "工业", "科技", "民生", "环境")) and "2024-04" in svg
    gexf = tmp_path / "codes.gexf"
    result = run(grouped_db, SEEDS / "dictionary.yml", "--network", "--out", gexf)
    assert result.exit_code == 0, result.output + result.stderr
    root = ET.parse(gexf).getroot()
    ns = {"g": "http://gexf.net/1.3"}
    labels = {n.get("id"): n.get("label") for n in root.iterfind(".//g:node", ns)}
    assert sorted(labels.values()) == sorted(["经济", "工业", "科技", "民生", "环境"])
    # Each edge's weight is the Jaccard of the two codes over articles, recomputed here.
    articles = stored_articles(grouped_db)
    seed_codes = {c.name: [e for e, _ in c.entries] for c in load_dictionary(SEEDS / "dictionary.yml").codes}
    ref = reference(seed_codes, articles, cut)
    holding = {c: {a for a in ref if ref[a][c]} for c in seed_codes}
    edges = list(root.iterfind(".//g:edge", ns))
    assert edges
    for e in edges:
        a, b = labels[e.get("source")], labels[e.get("target")]
        assert float(e.get("weight")) == pytest.approx(len(holding[a] & holding[b]) / len(holding[a] | holding[b]))
    png = tmp_path / "codes.svg"
    assert run(grouped_db, SEEDS / "dictionary.yml", "--network", "--out", png).exit_code == 0
    ET.fromstring(png.read_text(encoding="utf-8"))


def test_counting_path_agrees_with_the_stretches_path(seeds, cut, tmp_path):
    """code() counts dictionaries from token counts and regexes; with spans=True it walks every
    token. Both must give the same numbers, nested or not; ASCII letters match in any case."""
    path = tmp_path / "d.yml"
    path.write_text(yaml_text({**CODES, "英文": ["mcn", "'Mcn'"], "短语": ["高质量 发展", "产业 发*"]}),
                    encoding="utf-8")
    for nested in (False, True):
        book = Codebook(load_dictionary(path), cut=cut, nested=nested)
        for art in seeds.values():
            fast = book.code(art["paragraphs"], art["text"]).counts
            slow = book.code(art["paragraphs"], art["text"], spans=True)
            assert fast == slow.counts
            assert all(len(slow.spans[ci]) == n for ci, n in slow.counts.items())
    mcn = sum(art["text"].count("MCN") for art in seeds.values())
    assert mcn > 0
    book = Codebook(load_dictionary(path), cut=cut)
    english = book.names.index("英文")
    assert sum(book.code(a["paragraphs"], a["text"]).counts.get(english, 0) for a in seeds.values()) == 2 * mcn
