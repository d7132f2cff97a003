"""Co-occurrence networks: pair counts among a set of words, the graph (edges weighted by an
association measure), a reproducible layout, and export to GEXF 1.3 (Gephi), GraphML
(Gephi, Cytoscape, yEd), an edge CSV and an SVG picture (charts.save_picture writes it as SVG, PNG or HTML).

Pure functions over counts and token streams (selection.py reads them from the database);
the counts follow reports.unit_counts and reports.span_counts exactly, for every pair of
words at once.
"""

from __future__ import annotations

import csv
import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from xml.etree import ElementTree as ET

from .charts import COLORS, FONT_FAMILY, escape, quoteattr
from .measures import MEASURES, association, check_choice

GEXF_NS = "http://gexf.net/1.3"
VIZ_NS = "http://gexf.net/1.3/viz"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
EDGE_COLUMNS = ["source", "target", "weight", "o11", "e11", "mi", "mi3", "t", "z", "ll", "dice", "logdice"]


# --- counting -------------------------------------------------------------------------------

def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def unit_pair_counts(units, nodes) -> tuple[Counter, Counter, int]:
    """Pair counts for unit windows: units is one collection of words per unit (only words
    matter; the caller leaves out units that hold no word, as reports.unit_counts does).

    Returns (o11: Counter of (a, b) with a < b -> units holding both, f: Counter word -> units
    holding it, n: number of units): for any two nodes the numbers reports.unit_counts gives.
    """
    nodes = set(nodes)
    members = defaultdict(list)  # word -> indexes of the units holding it
    n = 0
    for n, unit in enumerate(units, 1):
        for word in nodes.intersection(unit):
            members[word].append(n - 1)
    bits = {}
    for word, idx in members.items():  # one bit per unit: o11 is the popcount of an AND
        buf = bytearray((n + 7) // 8)
        for i in idx:
            buf[i >> 3] |= 1 << (i & 7)
        bits[word] = int.from_bytes(buf, "little")
    words = sorted(bits)
    o11 = Counter()
    for i, a in enumerate(words):
        for b in words[i + 1:]:
            both = (bits[a] & bits[b]).bit_count()
            if both:
                o11[a, b] = both
    return o11, Counter({w: len(idx) for w, idx in members.items()}), n


def span_pair_counts(docs, nodes, window: int) -> Counter:
    """Pair counts for a token window of `window` words either side, per node occurrence as in
    reports.span_counts: o11[(a, b)] (a < b) = occurrences of b within `window` words of an a,
    which equals occurrences of a within `window` words of a b. docs: word lists (words only).
    """
    if not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be a whole number of words >= 1, got {window!r}")
    nodes = set(nodes)
    o11 = Counter()
    for doc in docs:
        hits = [(i, w) for i, w in enumerate(doc) if w in nodes]
        for k, (i, a) in enumerate(hits):
            for j, b in hits[k + 1:]:
                if j - i > window:
                    break
                if a != b:
                    o11[_pair(a, b)] += 1
    return o11


# --- the graph ------------------------------------------------------------------------------

@dataclass
class Graph:
    """nodes: word -> {"count": occurrences, "pos": tag}; edges: dicts with source, target,
    weight (the measure's value), o11 and every association measure."""

    measure: str
    nodes: dict[str, dict] = field(default_factory=dict)
    edges: list[dict] = field(default_factory=list)
    centers: tuple[str, ...] = ()  # the words the network was asked around, if any

    @property
    def edge_columns(self) -> list[str]:
        """source, target, weight, o11, e11 and every measure (jaccard for unit windows)."""
        return EDGE_COLUMNS + (["jaccard"] if any("jaccard" in e for e in self.edges) else [])


def build_graph(nodes: dict[str, dict], o11: dict, f: dict, n: int, *, measure: str = "logdice",
                span: int = 1, unit: bool = True, min_count: int = 2, min_value: float | None = None,
                max_edges: int | None = 200, centers=()) -> Graph:
    """Edges between nodes that co-occur at least min_count times and more than chance expects
    (o11 > e11), with measure >= min_value; the max_edges strongest are kept (None: all). With
    centers (the words a network was asked around), only edges touching a center are kept.
    Every node stays, with or without edges. f: the counts association() takes as f_node/f_word
    (units for unit windows, tokens for token windows), n: units or tokens."""
    check_choice(measure, MEASURES, name="measure")
    if measure == "jaccard" and not unit:
        raise ValueError("measure 'jaccard' needs a unit window (article, paragraph or sentence)")
    if min_count < 1:
        raise ValueError(f"--min-count must be >= 1, got {min_count}")
    if max_edges is not None and max_edges < 0:
        raise ValueError(f"--max-edges must be >= 0, got {max_edges}")
    edges = []
    for (a, b), count in o11.items():
        if a not in nodes or b not in nodes or count < min_count:
            continue
        if centers and a not in centers and b not in centers:
            continue
        m = association(count, f[a], f[b], n, span=span, unit=unit)
        weight = count if measure == "count" else m[measure]
        if count <= m["e11"] or weight is None or (min_value is not None and weight < min_value):
            continue
        edges.append({"source": a, "target": b, "weight": weight, "o11": count, **m})
    edges.sort(key=lambda e: (-e["weight"], -e["o11"], e["source"], e["target"]))
    return Graph(measure, dict(nodes), edges if max_edges is None else edges[:max_edges], tuple(centers))


# --- layout ---------------------------------------------------------------------------------

def layout(graph: Graph, *, iterations: int = 200, seed: int = 1, gravity: float = 2.0) -> dict[str, tuple[float, float]]:
    """Fruchterman-Reingold (1991) from a seeded random start: the same graph gives the same
    picture. Nodes repel (k^2 / d), edges pull (d^2 / k, stronger for stronger edges: weights
    scaled to 0.2..1), and gravity towards the centre (gravity * d) keeps words without edges and
    small groups near the main one instead of at the edges of the frame. Positions in 0..1."""
    names = sorted(graph.nodes)
    if len(names) < 2:
        return {v: (0.5, 0.5) for v in names}
    rng = random.Random(seed)
    pos = {v: [rng.random(), rng.random()] for v in names}
    k = math.sqrt(1.0 / len(names))
    weights = [e["weight"] for e in graph.edges]
    low, high = min(weights, default=0), max(weights, default=1)
    pull = [(e["source"], e["target"], 0.2 + 0.8 * ((e["weight"] - low) / (high - low) if high > low else 1))
            for e in graph.edges]
    for step in range(iterations):
        disp = {v: [0.0, 0.0] for v in names}
        for i, a in enumerate(names):
            pa, da = pos[a], disp[a]
            for b in names[i + 1:]:
                pb, db_ = pos[b], disp[b]
                dx, dy = pa[0] - pb[0], pa[1] - pb[1]
                f = k * k / (dx * dx + dy * dy or 1e-9)  # k^2 / d along the unit vector (dx, dy) / d
                da[0] += dx * f
                da[1] += dy * f
                db_[0] -= dx * f
                db_[1] -= dy * f
        for a, b, w in pull:
            dx, dy = pos[a][0] - pos[b][0], pos[a][1] - pos[b][1]
            f = w * math.hypot(dx, dy) / k  # d^2 / k along the unit vector
            disp[a][0] -= dx * f
            disp[a][1] -= dy * f
            disp[b][0] += dx * f
            disp[b][1] += dy * f
        temperature = 0.1 * (1 - step / iterations) + 0.001  # cooling: big moves first, then settle
        for v in names:
            dx = disp[v][0] - gravity * (pos[v][0] - 0.5)
            dy = disp[v][1] - gravity * (pos[v][1] - 0.5)
            d = math.hypot(dx, dy) or 1e-9
            move = min(d, temperature)
            pos[v][0] += dx / d * move
            pos[v][1] += dy / d * move
    xs, ys = [p[0] for p in pos.values()], [p[1] for p in pos.values()]
    sx, sy = (max(xs) - min(xs)) or 1, (max(ys) - min(ys)) or 1
    return {v: ((pos[v][0] - min(xs)) / sx, (pos[v][1] - min(ys)) / sy) for v in names}


# --- export ---------------------------------------------------------------------------------

def _number(value) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))


