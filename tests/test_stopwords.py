"""The default stopword list covers traditional Chinese and English function words too."""

import json

from click.testing import CliRunner
from conftest import ingest

from zzcorpus.cli import cli
from zzcorpus.ingest import DEFAULT_STOPWORDS

TRAD = "這個項目對於我們的發展非常重要。我們已經進行了研究，因為這些工作還在進行。The project is part of the plan and it is on time."


def test_default_list_holds_traditional_and_english_function_words():
    words = set(DEFAULT_STOPWORDS.read_text(encoding="utf-8").split())
    assert {"这个", "這個", "我们", "我們", "因为", "因為", "因爲", "the", "and", "of", "is"} <= words


def test_freq_leaves_them_out_by_default_and_stopwords_file_replaces_the_list(tmp_path):
    path = tmp_path / "trad.txt"
    path.write_text(TRAD, encoding="utf-8")
    db_path = tmp_path / "s.db"
    assert ingest(path, db=db_path).exit_code == 0

    def words(*args):
        out = CliRunner().invoke(cli, ["freq", "--top", "1000", "--db", str(db_path), "--json", *args])
        assert out.exit_code == 0, out.output
        return {r["word"] for r in json.loads(out.stdout)}

    shown = words()
    # Traditional text is counted in its folded (simplified) words.
    assert not shown & {"这个", "我们", "因为", "the", "is", "and"} and {"项目", "project"} <= shown
    mine = tmp_path / "mine.txt"
    mine.write_text("項目\n", encoding="utf-8")
    replaced = words("--stopwords", str(mine))
    assert "项目" not in replaced and {"我们", "the"} <= replaced  # a traditional stopword stops its folded form
