import xml.etree.ElementTree as ET

import pytest

from zzcorpus.charts import (
    bar_chart_svg,
    format_number,
    html_page,
    line_chart_svg,
    nice_ticks,
    text_px,
)

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(root) -> list[str]:
    return [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_bar_chart_has_one_bar_per_label_and_escapes_text():
    root = parse(bar_chart_svg(["新质生产力", "锂电", "a<&>b"], [12, 6, 3], title="高频词 <top>", value_label="次数"))
    bars = root.findall(".//svg:rect[@class='bar']", NS)
    assert len(bars) == 3
    widths = [float(b.get("width")) for b in bars]
    assert widths[0] == pytest.approx(2 * widths[1]) == pytest.approx(4 * widths[2])
    labels = texts(root)
    assert {"新质生产力", "锂电", "a<&>b", "高频词 <top>", "次数", "12", "6", "3"} <= set(labels)
    assert "CJK" in root.get("font-family")


def test_bar_chart_leaves_room_for_the_widest_label():
    root = parse(bar_chart_svg(["新质生产力", "x"], [1, 2]))
    bar_x = float(root.find(".//svg:rect[@class='bar']", NS).get("x"))
    assert text_px("新质生产力") == 10 * text_px("x")  # five CJK characters = ten columns
    assert bar_x >= text_px("新质生产力")


def test_bar_chart_empty_and_mismatched():
    root = parse(bar_chart_svg([], []))
    assert root.findall(".//svg:rect[@class='bar']", NS) == []
    assert "(no data)" in texts(root)
    with pytest.raises(ValueError):
        bar_chart_svg(["a"], [1, 2])


def test_line_chart_points_legend_and_thinned_labels():
    periods = [f"2024-{m:02d}" for m in range(1, 13)] + [f"2025-{m:02d}" for m in range(1, 13)]
    series = {"锂电": [float(i) for i in range(24)], "新能源&<储能>": [2.5] * 24}
    root = parse(line_chart_svg(periods, series, title="每百万词", y_label="per million"))
    assert len(root.findall(".//svg:path[@class='series']", NS)) == 2
    assert len(root.findall(".//svg:circle[@class='point']", NS)) == 48
    labels = texts(root)
    assert {"锂电", "新能源&<储能>", "每百万词", "per million", "2024-01"} <= set(labels)
    shown = [p for p in periods if p in labels]
    assert 2 <= len(shown) <= 12  # thinned, not all 24
    # the highest point sits above (smaller y) the lower series
    points = root.findall(".//svg:circle[@class='point']", NS)
    assert float(points[23].get("cy")) < float(points[24 + 23].get("cy"))


def test_line_chart_leaves_gaps_for_missing_values():
    root = parse(line_chart_svg(["2024-01", "2024-02", "2024-03", "2024-04"], {"锂电": [1, None, 3, 4]}))
    assert len(root.findall(".//svg:circle[@class='point']", NS)) == 3
    d = root.find(".//svg:path[@class='series']", NS).get("d").split()
    assert [step[0] for step in d] == ["M", "M", "L"]  # the line stops at the gap and starts again


def test_line_chart_rejects_wrong_lengths_and_draws_empty():
    with pytest.raises(ValueError):
        line_chart_svg(["2024"], {"a": [1, 2]})
    assert "(no data)" in texts(parse(line_chart_svg([], {})))


def test_html_page_wraps_svg_and_escapes_title():
    svg = bar_chart_svg(["锂电"], [1])
    page = html_page(svg, title="趋势 <&>")
    assert page.startswith("<!DOCTYPE html>")
    assert svg in page
    assert "<title>趋势 &lt;&amp;&gt;</title>" in page
    assert 'charset="utf-8"' in page


def test_numbers_and_ticks():
    assert [format_number(v) for v in (1234, 12.345, 5.5, 0.000123)] == ["1,234", "12.35", "5.5", "0.000123"]
    assert nice_ticks(13) == [0, 5, 10, 15]
    assert nice_ticks(0.7) == [0, 0.2, 0.4, 0.6, 0.8]
    assert nice_ticks(0) == [0, 1]