def write_gexf(graph: Graph, path, *, positions=None, description: str = "") -> None:
    """GEXF 1.3: node attributes count and pos, edge attributes o11 and the measure, edge weight
    = the measure; viz size and position so Gephi opens with the layout shown by --out."""
    ET.register_namespace("", GEXF_NS)
    ET.register_namespace("viz", VIZ_NS)
    ET.register_namespace("xsi", XSI_NS)
    g = lambda tag: f"{{{GEXF_NS}}}{tag}"  # noqa: E731
    root = ET.Element(g("gexf"), {"version": "1.3", f"{{{XSI_NS}}}schemaLocation": f"{GEXF_NS} {GEXF_NS}/gexf.xsd"})
    meta = ET.SubElement(root, g("meta"), {"lastmodifieddate": date.today().isoformat()})
    ET.SubElement(meta, g("creator")).text = "zzcorpus"
    ET.SubElement(meta, g("description")).text = description or f"co-occurrence network ({graph.measure})"
    graph_el = ET.SubElement(root, g("graph"), {"mode": "static", "defaultedgetype": "undirected"})
    node_attrs = ET.SubElement(graph_el, g("attributes"), {"class": "node", "mode": "static"})
    ET.SubElement(node_attrs, g("attribute"), {"id": "count", "title": "count", "type": "integer"})
    ET.SubElement(node_attrs, g("attribute"), {"id": "pos", "title": "pos", "type": "string"})
    edge_attrs = ET.SubElement(graph_el, g("attributes"), {"class": "edge", "mode": "static"})
    ET.SubElement(edge_attrs, g("attribute"), {"id": "o11", "title": "o11", "type": "integer"})
    ET.SubElement(edge_attrs, g("attribute"), {"id": graph.measure, "title": graph.measure,
                                               "type": "integer" if graph.measure == "count" else "double"})
    ids = {word: f"n{i}" for i, word in enumerate(graph.nodes)}
    sizes = _radii(graph)
    nodes_el = ET.SubElement(graph_el, g("nodes"))
    for word, attrs in graph.nodes.items():
        node = ET.SubElement(nodes_el, g("node"), {"id": ids[word], "label": word})
        values = ET.SubElement(node, g("attvalues"))
        ET.SubElement(values, g("attvalue"), {"for": "count", "value": str(attrs.get("count", 0))})
        ET.SubElement(values, g("attvalue"), {"for": "pos", "value": attrs.get("pos") or ""})
        ET.SubElement(node, f"{{{VIZ_NS}}}size", {"value": _number(sizes[word])})
        if positions:
            x, y = positions[word]
            ET.SubElement(node, f"{{{VIZ_NS}}}position",
                          {"x": _number(x * 1000 - 500), "y": _number(500 - y * 1000), "z": "0.0"})
    edges_el = ET.SubElement(graph_el, g("edges"))
    for i, e in enumerate(graph.edges):
        edge = ET.SubElement(edges_el, g("edge"), {
            "id": f"e{i}", "source": ids[e["source"]], "target": ids[e["target"]], "weight": _number(e["weight"])})
        values = ET.SubElement(edge, g("attvalues"))
        ET.SubElement(values, g("attvalue"), {"for": "o11", "value": str(e["o11"])})
        ET.SubElement(values, g("attvalue"), {"for": graph.measure, "value": _number(e["weight"])})
    _write_xml(root, path)


