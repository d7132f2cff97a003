from pathlib import Path

import pytest
from click.testing import CliRunner

from zzcorpus.cli import cli

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SEED_PAGES = sorted(SEEDS.glob("[0-9][0-9][0-9]_*.txt"))


def ingest(*args, db):
    """Run `zzcorpus ingest` through click; return the result."""
    return CliRunner().invoke(cli, ["ingest", *map(str, args), "--db", str(db)])


@pytest.fixture(scope="session")
def seed_db(tmp_path_factory):
    """corpus.db of the five seed pages, built once per test session (read-only for tests)."""
    path = tmp_path_factory.mktemp("seed") / "corpus.db"
    result = ingest(SEEDS, db=path)
    assert result.exit_code == 0, result.output + result.stderr
    return path


@pytest.fixture
def seed_copy(seed_db, tmp_path):
    """The path of a writable copy of the seed database."""
    path = tmp_path / "corpus.db"
    path.write_bytes(seed_db.read_bytes())
    return path
