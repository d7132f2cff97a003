"""Measures against the worked numbers of association-measures.md (4 decimals)."""

import json
import math

import pytest

from zzcorpus.measures import MEASURES, association, check_choice, keyness, ranking_value


def approx4(x):
    return pytest.approx(x, abs=5e-5)


# Token window: N = 1,000,000, f_node = 1000, f_word = 500, O11 = 20.
@pytest.mark.parametrize(
    "span, e11, mi, mi3, t, z, ll",
    [
        # span 1: E11 = 1000*500/1e6 = 0.5; MI = log2(40); t = 19.5/sqrt(20); z = 19.5/sqrt(.5)
        (1, 0.5, 5.3219, 13.9658, 4.3603, 27.5772, 109.7099),
        # span 10: E11 = 1000*10*500/1e6 = 5; MI = log2(4) = 2; t = 15/sqrt(20); z = 15/sqrt(5)
        (10, 5.0, 2.0000, 10.6439, 3.3541, 6.7082, 25.9337),
    ],
)
def test_association_token_window_reference(span, e11, mi, mi3, t, z, ll):
    r = association(20, 1000, 500, 1_000_000, span=span)
    assert r["e11"] == approx4(e11)
    assert r["mi"] == approx4(mi)
    assert r["mi3"] == approx4(mi3)
    assert r["t"] == approx4(t)
    assert r["z"] == approx4(z)
    assert r["ll"] == approx4(ll)
    # Dice has no span factor: 2*20/1500 = 0.026667; logDice = 14 + log2(0.026667) = 8.7712
    assert r["dice"] == pytest.approx(0.026667, abs=5e-7)
    assert r["logdice"] == approx4(8.7712)
    assert "jaccard" not in r


def test_association_unit_window_reference():
    # 200 articles, node in 40, collocate in 30, both in 12: E11 = 40*30/200 = 6, MI = log2(2) = 1,
    # t = 6/sqrt(12), z = 6/sqrt(6), Dice = 24/70, Jaccard = 12/(70-12) = 12/58.
    r = association(12, 40, 30, 200, unit=True)
    assert r["e11"] == approx4(6.0)
    assert r["mi"] == approx4(1.0)
    assert r["mi3"] == approx4(math.log2(12**3 / 6))  # log2(288) = 8.1699
    assert r["t"] == approx4(1.7321)
    assert r["z"] == approx4(2.4495)
    assert r["ll"] == approx4(7.6671)
    assert r["dice"] == pytest.approx(0.342857, abs=5e-7)
    assert r["logdice"] == approx4(12.4557)
    assert r["jaccard"] == pytest.approx(0.206897, abs=5e-7)


@pytest.mark.parametrize("o11", [0, 2, 12])
@pytest.mark.parametrize("by", MEASURES)
def test_ranking_value_is_the_measure_association_gives(by, o11):
    # The unit example's marginals (node in 40 of 200 articles, collocate in 30): ranking by one
    # measure must rank by exactly the number the row then shows, bit for bit.
    row = association(o11, 40, 30, 200, unit=True)
    assert ranking_value(by, o11, 40, 30, 200, unit=True) == (o11 if by == "count" else row[by])
    if by != "jaccard":  # token window, span 10 (the first reference example)
        row = association(o11 * 10, 1000, 500, 1_000_000, span=10)
        assert ranking_value(by, o11 * 10, 1000, 500, 1_000_000, span=10) == (o11 * 10 if by == "count" else row[by])


def test_ll_is_signed_negative_below_expectation():
    # Same marginals as the unit example, O11 = 2 < E11 = 6.  Cells [2, 38, 28, 132], rows 40/160,
    # columns 30/170, expected [6, 34, 24, 136]:
    # G2 = 2*(2 ln(2/6) + 38 ln(38/34) + 28 ln(28/24) + 132 ln(132/136))
    #    = 2*(-2.1972 + 4.2266 + 4.3162 - 3.9406) = 4.8100
    r = association(2, 40, 30, 200, unit=True)
    assert r["ll"] == approx4(-4.8100)
    assert r["mi"] < 0 and r["z"] < 0


def test_o11_zero_gives_none_not_inf_and_is_json_safe():
    # O11 = 0: log2(0) and /sqrt(0) are undefined -> None.  z = -6/sqrt(6) = -2.4495;
    # G2 over [0, 40, 30, 130] (expected 6, 34, 24, 136): 2*(40 ln(40/34) + 30 ln(30/24)
    # + 130 ln(130/136)) = 14.6588, signed negative; Dice = Jaccard = 0.
    r = association(0, 40, 30, 200, unit=True)
    assert r["mi"] is None and r["mi3"] is None and r["t"] is None and r["logdice"] is None
    assert r["z"] == approx4(-2.4495)
    assert r["ll"] == approx4(-14.6588)
    assert r["dice"] == 0 and r["jaccard"] == 0
    json.dumps(r, allow_nan=False)  # raises on inf/nan


