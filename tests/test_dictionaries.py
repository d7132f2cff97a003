"""dictionaries.py: each format read into codes and entries with their lines; malformed files
give one-line errors naming the file and the line."""

from pathlib import Path

import pytest

from zzcorpus.dictionaries import load_dictionary

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def entries(d):
    return {c.name: [e for e, _ in c.entries] for c in d.codes}


def test_yaml_nested_keys_become_dotted_codes(tmp_path):
    path = write(tmp_path, "d.yml", "经济:\n  投资:\n    - 投资\n    - 招商*\n  产业: [产业链, \"'亿元'\"]\n"
                                    "工业:\n  - 工业母机\n  - 2024\n民生: 群众\n")
    d = load_dictionary(path)
    assert d.format == "yaml"
    assert entries(d) == {"经济.投资": ["投资", "招商*"], "经济.产业": ["产业链", "'亿元'"],
                          "工业": ["工业母机", "2024"], "民生": ["群众"]}
    assert [(c.name, c.line) for c in d.codes] == [("经济.投资", 2), ("经济.产业", 5), ("工业", 6), ("民生", 9)]
    assert d.codes[0].entries == (("投资", 3), ("招商*", 4))


def test_liwc(tmp_path):
    path = write(tmp_path, "d.dic", "%\n1\t经济\n2\t工业\n%\n经济\t1\n工业*\t1\t2\n工业 母机\t2\n印度尼西亚 2\n")
    d = load_dictionary(path)
    assert d.format == "liwc"
    assert entries(d) == {"经济": ["经济", "工业*"], "工业": ["工业*", "工业 母机", "印度尼西亚"]}
    assert d.codes[1].entries[-1] == ("印度尼西亚", 8)


def test_wordstat(tmp_path):
    text = "经济\n\t投资\n\t\t投资 (1)\n\t\t招商* (1)\n\t产业\n\t\t产业链 (1)\n工业\n    工业母机 (1)\n    '机床' (2)\n"
    d = load_dictionary(write(tmp_path, "d.cat", text))
    assert d.format == "wordstat"
    assert entries(d) == {"经济.投资": ["投资", "招商*"], "经济.产业": ["产业链"], "工业": ["工业母机", "'机床'"]}
    assert d.codes[2].line == 7 and d.codes[2].entries[1] == ("'机床'", 9)


def test_khcoder_rules_and_gb18030(tmp_path):
    text = "# 注释\n*经济\n经济 or 投资\n  or '亿元'\n\n*工业\n工业母机 and not <*经济>\n"
    d = load_dictionary(write(tmp_path, "rules.txt", text, encoding="gb18030"))
    assert d.format == "khcoder"
    assert [(c.name, c.line, c.condition) for c in d.codes] == [
        ("经济", 2, (("经济 or 投资", 3), ("or '亿元'", 4))),
        ("工业", 6, (("工业母机 and not <*经济>", 7),)),
    ]


def test_seed_dictionaries_load():
    yml, rules = load_dictionary(SEEDS / "dictionary.yml"), load_dictionary(SEEDS / "coding_rules.txt")
    assert [c.name for c in yml.codes] == ["经济", "工业", "科技", "民生", "环境"]
    assert all(len(c.entries) >= 9 for c in yml.codes)
    assert [c.name for c in rules.codes][:5] == ["经济", "工业", "科技创新", "民生", "环境"]


@pytest.mark.parametrize("name, text, where, why", [
    ("bad.yml", "经济:\n  - 经济\n 工业: [\n", ":3:", "not valid YAML"),
    ("bad.yml", "经济:\n  - 经济\n工业:\n", ":3:", "no entries"),
    ("bad.yml", "经济:\n  - [经济, 投资]\n", ":2:", "plain text"),
    ("bad.yml", "经济:\n  - 经济\n经济:\n  - 投资\n", ":3:", "defined twice"),
    ("bad.yml", "- 经济\n", ":1:", "expected keys"),
    ("bad.dic", "%\n1\t经济\n%\n经济\t3\n", ":4:", "no category number 3"),
    ("bad.dic", "%\n1\t经济\n%\n经济\n", ":4:", "names no category"),
    ("bad.dic", "%\n1\t经济\n", ":1:", "between two '%' lines"),
    ("bad.dic", "%\n经济\n%\n", ":2:", "number<TAB>category"),
    ("bad.dic", "%\n1\t经济\n%\nlike\t(02 134)125/464\n", ":4:", "not supported"),
    ("bad.cat", "  投资 (1)\n经济\n", ":1:", "under no category"),
    ("bad.txt", "经济 or 投资\n*经济\n经济\n", ":1:", "before any '*code' line"),
    ("bad.txt", "*经济\n\n*工业\n工业\n", ":1:", "has no condition"),
    ("bad.txt", "*\n经济\n", ":1:", "needs a name"),
])
def test_malformed_dictionaries_name_file_and_line(tmp_path, name, text, where, why):
    path = write(tmp_path, name, text)
    with pytest.raises(ValueError) as e:
        load_dictionary(path)
    message = str(e.value)
    assert message.startswith(f"{path}{where}") and why in message and "\n" not in message


def test_unknown_suffix_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match=r"unknown dictionary type '\.json': choose from \.yml, \.yaml, \.dic"):
        load_dictionary(write(tmp_path, "d.json", "{}"))
    with pytest.raises(ValueError, match="no such file"):
        load_dictionary(tmp_path / "missing.yml")
    with pytest.raises(ValueError, match="no codes found"):
        load_dictionary(write(tmp_path, "empty.yml", "# nothing\n"))