def write_graphml(graph: Graph, path, *, positions=None) -> None:
    """GraphML with declared keys: node label, count, pos (and x, y), edge weight, o11, measure."""
    ET.register_namespace("", GRAPHML_NS)
    ET.register_namespace("xsi", XSI_NS)
    g = lambda tag: f"{{{GRAPHML_NS}}}{tag}"  # noqa: E731
    root = ET.Element(g("graphml"), {
        f"{{{XSI_NS}}}schemaLocation": f"{GRAPHML_NS} {GRAPHML_NS}/1.0/graphml.xsd"})
    measure_type = "int" if graph.measure == "count" else "double"
    keys = [("label", "node", "string"), ("count", "node", "int"), ("pos", "node", "string"),
            ("x", "node", "double"), ("y", "node", "double"),
            ("weight", "edge", measure_type), ("o11", "edge", "int"), (graph.measure, "edge", measure_type)]
    if graph.measure in ("weight", "o11"):  # cannot happen with MEASURES, but keys must be unique
        raise ValueError(f"measure name {graph.measure!r} clashes with an edge key")
    key_ids = {}
    for i, (name, owner, kind) in enumerate(k for k in keys if positions or k[0] not in ("x", "y")):
        key_ids[owner, name] = f"d{i}"
        ET.SubElement(root, g("key"), {"id": f"d{i}", "for": owner, "attr.name": name, "attr.type": kind})
    graph_el = ET.SubElement(root, g("graph"), {"id": "G", "edgedefault": "undirected"})

    def data(parent, owner, name, value):
        ET.SubElement(parent, g("data"), {"key": key_ids[owner, name]}).text = value

    ids = {word: f"n{i}" for i, word in enumerate(graph.nodes)}
    for word, attrs in graph.nodes.items():
        node = ET.SubElement(graph_el, g("node"), {"id": ids[word]})
        data(node, "node", "label", word)
        data(node, "node", "count", str(attrs.get("count", 0)))
        data(node, "node", "pos", attrs.get("pos") or "")
        if positions:
            data(node, "node", "x", _number(positions[word][0] * 1000))
            data(node, "node", "y", _number(positions[word][1] * 1000))
    for i, e in enumerate(graph.edges):
        edge = ET.SubElement(graph_el, g("edge"), {"id": f"e{i}", "source": ids[e["source"]],
                                                   "target": ids[e["target"]]})
        data(edge, "edge", "weight", _number(e["weight"]))
        data(edge, "edge", "o11", str(e["o11"]))
        data(edge, "edge", graph.measure, _number(e["weight"]))
    _write_xml(root, path)