def test_negative_cells_are_clamped():
    # Tiny corpus, token window span 4: n = 5, f_node = 2 -> R1 = 8 > n, so
    # O22 = 5 - 8 - 1 + 1 = -3 and O12 = 7.  Clamped table [1, 7, 0, 0]: every word is in
    # the node windows, nothing to tell apart -> G2 = 2*(1 ln(1*8/(8*1)) + 7 ln(7*8/(8*7))) = 0.
    r = association(1, 2, 1, 5, span=4)
    assert r["e11"] == approx4(8 / 5)  # 2*4*1/5
    assert r["ll"] == 0
    assert r["mi"] == approx4(math.log2(1 / 1.6))  # -0.6781, as defined, unclamped
    # o11 > f_word (one token in two node windows, CQPweb): n = 10, f_node = 2, span 2, f_word = 1,
    # o11 = 2 -> O12 = 4-2 = 2, O21 = 1-2 = -1, O22 = 10-4-1+2 = 7.  Clamped [2, 2, 0, 7], total 11,
    # rows 4/7, columns 2/9, expected E11 = 8/11, E12 = 36/11, E22 = 63/11:
    # G2 = 2*(2 ln(2.75) + 2 ln(22/36) + 7 ln(77/63)) = 2*(2.0232 - 0.9850 + 1.4047) = 4.8859
    # (positive: E11 = 2*2*1/10 = 0.4 < 2)
    r = association(2, 2, 1, 10, span=2)
    assert r["ll"] == approx4(4.8859)
    json.dumps(r, allow_nan=False)


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((1, 0, 1, 10), {}, "must be > 0"),
        ((1, 1, 1, 0), {}, "must be > 0"),
        ((-1, 1, 1, 10), {}, "o11 must be >= 0"),
        ((1, 1, 1, 10), {"span": 0}, "span must be >= 1"),
        ((1, 1, 20, 10), {}, "cannot exceed n"),
        ((3, 2, 5, 10), {"unit": True}, "cannot exceed f_node"),  # 3 units hold both, node in 2
        ((1, 2, 5, 10), {"unit": True, "span": 2}, "span must be 1"),
        ((5, 2, 5, 10), {"span": 2}, "cannot exceed f_node \\* span"),  # at most 2*2 positions
    ],
)
def test_association_rejects_impossible_counts(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        association(*args, **kwargs)


def test_keyness_reference():
    # a = 100 in 1e6, b = 20 in 2e6: E1 = 1e6*120/3e6 = 40, E2 = 80; LR = log2(1e-4 / 1e-5) = log2(10);
    # %DIFF = (1e-4 - 1e-5) / 1e-5 * 100 = 900.  4-cell G2 127.8118 (the 2-term form would be 127.8064).
    r = keyness(100, 20, 1_000_000, 2_000_000)
    assert r["e1"] == approx4(40)
    assert r["e2"] == approx4(80)
    assert r["ll"] == approx4(127.8118)
    assert r["chi2"] == approx4(135.0054)
    assert r["log_ratio"] == approx4(3.3219)
    assert r["pct_diff"] == approx4(900)


def test_keyness_zero_in_reference():
    # a = 10, b = 0: LR = log2((10/1e6) / (0.5/2e6)) = log2(40) = 5.3219; G2 (4-cell) = 21.9723;
    # chi2 = N (a(d-b) - b(c-a))^2 / (c d (a+b) (N-a-b)) = 3e6 * (2e7)^2 / (1e6 * 2e6 * 10 * 2999990)
    #      = 20.0001; %DIFF undefined.
    r = keyness(10, 0, 1_000_000, 2_000_000)
    assert r["log_ratio"] == approx4(5.3219)
    assert r["ll"] == approx4(21.9723)
    assert r["chi2"] == approx4(20.000067)
    assert r["pct_diff"] is None
    json.dumps(r, allow_nan=False)


def test_keyness_negative_for_underuse_and_symmetric():
    # Swap target and reference of the worked example: a/c = 20/2e6 < 100/1e6 -> G2 negative,
    # same magnitude; LR = -log2(10); %DIFF = (1e-5 - 1e-4)/1e-4*100 = -90.
    r = keyness(20, 100, 2_000_000, 1_000_000)
    assert r["ll"] == approx4(-127.8118)
    assert r["chi2"] == approx4(135.0054)  # chi2 stays unsigned
    assert r["log_ratio"] == approx4(-3.3219)
    assert r["pct_diff"] == approx4(-90)


def test_keyness_zero_in_target_and_in_both():
    # a = 0, b = 20: LR = log2((0.5/1e6) / (20/2e6)) = log2(0.05) = -4.3219; %DIFF = -100.
    r = keyness(0, 20, 1_000_000, 2_000_000)
    assert r["log_ratio"] == approx4(-4.3219)
    assert r["pct_diff"] == approx4(-100)
    assert r["ll"] < 0
    # In neither corpus: nothing to compare; 0.5/0.5 would only give log2(d/c) = 1.
    r = keyness(0, 0, 1_000_000, 2_000_000)
    assert r["log_ratio"] is None and r["pct_diff"] is None
    assert r["ll"] == 0 and r["chi2"] == 0


@pytest.mark.parametrize("args", [(5, 1, 4, 10), (1, 1, 0, 10), (-1, 1, 10, 10)])
def test_keyness_rejects_impossible_counts(args):
    with pytest.raises(ValueError):
        keyness(*args)


def test_check_choice_lists_allowed_values():
    assert check_choice("mi3", MEASURES, name="measure") == "mi3"
    with pytest.raises(ValueError) as err:
        check_choice("foo", MEASURES, name="measure")
    assert str(err.value) == (
        "unknown measure 'foo': choose from count, mi, mi3, t, z, ll, dice, logdice, jaccard"
    )
