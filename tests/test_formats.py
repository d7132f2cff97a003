"""Formats, each through its own library: page PDFs (layout read from character positions and
font sizes), web pages, Word and Excel files; and the files a folder walk passes over."""

import json

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from conftest import SEED_PAGES, ingest
from helpers_io import all_text, articles_of, documents, not_garbled, search_ids
from newspaper_pdf import Story, make_pdf

from zzcorpus.cli import cli
from zzcorpus.pages import clean_line, split_page
from zzcorpus.pdfpages import pdf_text

PAGE = SEED_PAGES[2].read_text(encoding="utf-8")
# whole paragraphs of a real page (one per line in seed 002), for the generated layouts
PARAS = [line for line in PAGE.split("\n") if len(line) > 60 and line.endswith("。")]
LEAD = Story(kicker="聚焦新能源产业", title="枣庄锂电产业链加速成型", subtitle="——全市新能源产业发展综述",
             byline="□记者 张环泽", paragraphs=PARAS[:6])
SIDE = Story(title="智光通信产业园投产", byline="□记者 孟令洋", paragraphs=PARAS[8:11], title_size=18)
CAPTION = "图为工人在锂电池生产线上作业。"


def body_of(paragraphs):
    return "\n".join(clean_line(p) for p in paragraphs)


def lead_story(**kw):
    return Story(**{**LEAD.__dict__, **kw})


def assert_lead(art, paragraphs=PARAS[:6]):
    assert (art["kicker"], art["title"], art["subtitle"]) == (LEAD.kicker, LEAD.title, LEAD.subtitle)
    assert art["byline"] == "□记者 张环泽" and art["kind"] == "news"
    assert art["body"] == body_of(paragraphs)


def test_two_column_pdf_page_gives_its_articles(tmp_path):
    path = tmp_path / "枣庄日报_2023-10-10_01.pdf"
    make_pdf(path, [(2, [lead_story(columns=(0, 1), caption=CAPTION + "（娄倩 摄）")])])
    db_path = tmp_path / "p.db"
    assert ingest(path, db=db_path).exit_code == 0
    doc = documents(db_path)[path.name]
    assert (doc["encoding"], doc["layout"], doc["date"], doc["page"]) == (None, "page", "2023-10-10", "1")
    lead, photo = articles_of(db_path, path.name)
    assert_lead(lead)
    assert photo["kind"] == "photo" and photo["body"] == CAPTION and photo["byline"] == "（娄倩 摄）"
    assert lead["id"] in search_ids(db_path, PARAS[5][10:30])  # a phrase from the second column
    assert not_garbled(all_text(db_path), "".join(PARAS) + LEAD.kicker + LEAD.title + LEAD.subtitle
                       + LEAD.byline + CAPTION + "（娄倩 摄）")


def test_four_column_pdf_page_reads_each_story_in_its_columns(tmp_path):
    path = tmp_path / "four.pdf"
    make_pdf(path, [(4, [lead_story(columns=(0, 1, 2)), Story(**{**SIDE.__dict__, "columns": (3,)})])])
    db_path = tmp_path / "p.db"
    assert ingest(path, db=db_path).exit_code == 0
    lead, side = articles_of(db_path, "four.pdf")
    assert_lead(lead)
    assert (side["title"], side["byline"], side["dateline"]) == (SIDE.title, "□记者 孟令洋", "本报枣庄讯")
    assert side["body"] == body_of(SIDE.paragraphs).removeprefix("本报枣庄讯 ")
    assert side["id"] in search_ids(db_path, PARAS[10][5:25])


