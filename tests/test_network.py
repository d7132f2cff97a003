"""Network building blocks on small hand-made data: pair counts agree with reports.unit_counts /
span_counts, the graph keeps the right edges, the layout is reproducible, the exports parse."""

import csv
import itertools
from xml.etree import ElementTree as ET

import pytest

from zzcorpus import charts, reports
from zzcorpus import network as net
from zzcorpus.measures import association

UNITS = [
    ["锂电", "产业", "发展", "，", "锂电"],
    ["产业", "发展", "项目"],
    ["锂电", "项目", "2024"],
    ["发展"],
    ["锂电", "产业", "项目", "发展"],
    ["枣庄", "产业"],
]
DOCS = [
    ["锂电", "产业", "发展", "锂电", "项目", "产业", "锂电", "发展"],
    ["项目", "锂电", "锂电", "产业"],
    ["发展", "枣庄", "项目", "产业", "发展", "锂电"],
]
WORDS = ["锂电", "产业", "发展", "项目", "枣庄"]


def test_unit_pair_counts_agree_with_unit_counts():
    units = [{w for w in u if reports.is_word(w)} for u in UNITS]
    o11, f, n = net.unit_pair_counts(units, WORDS)
    for node in WORDS:
        ref_o11, ref_f_node, ref_f_word, ref_n = reports.unit_counts(UNITS, node)
        assert (f[node], n) == (ref_f_node, ref_n)
        for other in WORDS:
            if other != node:
                assert o11.get(tuple(sorted((node, other))), 0) == ref_o11[other]
                assert f[other] == ref_f_word[other]
    assert all(a < b for a, b in o11)


@pytest.mark.parametrize("window", [1, 2, 3])
def test_span_pair_counts_agree_with_span_counts(window):
    o11 = net.span_pair_counts(DOCS, WORDS, window)
    for node, other in itertools.permutations(WORDS, 2):
        ref = reports.span_counts(DOCS, node, window)[0]
        assert o11.get(tuple(sorted((node, other))), 0) == ref[other]
    with pytest.raises(ValueError, match="window"):
        net.span_pair_counts(DOCS, WORDS, 0)


def tiny_graph(**kwargs):
    units = [{w for w in u if reports.is_word(w)} for u in UNITS]
    o11, f, n = net.unit_pair_counts(units, WORDS)
    nodes = {w: {"count": f[w] * 2, "pos": "n"} for w in WORDS}
    return net.build_graph(nodes, o11, f, n, **{"min_count": 1, **kwargs}), o11, f, n


def test_build_graph_keeps_attracted_pairs_with_their_measures():
    graph, o11, f, n = tiny_graph(measure="mi")
    kept = set()
    for (a, b), count in o11.items():
        m = association(count, f[a], f[b], n, unit=True)
        if count > m["e11"]:
            kept.add((a, b))
    assert {(e["source"], e["target"]) for e in graph.edges} == kept
    for e in graph.edges:
        m = association(e["o11"], f[e["source"]], f[e["target"]], n, unit=True)
        assert e["weight"] == pytest.approx(m["mi"]) and e["jaccard"] == pytest.approx(m["jaccard"])
    assert [e["weight"] for e in graph.edges] == sorted((e["weight"] for e in graph.edges), reverse=True)
    assert set(graph.nodes) == set(WORDS)  # words without edges stay


def test_build_graph_thresholds_max_edges_and_centers():
    full, *_ = tiny_graph(measure="logdice")
    assert len(tiny_graph(measure="logdice", max_edges=2)[0].edges) == 2
    assert tiny_graph(measure="logdice", max_edges=2)[0].edges == full.edges[:2]
    assert all(e["o11"] >= 2 for e in tiny_graph(min_count=2)[0].edges)
    floor = full.edges[1]["weight"]
    assert tiny_graph(measure="logdice", min_value=floor)[0].edges == full.edges[:2]
    centred, *_ = tiny_graph(centers=["枣庄"])
    assert all("枣庄" in (e["source"], e["target"]) for e in centred.edges)
    with pytest.raises(ValueError, match="jaccard"):
        net.build_graph({}, {}, {}, 10, measure="jaccard", unit=False)
    with pytest.raises(ValueError, match="choose from"):
        net.build_graph({}, {}, {}, 10, measure="pmi")


