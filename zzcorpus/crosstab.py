"""Pearson's chi-square test of a contingency table and adjusted standardized residuals, as
KH Coder's crosstab of codes shows them (a code's articles with and without it, by group).

Pure arithmetic on lists of counts: no database, no segmenter, no numpy. The p value is the
upper tail of the chi-square distribution, the regularized upper incomplete gamma function
Q(dof/2, chi2/2), computed here (series below a + 1, continued fraction above).
"""

from __future__ import annotations

import math

EPS = 1e-15
MAX_ITERATIONS = 10_000


def _gamma_q(a: float, x: float) -> float:
    """Q(a, x) = Gamma(a, x) / Gamma(a): the series for P converges fast for x < a + 1, the
    continued fraction (modified Lentz) for Q fast for x >= a + 1."""
    if x <= 0:
        return 1.0
    log_prefix = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        n = a
        for _ in range(MAX_ITERATIONS):
            n += 1
            term *= x / n
            total += term
            if abs(term) < abs(total) * EPS:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, MAX_ITERATIONS):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < EPS:
            break
    return math.exp(log_prefix) * h


def chi2_sf(chi2: float, dof: int) -> float:
    """P(X >= chi2) for X ~ chi-square with dof degrees of freedom."""
    if dof < 1:
        raise ValueError(f"degrees of freedom must be >= 1, got {dof}")
    return _gamma_q(dof / 2, chi2 / 2)


def _check(table) -> list[list[int]]:
    rows = [list(r) for r in table]
    if len(rows) < 2 or any(len(r) != len(rows[0]) for r in rows) or len(rows[0]) < 2:
        raise ValueError("a contingency table needs at least 2 rows and 2 columns of equal length")
    if any(v < 0 for r in rows for v in r):
        raise ValueError("counts must be >= 0")
    return rows


def expected(table) -> list[list[float]]:
    """E_ij = row_i * col_j / N."""
    rows = _check(table)
    n = sum(map(sum, rows))
    cols = [sum(c) for c in zip(*rows)]
    return [[sum(r) * c / n if n else 0.0 for c in cols] for r in rows]


def chi_square(table, *, correction: bool = False) -> dict:
    """Pearson's chi2 of an r x c table, its degrees of freedom and p. None for chi2 and p when
    a row or column is all zeros (an expected count of 0: the test says nothing). correction:
    Yates' continuity correction for 1 degree of freedom (each |O - E| less 0.5, not below 0),
    as scipy.stats.chi2_contingency does by default; off by default, as KH Coder's table."""
    rows = _check(table)
    dof = (len(rows) - 1) * (len(rows[0]) - 1)
    exp = expected(rows)
    if any(e == 0 for r in exp for e in r):
        return {"chi2": None, "dof": dof, "p": None}
    chi2 = 0.0
    for obs_row, exp_row in zip(rows, exp):
        for o, e in zip(obs_row, exp_row):
            diff = abs(o - e)
            if correction and dof == 1:
                diff = max(0.0, diff - 0.5)
            chi2 += diff * diff / e
    return {"chi2": chi2, "dof": dof, "p": chi2_sf(chi2, dof)}


def adjusted_residuals(table) -> list[list[float | None]]:
    """(O - E) / sqrt(E * (1 - row/N) * (1 - col/N)) for each cell (Haberman): about N(0, 1) when
    rows and columns are independent, so |r| > 1.96 marks a cell off at the 5% level. None where
    the denominator is 0 (an empty row or column, or one holding all of N)."""
    rows = _check(table)
    n = sum(map(sum, rows))
    cols = [sum(c) for c in zip(*rows)]
    out = []
    for r in rows:
        total = sum(r)
        line = []
        for o, c in zip(r, cols):
            e = total * c / n if n else 0.0
            var = e * (1 - total / n) * (1 - c / n) if n else 0.0
            line.append((o - e) / math.sqrt(var) if var > 0 else None)
        out.append(line)
    return out


def presence_test(present: list[int], totals: list[int]) -> dict:
    """A code across groups: present[j] of totals[j] articles in group j hold it. The 2 x groups
    table (with / without the code), its chi2, dof and p, and the adjusted residual of each
    group's 'with' cell."""
    if len(present) != len(totals):
        raise ValueError(f"{len(present)} counts for {len(totals)} groups")
    if any(p > t for p, t in zip(present, totals)):
        raise ValueError("a group cannot hold more articles with the code than articles")
    if len(totals) < 2:
        return {"chi2": None, "dof": 0, "p": None, "residuals": [None] * len(totals)}
    table = [list(present), [t - p for p, t in zip(present, totals)]]
    test = chi_square(table)
    return {**test, "residuals": adjusted_residuals(table)[0]}