def test_pdf_layout_beats_the_plain_text_dump(tmp_path):
    """pdfplumber's own extract_text reads rows straight across the columns; the layout reading
    gives the page's articles."""
    import pdfplumber

    path = tmp_path / "four.pdf"
    make_pdf(path, [(4, [lead_story(columns=(0, 1, 2)), Story(**{**SIDE.__dict__, "columns": (3,)})])])
    with pdfplumber.open(path) as pdf:
        dump = "\n".join(p.extract_text() for p in pdf.pages)
    from_dump = split_page(dump)
    assert SIDE.title not in {a["title"] for a in from_dump}  # its title is read across the lead's
    assert not any(clean_line(PARAS[0])[:30] in a["body"] for a in from_dump)  # columns interleaved
    lead, side = split_page(pdf_text(path.read_bytes()))
    assert (lead["title"], side["title"]) == (LEAD.title, SIDE.title)
    assert lead["body"] == body_of(PARAS[:6])


def test_a_pdf_without_text_or_not_a_pdf_is_skipped_named(tmp_path):
    from reportlab.pdfgen import canvas

    blank = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(blank))
    c.rect(50, 50, 300, 300, fill=1)
    c.showPage()
    c.save()
    (tmp_path / "fake.pdf").write_bytes(b"%PDF-1.4 nothing here")
    result = ingest(blank, tmp_path / "fake.pdf", db=tmp_path / "s.db")
    assert result.exit_code == 1
    lines = [x for x in result.stderr.splitlines() if x.startswith("skipped")]
    assert len(lines) == 2 and "scan.pdf" in lines[0] and "OCR" in lines[0] and "fake.pdf" in lines[1]


EPAPER = """<!DOCTYPE html><html><head><meta charset="{charset}"><title>枣庄锂电产业链加速成型 - 枣庄日报数字报</title>
<meta name="publishdate" content="2023-10-10"></head><body>
<div class="nav"><a href="/">首页</a> | <a href="node_1.htm">上一版</a> | <a href="node_3.htm">下一版</a> | 往期回顾</div>
<div class="ad">扫码下载枣庄日报客户端 关注公众号</div>
<div class="content"><h3>聚焦新能源产业</h3><h1>枣庄锂电产业链加速成型</h1><h2>——全市新能源产业发展综述</h2>
<div class="info">2023年10月10日 来源：枣庄日报 第01版</div>
{paragraphs}
</div>
<div class="footer">版权所有 枣庄日报社 鲁ICP备05012345号 联系电话：0632-3300000 技术支持：某某科技</div>
</body></html>"""


def epaper(charset="utf-8"):
    return EPAPER.format(charset=charset, paragraphs="\n".join(f"<p>　　{p}</p>" for p in PARAS[:4]))


@pytest.mark.parametrize("charset", ["utf-8", "gbk"])
def test_epaper_article_page_gives_text_title_subtitle_and_date(tmp_path, charset):
    path = tmp_path / "content_123.htm"
    path.write_bytes(epaper(charset).encode(charset))
    db_path = tmp_path / "h.db"
    assert ingest(path, db=db_path).exit_code == 0
    doc = documents(db_path)[path.name]
    assert doc["encoding"] == {"utf-8": "utf-8", "gbk": "gb18030"}[charset] and doc["date"] == "2023-10-10"
    (art,) = articles_of(db_path, path.name)
    assert (art["kicker"], art["title"], art["subtitle"]) == (LEAD.kicker, LEAD.title, LEAD.subtitle)
    assert art["body"] == body_of(PARAS[:4]) and art["date"] == "2023-10-10"
    stored = all_text(db_path)
    assert "<" not in stored and "版权所有" not in stored and "上一版" not in stored and "公众号" not in stored
    assert art["id"] in search_ids(db_path, PARAS[3][5:25])