def _write_xml(root, path) -> None:
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def write_edges_csv(graph: Graph, path) -> None:
    """One edge a row: graph.edge_columns."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, graph.edge_columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(graph.edges)


# --- the picture ----------------------------------------------------------------------------

def _radii(graph: Graph) -> dict[str, float]:
    """Node radius in px, by the square root of frequency (area follows frequency)."""
    biggest = max([a.get("count", 0) for a in graph.nodes.values()] + [1])
    return {w: 5 + 22 * math.sqrt(a.get("count", 0) / biggest) for w, a in graph.nodes.items()}


def _linked(links, word: str, element: str) -> str:
    url = links(word) if links else None
    return f"<a href={quoteattr(url)}>{element}</a>" if url else element


def network_svg(graph: Graph, positions: dict, *, title: str = "", width: int = 1000, height: int = 800,
                links=None) -> str:
    """The network drawn: node area by frequency, edge width and darkness by the measure,
    Chinese labels in a CJK font stack (with a white halo so crossing edges do not hide them).
    links(word) -> a URL: each node and its label link there (the browser's concordance)."""
    margin, top = 60, 50 if title else 20
    radii = _radii(graph)
    xy = {w: (margin + x * (width - 2 * margin), top + margin / 2 + y * (height - top - 1.5 * margin))
          for w, (x, y) in positions.items()}
    weights = [e["weight"] for e in graph.edges]
    low, high = min(weights, default=0), max(weights, default=1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label={quoteattr(title or "network")} font-family={quoteattr(FONT_FAMILY)}>',
        f"<title>{escape(title or 'network')}</title>",
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
    ]
    if title:
        parts.append(f'<text x="{width / 2:.0f}" y="30" text-anchor="middle" font-size="18" '
                     f'font-weight="bold">{escape(title)}</text>')
    for e in sorted(graph.edges, key=lambda e: e["weight"]):  # strongest drawn last, on top
        share = (e["weight"] - low) / (high - low) if high > low else 1
        (x1, y1), (x2, y2) = xy[e["source"]], xy[e["target"]]
        tip = f'{e["source"]} – {e["target"]}: {graph.measure} {e["weight"]:.3g}, o11 {e["o11"]}'
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#667" '
                     f'stroke-opacity="{0.15 + 0.55 * share:.2f}" stroke-width="{0.6 + 3.4 * share:.2f}">'
                     f"<title>{escape(tip)}</title></line>")
    degree = Counter()
    for e in graph.edges:
        degree[e["source"]] += 1
        degree[e["target"]] += 1
    for word in sorted(graph.nodes, key=lambda w: radii[w]):
        x, y = xy[word]
        r = radii[word]
        color = COLORS[1] if word in graph.centers else COLORS[0] if degree[word] else "#bab0ac"
        count = graph.nodes[word].get("count", 0)
        parts.append(_linked(links, word, f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{color}" '
                             f'fill-opacity="0.85" stroke="#fff" stroke-width="1">'
                             f'<title>{escape(f"{word}: {count}")}</title></circle>'))
    for word in graph.nodes:  # labels after all circles, so none is hidden under a node
        x, y = xy[word]
        size = 12 + radii[word] / 3
        parts.append(_linked(links, word, f'<text x="{x:.1f}" y="{y + size / 3:.1f}" text-anchor="middle" '
                             f'font-size="{size:.1f}" fill="#111" stroke="#fff" stroke-width="3" stroke-opacity="0.8" '
                             f'paint-order="stroke">{escape(word)}</text>'))
    parts.append("</svg>")
    return "\n".join(parts)
