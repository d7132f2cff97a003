"""Association (collocation) and keyness measures: small pure functions over counts.

Formulas and worked numbers: /work/shared/reference/association-measures.md.
Contingency table for a node and a candidate collocate:

                 collocate   other    total
    node window    O11        O12      R1
    elsewhere      O21        O22      R2
    total          C1         C2       N

E_ij = R_i * C_j / N.  Unit windows (article/paragraph/sentence) count units:
R1 = f_node, C1 = f_word, N = units.  Token windows (CQPweb) count tokens:
R1 = f_node * span (span = 2 * words either side), C1 = f_word, N = corpus tokens.

Values that are undefined (log of 0, division by 0) are None, never inf/nan, so
every result is JSON-safe.
"""

from __future__ import annotations

import math

MEASURES = ("count", "mi", "mi3", "t", "z", "ll", "dice", "logdice", "jaccard")


def check_choice(value, allowed, *, name: str):
    """Return `value` if it is one of `allowed`, else ValueError listing them.

    >>> check_choice("foo", MEASURES, name="measure")
    Traceback (most recent call last):
    ValueError: unknown measure 'foo': choose from count, mi, mi3, t, z, ll, dice, logdice, jaccard
    """
    if value not in allowed:
        raise ValueError(f"unknown {name} {value!r}: choose from {', '.join(map(str, allowed))}")
    return value


def _g2(cells) -> float:
    """G2 = 2 * sum O * ln(O / E) over a 2x2 table [o11, o12, o21, o22].

    Expected values come from the table's own marginals; a cell with O = 0 adds 0
    (and a cell with O > 0 always has E > 0, since its row and column are non-empty).
    """
    o11, o12, o21, o22 = cells
    n = o11 + o12 + o21 + o22
    if n == 0:
        return 0.0
    r1, r2, c1, c2 = o11 + o12, o21 + o22, o11 + o21, o12 + o22
    total = 0.0
    for o, r, c in ((o11, r1, c1), (o12, r1, c2), (o21, r2, c1), (o22, r2, c2)):
        if o > 0:
            total += o * math.log(o * n / (r * c))
    # Rounding can leave a tiny negative sum for a table at independence.
    return max(0.0, 2.0 * total)


def _log2(x: float) -> float | None:
    return math.log2(x) if x > 0 else None


def association(o11, f_node, f_word, n, *, span: int = 1, unit: bool = False) -> dict:
    """Association measures for one node/collocate pair.

        e11     = f_node * span * f_word / n
        mi      = log2(o11 / e11)
        mi3     = log2(o11**3 / e11)
        t       = (o11 - e11) / sqrt(o11)
        z       = (o11 - e11) / sqrt(e11)
        ll      = G2 over [[o11, R1 - o11], [C1 - o11, n - R1 - C1 + o11]], R1 = f_node * span,
                  C1 = f_word; negative when o11 < e11
        dice    = 2 * o11 / (f_node + f_word)          (no span factor, Rychly 2008)
        logdice = 14 + log2(dice)
        jaccard = o11 / (f_node + f_word - o11)        (unit windows only)

    o11 = 0: mi, mi3, t and logdice are None (log 0, division by 0); z, ll, dice and
    jaccard are defined (ll is then negative: the pair is rarer than chance).

    Negative cells: on a tiny corpus a token window can imply R1 + C1 > n + o11
    (O22 < 0), and CQPweb's per-node-occurrence counting can give o11 > f_word
    (O21 < 0: one collocate token inside two node windows).  G2 then clamps each
    observed cell at 0 and takes expected values from the clamped table's own
    marginals, so it stays a finite G2 of a real table; when no cell is negative
    this is exactly the 4-cell G2 above.  The other measures use e11 as defined.

    unit=True: counts are numbers of units, so span must be 1 and o11 cannot exceed
    f_node or f_word; adds `jaccard`.
    """
    for label, value in (("o11", o11), ("f_node", f_node), ("f_word", f_word), ("n", n)):
        if value < 0:
            raise ValueError(f"{label} must be >= 0, got {value}")
    if n <= 0 or f_node <= 0 or f_word <= 0:
        raise ValueError(f"f_node, f_word and n must be > 0, got {f_node}, {f_word}, {n}")
    if span < 1:
        raise ValueError(f"span must be >= 1, got {span}")
    if f_node > n or f_word > n:
        raise ValueError(f"f_node ({f_node}) and f_word ({f_word}) cannot exceed n ({n})")
    if unit:
        if span != 1:
            raise ValueError("unit windows count units: span must be 1")
        if o11 > min(f_node, f_word):
            raise ValueError(f"o11 ({o11}) cannot exceed f_node ({f_node}) or f_word ({f_word}) in unit windows")
    elif o11 > f_node * span:
        raise ValueError(f"o11 ({o11}) cannot exceed f_node * span ({f_node * span})")

    r1 = f_node * span
    e11 = r1 * f_word / n
    cells = [o11, r1 - o11, f_word - o11, n - r1 - f_word + o11]
    ll = _g2([max(0, c) for c in cells])
    dice = _dice(o11, f_node, f_word)
    row = {
        "e11": e11,
        "mi": _log2(o11 / e11),
        "mi3": _log2(o11**3 / e11),
        "t": (o11 - e11) / math.sqrt(o11) if o11 > 0 else None,
        "z": (o11 - e11) / math.sqrt(e11),
        "ll": -ll if o11 < e11 else ll,
        "dice": dice,
        "logdice": _logdice(dice),
    }
    if unit:
        row["jaccard"] = _jaccard(o11, f_node, f_word)
    return row