def test_a_page_of_links_is_reported_and_a_page_of_articles_gives_them(tmp_path):
    links = "".join(f'<li><a href="content_{i}.htm">枣庄市重点项目集中开工第{i}篇报道标题</a></li>' for i in range(30))
    (tmp_path / "node_2.htm").write_text(f"<html><body><h1>第02版：要闻</h1><ul>{links}</ul></body></html>",
                                         encoding="utf-8")
    arts = "".join(f"<article><h1>{t}</h1><p>{p}</p><p>{q}</p></article>"
                   for t, p, q in (("锂电产业浓墨重彩", PARAS[0], PARAS[1]), ("项目建设加速度", PARAS[2], PARAS[3])))
    (tmp_path / "digest.html").write_text(f"<html><body><nav><a href='/'>首页</a></nav>{arts}</body></html>",
                                          encoding="utf-8")
    db_path = tmp_path / "l.db"
    result = ingest(tmp_path / "node_2.htm", tmp_path / "digest.html", db=db_path)
    assert result.exit_code == 1
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("skipped")]
    assert "node_2.htm" in line and "no article text" in line and "30 links" in line
    docs = documents(db_path)
    assert set(docs) == {"digest.html#1", "digest.html#2"}
    first, second = articles_of(db_path, "digest.html#1"), articles_of(db_path, "digest.html#2")
    assert first[0]["title"] == "锂电产业浓墨重彩" and first[0]["body"] == body_of(PARAS[:2])
    assert second[0]["title"] == "项目建设加速度" and second[0]["body"] == body_of(PARAS[2:4])


def test_docx_gives_its_title_and_paragraphs(tmp_path):
    document = docx.Document()
    document.add_heading("枣庄锂电产业链加速成型", level=1)
    for p in PARAS[:3]:
        document.add_paragraph(p)
    path = tmp_path / "稿件_2023-10-10.docx"
    document.save(path)
    db_path = tmp_path / "d.db"
    assert ingest(path, db=db_path).exit_code == 0
    doc = documents(db_path)[path.name]
    assert (doc["encoding"], doc["layout"], doc["date"]) == (None, "page", "2023-10-10")
    (art,) = articles_of(db_path, path.name)
    assert art["title"] == "枣庄锂电产业链加速成型" and art["body"] == body_of(PARAS[:3])
    assert art["id"] in search_ids(db_path, PARAS[2][3:20])


def test_xlsx_records_like_csv(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["title", "content", "date", "source"])
    sheet.append(["锂电产业浓墨重彩", PARAS[0], "2023/10/10", "枣庄日报"])
    sheet.append(["项目建设加速度", PARAS[1], "二〇二三年十月十一日", "枣庄日报"])
    path = tmp_path / "records.xlsx"
    book.save(path)
    db_path = tmp_path / "x.db"
    assert ingest(path, "--text-field", "content", db=db_path).exit_code == 0
    docs = documents(db_path)
    assert set(docs) == {"records.xlsx#2", "records.xlsx#3"}
    assert [docs[k]["date"] for k in sorted(docs)] == ["2023-10-10", "2023-10-11"]
    (art,) = articles_of(db_path, "records.xlsx#3")
    assert art["title"] == "项目建设加速度" and art["body"] == clean_line(PARAS[1])


def test_folder_reads_every_format_and_counts_what_it_passes_over(tmp_path):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    (src / "page.txt").write_text(PAGE, encoding="utf-8")
    (src / "sub" / "content_1.html").write_text(epaper(), encoding="utf-8")
    make_pdf(src / "sub" / "p1.pdf", [(2, [lead_story(columns=(0, 1))])])
    for name in ("a.png", "b.png", "c.png", "notes.xls", ".DS_Store"):
        (src / "sub" / name).write_bytes(b"\x89PNG\r\n")
    db_path = tmp_path / "f.db"
    result = CliRunner().invoke(cli, ["ingest", str(src), "--db", str(db_path), "--json"])
    assert result.exit_code == 0, result.stderr
    row = json.loads(result.stdout)[0]
    assert row["files"] == 3 and row["passed_over"] == "3 .png, 1 (no suffix), 1 .xls"
    assert set(documents(db_path)) == {"page.txt", "content_1.html", "p1.pdf"}
    plain = CliRunner().invoke(cli, ["ingest", str(src), "--db", str(db_path)])
    assert "passed over: 3 .png" in plain.stdout