def test_layout_is_deterministic_and_in_the_unit_square():
    graph, *_ = tiny_graph()
    first, again = net.layout(graph), net.layout(graph)
    assert first == again
    assert net.layout(graph, seed=2) != first
    assert set(first) == set(WORDS)
    assert all(0 <= x <= 1 and 0 <= y <= 1 for x, y in first.values())
    # Connected words end up closer than the average pair.
    d = lambda a, b: ((first[a][0] - first[b][0]) ** 2 + (first[a][1] - first[b][1]) ** 2) ** 0.5  # noqa: E731
    strongest = graph.edges[0]
    average = sum(d(a, b) for a, b in itertools.combinations(WORDS, 2)) / 10
    assert d(strongest["source"], strongest["target"]) < average


def test_exports_on_a_tiny_graph(tmp_path):
    graph, *_ = tiny_graph(measure="ll")
    positions = net.layout(graph)
    net.write_gexf(graph, tmp_path / "g.gexf", positions=positions)
    net.write_graphml(graph, tmp_path / "g.graphml", positions=positions)
    net.write_edges_csv(graph, tmp_path / "g.csv")

    g = "{http://gexf.net/1.3}"
    root = ET.parse(tmp_path / "g.gexf").getroot()
    assert root.tag == f"{g}gexf" and root.get("version") == "1.3"
    assert root.find(f"{g}graph").get("defaultedgetype") == "undirected"
    nodes = {n.get("id"): n for n in root.iter(f"{g}node")}
    assert sorted(n.get("label") for n in nodes.values()) == sorted(WORDS)
    counts = {n.get("label"): n.find(f"{g}attvalues/{g}attvalue[@for='count']").get("value") for n in nodes.values()}
    assert counts == {w: str(a["count"]) for w, a in graph.nodes.items()}
    edges = list(root.iter(f"{g}edge"))
    assert len(edges) == len(graph.edges)
    for xml_edge, e in zip(edges, graph.edges):
        assert nodes[xml_edge.get("source")].get("label") == e["source"]
        assert float(xml_edge.get("weight")) == pytest.approx(e["ll"])
        assert xml_edge.find(f"{g}attvalues/{g}attvalue[@for='o11']").get("value") == str(e["o11"])
    assert root.find(".//{http://gexf.net/1.3/viz}position") is not None

    m = "{http://graphml.graphdrawing.org/xmlns}"
    root = ET.parse(tmp_path / "g.graphml").getroot()
    keys = {k.get("id"): (k.get("for"), k.get("attr.name"), k.get("attr.type")) for k in root.findall(f"{m}key")}
    assert ("edge", "ll", "double") in keys.values() and ("node", "count", "int") in keys.values()
    assert {d.get("key") for d in root.iter(f"{m}data")} <= set(keys)
    labels = [d.text for d in root.iter(f"{m}data") if keys[d.get("key")][1] == "label"]
    assert sorted(labels) == sorted(WORDS)
    assert len(root.findall(f".//{m}edge")) == len(graph.edges)

    with open(tmp_path / "g.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[:4] == ["source", "target", "weight", "o11"] and "jaccard" in rows[0]
    assert [(r["source"], r["target"], int(r["o11"])) for r in rows] == [
        (e["source"], e["target"], e["o11"]) for e in graph.edges]


def test_pictures_svg_html_png(tmp_path):
    graph, *_ = tiny_graph()
    svg = net.network_svg(graph, net.layout(graph), title="锂电 网络")
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "锂电 网络" in texts and set(WORDS) <= set(texts)
    assert len(list(root.iter("{http://www.w3.org/2000/svg}circle"))) == len(WORDS)
    assert "Noto Sans CJK SC" in root.get("font-family")
    for name in ("n.svg", "n.html", "n.png"):
        charts.save_picture(svg, tmp_path / name, title="锂电 网络")
    assert (tmp_path / "n.svg").read_text(encoding="utf-8") == svg
    assert svg in (tmp_path / "n.html").read_text(encoding="utf-8")
    assert (tmp_path / "n.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="picture type"):
        charts.save_picture(svg, tmp_path / "n.gif", title="x")


def test_png_font_has_chinese():
    file, family = charts.cjk_font()
    assert family and open(file, "rb").read(4) in (b"OTTO", b"\x00\x01\x00\x00", b"ttcf")