def _dice(o11, f_node, f_word) -> float:
    return 2 * o11 / (f_node + f_word)


def _logdice(dice: float) -> float | None:
    return 14 + math.log2(dice) if dice > 0 else None


def _jaccard(o11, f_node, f_word) -> float:
    return o11 / (f_node + f_word - o11)


def ranking_value(by: str, o11, f_node, f_word, n, *, span: int = 1, unit: bool = False):
    """The measure `by` of association() (o11 for "count"), by the same arithmetic: ranking
    thousands of candidates needs only that one, and the cheap ones (count, dice, logdice,
    jaccard) skip the other measures."""
    if by == "count":
        return o11
    if by in ("dice", "logdice"):
        dice = _dice(o11, f_node, f_word)
        return dice if by == "dice" else _logdice(dice)
    if by == "jaccard" and unit:
        return _jaccard(o11, f_node, f_word)
    return association(o11, f_node, f_word, n, span=span, unit=unit)[by]


def keyness(a, b, c, d) -> dict:
    """Keyness of a word: count a in a target of c tokens against b in a reference of d tokens.

        e1        = c * (a + b) / (c + d),  e2 = d * (a + b) / (c + d)
        ll        = G2 over [[a, b], [c - a, d - b]]; negative when a/c < b/d
        log_ratio = log2((a / c) / (b / d)), 0.5 in place of a zero count (Hardie; CQPweb)
        chi2      = 4-cell Pearson chi-square, no continuity correction (unsigned)
        pct_diff  = ((a / c) - (b / d)) / (b / d) * 100; None when b = 0

    a = b = 0 (the word is in neither corpus): ll = chi2 = 0.0, log_ratio = None
    (with 0.5 for both it would only be log2(d / c), a fact about the sizes).
    """
    for label, value in (("a", a), ("b", b)):
        if value < 0:
            raise ValueError(f"{label} must be >= 0, got {value}")
    if c <= 0 or d <= 0:
        raise ValueError(f"corpus sizes must be > 0, got c={c}, d={d}")
    if a > c or b > d:
        raise ValueError(f"a count cannot exceed its corpus size: a={a}, c={c}, b={b}, d={d}")

    e1 = c * (a + b) / (c + d)
    e2 = d * (a + b) / (c + d)
    cells = [a, b, c - a, d - b]
    ll = _g2(cells)
    # Compare a/c with b/d by cross-multiplying: exact for integer counts.
    under = a * d < b * c

    # Cells a, b, c-a, d-b: columns are the corpora (sizes c, d), rows word / other words.
    total = c + d
    col_of = (c, d, c, d)
    row_of = (a + b, a + b, total - a - b, total - a - b)
    chi2 = 0.0
    for o, col, row in zip(cells, col_of, row_of):
        e = col * row / total
        if e > 0:  # e = 0 only in an empty row, where o = 0 too
            chi2 += (o - e) ** 2 / e

    if a == 0 and b == 0:
        log_ratio = None
    else:
        log_ratio = math.log2(((a or 0.5) / c) / ((b or 0.5) / d))
    pct_diff = ((a / c) - (b / d)) / (b / d) * 100 if b > 0 else None
    return {
        "ll": -ll if under else ll,
        "log_ratio": log_ratio,
        "chi2": chi2,
        "pct_diff": pct_diff,
        "e1": e1,
        "e2": e2,
    }
