"""crosstab.py: chi-square, p and adjusted standardized residuals, by hand and against scipy."""

import math
import random

import pytest
from scipy import stats
from scipy.stats.contingency import expected_freq

from zzcorpus import crosstab


def test_two_by_two_by_hand():
    # N = 100, rows 30 / 70, columns 40 / 60: E = 12, 18, 28, 42, every |O - E| = 2.
    table = [[10, 20], [30, 40]]
    assert crosstab.expected(table) == [[12, 18], [28, 42]]
    test = crosstab.chi_square(table)
    assert test["chi2"] == pytest.approx(4 * (1 / 12 + 1 / 18 + 1 / 28 + 1 / 42))  # = 50/63
    assert test["chi2"] == pytest.approx(50 / 63)
    assert test["dof"] == 1
    assert test["p"] == pytest.approx(math.erfc(math.sqrt(50 / 63 / 2)))  # chi2 with 1 dof: erfc(sqrt(x/2))
    residuals = crosstab.adjusted_residuals(table)
    # (10 - 12) / sqrt(12 * (1 - 0.3) * (1 - 0.4)); in a 2 x 2 table r^2 = chi2.
    assert residuals[0][0] == pytest.approx(-2 / math.sqrt(12 * 0.7 * 0.6))
    assert residuals[0][0] ** 2 == pytest.approx(50 / 63)
    assert residuals[1][1] == pytest.approx(residuals[0][0])
    assert residuals[0][1] == pytest.approx(-residuals[0][0])


def test_p_two_degrees_of_freedom_is_exp():
    # The chi-square upper tail with 2 dof is exp(-x / 2).
    for x in (0.0, 0.5, 3.0, 10.0, 60.0):
        assert crosstab.chi2_sf(x, 2) == pytest.approx(math.exp(-x / 2), rel=1e-12)


def test_chi2_sf_against_scipy():
    rng = random.Random(7)
    for _ in range(500):
        dof, x = rng.randint(1, 60), rng.uniform(0, 150) * rng.random()
        assert crosstab.chi2_sf(x, dof) == pytest.approx(stats.chi2.sf(x, dof), rel=1e-9, abs=1e-300)


def test_tables_against_scipy():
    rng = random.Random(3)
    for _ in range(200):
        rows, cols = rng.randint(2, 4), rng.randint(2, 6)
        table = [[rng.randint(1, 60) for _ in range(cols)] for _ in range(rows)]
        chi2, p, dof, exp = stats.chi2_contingency(table, correction=False)
        test = crosstab.chi_square(table)
        assert test["chi2"] == pytest.approx(chi2, rel=1e-12)
        assert test["p"] == pytest.approx(p, rel=1e-9, abs=1e-300)
        assert test["dof"] == dof
        flat = [e for row in crosstab.expected(table) for e in row]
        assert flat == pytest.approx(expected_freq(table).ravel().tolist(), rel=1e-12)
        n = sum(map(sum, table))
        row_t, col_t = [sum(r) for r in table], [sum(c) for c in zip(*table)]
        for i in range(rows):
            for j in range(cols):  # Haberman's residual from scipy's expected counts
                want = (table[i][j] - exp[i][j]) / math.sqrt(exp[i][j] * (1 - row_t[i] / n) * (1 - col_t[j] / n))
                assert crosstab.adjusted_residuals(table)[i][j] == pytest.approx(want, rel=1e-12)


def test_yates_correction_matches_scipy_default():
    for table in ([[3, 9], [7, 4]], [[12, 5], [9, 14]], [[5, 5], [5, 5]]):
        chi2, p, _, _ = stats.chi2_contingency(table)  # scipy corrects 1-dof tables by default
        test = crosstab.chi_square(table, correction=True)
        assert test["chi2"] == pytest.approx(chi2, abs=1e-12)
        assert test["p"] == pytest.approx(p, rel=1e-9)


def test_presence_test_and_degenerate_tables():
    # A code in 5 of 20, 15 of 30 and 2 of 50 articles of three groups.
    test = crosstab.presence_test([5, 15, 2], [20, 30, 50])
    chi2, p, dof, _ = stats.chi2_contingency([[5, 15, 2], [15, 15, 48]], correction=False)
    assert (test["chi2"], test["p"], test["dof"]) == (pytest.approx(chi2), pytest.approx(p), 2)
    assert test["residuals"] == pytest.approx(crosstab.adjusted_residuals([[5, 15, 2], [15, 15, 48]])[0])
    assert test["residuals"][1] > 1.96 > -1.96 > test["residuals"][2]
    # A code in no article (or in all): an empty row, no test, no residuals.
    for present in ([0, 0], [4, 6]):
        empty = crosstab.presence_test(present, [4, 6])
        assert empty["chi2"] is None and empty["p"] is None and empty["residuals"] == [None, None]
    assert crosstab.presence_test([3], [10])["chi2"] is None  # one group: nothing to compare
    with pytest.raises(ValueError, match="more articles with the code"):
        crosstab.presence_test([5, 1], [4, 6])
    with pytest.raises(ValueError, match="at least 2 rows"):
        crosstab.chi_square([[1, 2]])
    with pytest.raises(ValueError, match=">= 0"):
        crosstab.chi_square([[1, -2], [3, 4]])
