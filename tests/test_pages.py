"""zzcorpus.pages: reflow and article splitting of raw page dumps."""

import re
import time
from pathlib import Path

import pytest

from zzcorpus.pages import (
    KINDS,
    clean_article,
    clean_line,
    page_text,
    reflow,
    split_page,
)

SEEDS = Path(__file__).parent.parent / "seeds"
SEED_PAGES = sorted(SEEDS.glob("[0-9][0-9][0-9]_*.txt"))
KEYS = {"title", "subtitle", "kicker", "byline", "bylines", "dateline", "body", "kind", "date_in_text", "order"}
CJK_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef“”‘’]")

# Every headline of the five seed pages, written out from the pages as a reader sees them:
# a headline printed in two parts keeps one space between them, a title merely wrapped onto
# a second line is one string; kickers (引题) and subtitles are not listed.  Characters are
# those of the dump (峰城 is the extractor's reading of 峄城).
SEED_HEADLINES = {
    "000": [
        "彰显“护航高质量发展”人大担当",
        "搭建连心桥梁 共筑幸福家园",
        "宣传进社区 服务“零”距离",
        "聚焦群众急难愁盼 交出人民满意答卷",
        "代表委员进校园 心系教育促发展",
        "枣庄传媒集团MCN（新媒体传播矩阵）发布会暨签约仪式举行",
        "市慈善总会2024年艺术品义卖活动圆满举行",
        "厚积成势 行稳致远",
    ],
    "001": [
        "市委党校举行2024年春季学期开学典礼",  # subtitle 张宏伟出席并作专题报告
        "我市加快发展新质生产力培育新兴产业",
        "山亭“项目管家”为重点项目服务到家",  # kicker 提前介入 主动对接 超前服务
        "创新产品 赢得市场",
        "市慈善总会设立“枣慈留香·孤困和留守儿童关爱帮扶基金”",
        "习近平致电祝贺普京当选连任俄罗斯总统",
        "3月20日，枣庄市政府副市长、市公安局局长朱清彬走进《市长上线》节目直播间接听热线",  # kicker 节目预告
    ],
    "002": [
        "枣庄50个重点项目集中开工",  # kicker 争取将秋季项目施工黄金季拼成丰收季
        "薛城经济开发区 党建引领产业发展",
        "底阁镇创新思路 打造营商品牌",
        "枣庄打造光通信全产业链条",
        "台儿庄为古树名木 撑起保护伞",
        "峰城区完善 林长制管理体系",
        "智慧网格促进 基层治理精细化",
        "坛山街道线上线下齐发力优化营商环境",
        "山亭区明确主攻方向寻求产业突破",  # kicker 瞄准新能源、新材料、新业态、新模式精准发力
    ],
    "003": [
        "共同规划绘制锂电新图景",  # kicker 枣庄各区(市)政府工作报告“锂电产业”浓墨重彩
        "山亭区两会获碳中和认证",
        "常庄街道敲响安全生产警钟",
        "坛山街道推动政务公开走深走实",
        "“两个百名评”促干部作风能力提升",  # kicker 不仅评科长 也要评局长
        "枣庄持续打造更优营商环境",
        "集体经济发展挂钩村干部奖励报酬",  # kicker 枣庄促进村级集体经济发展壮大
    ],
    "004": [
        "市领导来我区开展“四大支撑”现场办公",
        "枣庄军分区首长来我区调研检查基层武装建设",
        "区领导督导全国文明城市创建工作",
        "区政协领导到光明路街道调研经济社会发展等工作",
        "我区2022年度三项省级重点水利工程全面开工建设",
        "全区产业链发展座谈会召开",
        "“融e通”让社会“治理”变“智理”",  # subtitle ——我区创新打造…
    ],
}


def seed(prefix: str) -> str:
    return next(p for p in SEED_PAGES if p.name.startswith(prefix)).read_text(encoding="utf-8")


def in_order(needle: str, haystack: str) -> bool:
    """Are needle's characters in haystack, in the same order (a subsequence)?"""
    rest = iter(haystack)
    return all(c in rest for c in needle)


def paragraphs(article: dict) -> list[str]:
    return article["body"].split("\n")


def only(articles: list[dict], **fields) -> dict:
    """The one article whose fields have these values."""
    found = [a for a in articles if all(a[k] == v for k, v in fields.items())]
    assert len(found) == 1, (fields, [a["title"] for a in articles])
    return found[0]


# --- clean_line: justification spaces ---


@pytest.mark.parametrize(("raw", "clean"), [
    ("代 表 “ 家 站 点 ” 成 为", "代表“家站点”成为"),  # letter-spaced CJK and CJK punctuation
    ("节 目 预 告", "节目预告"),
    ("北辛 街 道 人 大 工 作 室", "北辛街道人大工作室"),  # a spaced run joins the word before it
    ("组织召开人大常委会会议 7 次、主任会议 9 次", "组织召开人大常委会会议7次、主任会议9次"),  # CJK / digit
    ("2024 年第一次会议", "2024年第一次会议"),
    ("联系接待群众 1.3 万人", "联系接待群众1.3万人"),
    ("三维 CAD 手段", "三维CAD手段"),  # CJK / Latin
    ("Hello World", "Hello World"),  # Latin / Latin kept
    ("热线电话：0632-3311161 3312400", "热线电话：0632-3311161 3312400"),  # digits / digits kept
    ("政策宣传。 （娄倩 摄）", "政策宣传。（娄倩 摄）"),  # beside CJK punctuation
    ("3 个代表联络站 （君瑞城、大同社区） 为支撑", "3个代表联络站（君瑞城、大同社区）为支撑"),
    ("□ 本报记者 孟令洋", "□本报记者 孟令洋"),  # the gap between words stays
    ("代表委员进校园 心系教育促发展", "代表委员进校园 心系教育促发展"),
    ("“技改荟 数智行”走进企业", "“技改荟 数智行”走进企业"),
    ("  \u3000\u3000本报讯\t近日 ", "本报讯 近日"),  # odd spaces are spaces, and stripped
])
def test_clean_line(raw, clean):
    assert clean_line(raw) == clean


# --- reflow ---

COLUMN_TEXT = """\
滕州市人大常委会牢固树立围绕
中心服务大局这一鲜明导向，始终坚
持市委工作重心在哪里，人大工作就
跟进到哪里。组织召开人大常委
会会议 7 次、主任会议 9 次，圆满完成
了既定的各项议程。聚力重点项目落
地见效，9 名人大同志担任全市重大工

程指挥部指挥长或副指挥长、重大项
目专班组长、“一企一策”帮促专员，
支持他们到鲁南化工等重点项目一线。

滕州市人大常委会坚持以人民为中
心的价值追求，持续加大监督力度。
"""


def test_reflow_joins_column_wrapped_lines():
    assert reflow(COLUMN_TEXT) == [
        ("滕州市人大常委会牢固树立围绕中心服务大局这一鲜明导向，始终坚持市委工作重心在哪里，人大工作就"
         "跟进到哪里。组织召开人大常委会会议7次、主任会议9次，圆满完成了既定的各项议程。聚力重点项目落"
         "地见效，9名人大同志担任全市重大工程指挥部指挥长或副指挥长、重大项目专班组长、“一企一策”帮促"
         "专员，支持他们到鲁南化工等重点项目一线。"),
        "滕州市人大常委会坚持以人民为中心的价值追求，持续加大监督力度。",
    ]


def test_reflow_blank_line_in_the_middle_of_a_word():
    (first, _) = reflow(COLUMN_TEXT)
    assert "全市重大工程指挥部" in first


def test_reflow_paragraph_per_line_cut_by_a_column_jump():
    text = (
        "锂电池新能源是枣庄首位发展的产业。去年以来,欣旺达先后在枣庄布局动力、储能电池等5个项目,总投资\n\n"
        "756亿元。\n\n"
        "产业园三期项目主产智能光网络用特种光缆及光芯棒,可以拉长光通信产业链条,为高铁、电\n\n"
        "力等领域提供光通信产品、技术和服务。\n\n"
        "国内动力电池精密结构件领军企业科达利立即决定跟投20亿元项目。\n"
    )
    assert reflow(text) == [
        "锂电池新能源是枣庄首位发展的产业。去年以来,欣旺达先后在枣庄布局动力、储能电池等5个项目,总投资756亿元。",
        "产业园三期项目主产智能光网络用特种光缆及光芯棒,可以拉长光通信产业链条,为高铁、电力等领域提供光通信产品、技术和服务。",
        "国内动力电池精密结构件领军企业科达利立即决定跟投20亿元项目。",
    ]


def test_reflow_never_crosses_a_hard_break():
    # two or more blank lines: the extractor jumped to another box
    text = "该村干部获发集体经济发\n\n\n\n为进一步提高辖区群众反诈意识，沙沟镇开展反诈宣传。\n"
    assert reflow(text) == ["该村干部获发集体经济发", "为进一步提高辖区群众反诈意识，沙沟镇开展反诈宣传。"]


def test_reflow_keeps_headings_and_joins_letter_spaced_lines():
    text = "节 目 预 告\n\n在增进民生福祉上用心用情\n\n代表“家站\n点 ” 成 为 街 道 党 工 委 与 辖 区 居 民 的\n“连心桥”。\n"
    assert reflow(text) == ["节目预告", "在增进民生福祉上用心用情", "代表“家站点”成为街道党工委与辖区居民的“连心桥”。"]


def test_reflow_rejoins_english_words_with_a_space():
    text = "The quick brown fox jumps over\nthe lazy dog, and then it runs\naway into the woods."
    assert reflow(text) == ["The quick brown fox jumps over the lazy dog, and then it runs away into the woods."]


# --- headlines and their place ---

HEAD_FIRST = """\
枣庄打造光通信全产业链条

□记者 孟令洋

通讯员 赵健健 报道

本报枣庄讯 连日来,在东方光源集团智光通信产业园三期项目建设现场,工人们正忙着安装各种生产设备。

智光通信产业园项目总投资30亿元,分三期建设。

台儿庄为古树名木 撑起保护伞

□记者 张环泽 报道

本报枣庄讯 今年以来,枣庄市台儿庄区多措并举做深做实“林长制”工作。
"""


def test_headline_before_body():
    first, second = split_page(HEAD_FIRST)
    assert first["title"] == "枣庄打造光通信全产业链条"
    assert first["byline"] == "□记者 孟令洋 通讯员 赵健健 报道"
    assert first["bylines"] == ["孟令洋", "赵健健"]
    assert first["dateline"] == "本报枣庄讯"
    assert paragraphs(first) == ["连日来,在东方光源集团智光通信产业园三期项目建设现场,工人们正忙着安装各种生产设备。",
                                 "智光通信产业园项目总投资30亿元,分三期建设。"]
    assert first["order"] == ["title", "byline", "dateline", "body"]
    assert first["kind"] == "news"
    assert second["title"] == "台儿庄为古树名木 撑起保护伞"
    assert second["bylines"] == ["张环泽"]


def test_a_reporter_named_in_two_byline_lines_is_listed_once():
    first, = split_page("枣庄打造光通信全产业链条\n□记者 孟令洋 通讯员 赵健健 报道\n□记者 孟令洋 报道\n"
                        "本报枣庄讯 连日来,在东方光源集团智光通信产业园三期项目建设现场,工人们正忙着安装各种生产设备。\n"
                        "智光通信产业园项目总投资30亿元,分三期建设。\n")
    assert first["byline"] == "□记者 孟令洋 通讯员 赵健健 报道 □记者 孟令洋 报道"  # printed as it was
    assert first["bylines"] == ["孟令洋", "赵健健"]


TAIL = """\
本报讯 3 月 18 日，市委党校举行
2024 年春季学期开学典礼。市委书记、
市委党校校长张宏伟出席开学典礼并作
辅导报告。

张宏伟指出，培育新质生产力是推动
高质量发展的内在要求，必须深入学习领
会、凝聚思想共识。

（记者 崔累果）

市委党校举行2024年春季学期开学典礼

薛城讯 近日，薛城区舜耕中学邀请属地部分“两代表一委
员”来校视察指导。 （于宝明 张安娜）

代表委员进校园 心系教育促发展
"""


def test_headline_after_body_with_closing_byline():
    first, second = split_page(TAIL, year=2024)
    assert first["title"] == "市委党校举行2024年春季学期开学典礼"
    assert first["dateline"] == "本报讯"
    assert first["byline"] == "（记者 崔累果）"
    assert first["bylines"] == ["崔累果"]
    assert paragraphs(first) == [
        "3月18日，市委党校举行2024年春季学期开学典礼。市委书记、市委党校校长张宏伟出席开学典礼并作辅导报告。",
        "张宏伟指出，培育新质生产力是推动高质量发展的内在要求，必须深入学习领会、凝聚思想共识。",
    ]
    assert first["order"] == ["dateline", "body", "byline", "title"]
    assert first["date_in_text"] == "2024-03-18"
    assert second["title"] == "代表委员进校园 心系教育促发展"
    assert second["dateline"] == "薛城讯"
    assert second["byline"] == "（于宝明 张安娜）"
    assert second["body"] == "近日，薛城区舜耕中学邀请属地部分“两代表一委员”来校视察指导。"


def test_headline_after_body_with_its_authors_under_it():
    text = ("滕州市北辛街道人大工作室以人大\n代表活动阵地规范化建设为抓手，坚持\n“建、管、用”并重。\n\n"
            "搭建连心桥梁 共筑幸福家园\n张志远 贾晓燕\n\n"
            "近日，国网枣庄供电公司市中供电\n中心组织人员在居民小区设置流动宣传\n点。 （娄倩 摄）\n\n"
            "宣传进社区\n\n服务“零”距离\n")
    first, second = split_page(text)
    assert (first["title"], first["byline"], first["bylines"]) == ("搭建连心桥梁 共筑幸福家园", "张志远 贾晓燕", ["张志远", "贾晓燕"])
    assert first["order"] == ["body", "title", "byline"]
    assert (second["title"], second["byline"], second["kind"]) == ("宣传进社区 服务“零”距离", "（娄倩 摄）", "photo")


def test_multi_line_headline_before_body():
    text = ("争取将秋季项目施工黄金季拼成丰收季\n\n枣庄50个重点项目集中开工\n\n□ 本报记者 张环泽\n\n"
            "10月9日上午,枣庄市举行全市重点项目集中启动活动,共有50个项目开工。\n\n"
            "瞄准新能源、新材料、新业态、新模式精准发力\n\n山亭区明确主攻方向寻求产业突破\n\n——“四新”引领产业突围\n\n"
            "□ 本报记者 孟令洋\n\n9月19日,在川藏线施工现场,博雷顿的新能源设备就装满一辆自卸车。\n\n"
            "山亭区两会\n\n获碳中和认证\n\n□孟令洋 宋伟 仇文琦 报道\n\n本报枣庄讯 2月10日下午,山亭区两会胜利闭幕。\n")
    first, second, third = split_page(text)
    assert (first["kicker"], first["title"], first["subtitle"]) == (
        "争取将秋季项目施工黄金季拼成丰收季", "枣庄50个重点项目集中开工", "")
    assert first["byline"] == "□本报记者 张环泽"
    assert first["order"] == ["kicker", "title", "byline", "body"]
    assert (second["kicker"], second["title"], second["subtitle"]) == (
        "瞄准新能源、新材料、新业态、新模式精准发力", "山亭区明确主攻方向寻求产业突破", "——“四新”引领产业突围")
    assert second["order"] == ["kicker", "title", "subtitle", "byline", "body"]
    assert (third["kicker"], third["title"]) == ("", "山亭区两会获碳中和认证")  # one title, wrapped


def test_multi_line_headline_after_body():
    text = ("本报讯 在市委、市政府的关心支持下，枣庄市慈善总会成立了帮扶基金。 （张志霖 薛德玉）\n\n"
            "市慈善总会设立“枣慈留香·\n孤困和留守儿童关爱帮扶基金”\n\n"
            "山亭讯 3 月 12 日，山亭区行政审批服务局项目管家团队深入企业。\n\n（孙海锋 王志祥）\n\n"
            "提前介入 主动对接 超前服务\n\n山亭“项目管家”为重点项目服务到家\n\n"
            "3 月 15 日，山东普鲁特机床有限公司的技术人员正在调试机床产品。（记者 王龙飞 通讯员\n周原 谢经岭 摄）\n\n"
            "创新产品\n赢得市场\n")
    first, second, third = split_page(text)
    assert first["title"] == "市慈善总会设立“枣慈留香·孤困和留守儿童关爱帮扶基金”"
    assert (second["kicker"], second["title"]) == ("提前介入 主动对接 超前服务", "山亭“项目管家”为重点项目服务到家")
    assert second["order"] == ["dateline", "body", "byline", "kicker", "title"]
    assert (third["title"], third["kind"]) == ("创新产品 赢得市场", "photo")
    assert third["bylines"] == ["王龙飞", "周原", "谢经岭"]


def test_title_and_subtitle_on_one_line():
    text = ("“融e通”让社会“治理”变“智理”——我区创新打造“融e通”智慧平台\n\n通讯员 孙巧巧 柏传振\n\n"
            "近年来，我区搭建“融e通”智慧平台，切实打通服务群众“最后一公里”。\n")
    (art,) = split_page(text)
    assert (art["title"], art["subtitle"]) == ("“融e通”让社会“治理”变“智理”", "——我区创新打造“融e通”智慧平台")
    assert (art["byline"], art["bylines"]) == ("通讯员 孙巧巧 柏传振", ["孙巧巧", "柏传振"])


# --- bylines and datelines ---


@pytest.mark.parametrize(("top", "byline", "names"), [
    ("□记者 张环泽 报道", "□记者 张环泽 报道", ["张环泽"]),
    ("□ 本报记者 孟令洋", "□本报记者 孟令洋", ["孟令洋"]),
    ("□记者 孟令洋\n\n通讯员 赵健健 报道", "□记者 孟令洋 通讯员 赵健健 报道", ["孟令洋", "赵健健"]),
    ("□通讯员 王雷 记者 张环泽 报道", "□通讯员 王雷 记者 张环泽 报道", ["王雷", "张环泽"]),
    ("□郭允新 季龙 张环泽 报道", "□郭允新 季龙 张环泽 报道", ["郭允新", "季龙", "张环泽"]),
    ("通讯员 孙巧巧 柏传振", "通讯员 孙巧巧 柏传振", ["孙巧巧", "柏传振"]),
    ("□本报通讯员", "□本报通讯员", []),
])
def test_bylines_above_the_body(top, byline, names):
    text = f"常庄街道敲响安全生产警钟\n\n{top}\n\n本报枣庄讯 连日来，枣庄市薛城区常庄街道查找安全生产的薄弱环节。\n"
    (art,) = split_page(text)
    assert (art["title"], art["byline"], art["bylines"]) == ("常庄街道敲响安全生产警钟", byline, names)
    assert art["body"] == "连日来，枣庄市薛城区常庄街道查找安全生产的薄弱环节。"


@pytest.mark.parametrize(("opening", "dateline", "body", "date"), [
    ("本报讯 12 月 27 日，副市长左文做客直播间。", "本报讯", "12月27日，副市长左文做客直播间。", "--12-27"),
    ("本报枣庄讯 今年以来，底阁镇创新工作思路。", "本报枣庄讯", "今年以来，底阁镇创新工作思路。", ""),
    ("薛城讯 近日，薛城区舜耕中学邀请代表来校视察。", "薛城讯", "近日，薛城区舜耕中学邀请代表来校视察。", ""),
    ("山亭讯 3 月 12 日，山亭区项目管家团队深入企业。", "山亭讯", "3月12日，山亭区项目管家团队深入企业。", "--03-12"),
    ("新华社北京3月18日电 3月18日，国家主席习近平致电普京。", "新华社北京3月18日电", "3月18日，国家主席习近平致电普京。",
     "--03-18"),
    ("本报讯 2022年1月5日，省水利厅印发了项目清单。", "本报讯", "2022年1月5日，省水利厅印发了项目清单。", "2022-01-05"),
    ("6月7日下午，市长来市中区开展现场办公。", "", "6月7日下午，市长来市中区开展现场办公。", "--06-07"),
])
def test_datelines(opening, dateline, body, date):
    art = clean_article(opening + "\n\n会议要求，进一步优化营商环境。", title="标题")
    assert art["dateline"] == dateline
    assert paragraphs(art)[0] == body
    assert art["date_in_text"] == date
    assert art["order"] == (["title", "dateline", "body"] if dateline else ["title", "body"])


def test_date_in_text_takes_the_page_year():
    art = clean_article("本报讯 3 月 18 日，市委党校举行开学典礼。", title="开学典礼")
    assert art["date_in_text"] == "--03-18"
    (art,) = split_page("开学典礼\n\n本报讯 3 月 18 日，市委党校举行开学典礼。", year=2024)
    assert art["date_in_text"] == "2024-03-18"


@pytest.mark.parametrize(("ending", "byline", "names", "kind"), [
    ("发布会上，还进行了签约仪式。 （记者 苏羽 刘豹）", "（记者 苏羽 刘豹）", ["苏羽", "刘豹"], "news"),
    ("开展涉电政策宣传。 （娄倩 摄）", "（娄倩 摄）", ["娄倩"], "photo"),
    ("此次活动为实现学校教育高质量发展而奋斗。 （于宝明 张安娜）", "（于宝明 张安娜）", ["于宝明", "张安娜"], "news"),
    (("这不仅是枣庄结合国家‘双碳’目标提出的发展战略。”市能源局局长刘忠波说道。 （记者\n"
      "甄宗奎 渠玉峰 侯睿 通讯员 胡皓）"), "（记者 甄宗奎 渠玉峰 侯睿 通讯员 胡皓）", ["甄宗奎", "渠玉峰", "侯睿", "胡皓"], "news"),
])
def test_closing_bylines(ending, byline, names, kind):
    art = clean_article("本报讯 近日，活动在枣庄举行。\n\n" + ending, title="标题")
    assert (art["byline"], art["bylines"], art["kind"]) == (byline, names, kind)
    assert not art["body"].endswith("）")
    assert art["order"] == ["title", "dateline", "body", "byline"]


def test_a_parenthesis_inside_a_sentence_is_no_byline():
    art = clean_article("审议了《2024年枣庄国家可持续发展议程创新示范区建设工作要点（讨论稿）》。会议还听取了汇报（书面）", title="t")
    assert art["byline"] == ""
    assert art["body"].endswith("（书面）")


def test_dateline_with_reporter_in_brackets():
    art = clean_article("本报讯（记者 张三）近日，全市重点项目集中开工。", title="t")
    assert (art["dateline"], art["byline"], art["bylines"]) == ("本报讯", "（记者 张三）", ["张三"])
    assert art["body"] == "近日，全市重点项目集中开工。"


# --- furniture, continuations, section heads ---


def test_furniture_is_kept_apart():
    text = ("\n\n\n\n大众日报 客户端\n\n\n\n大众日报 微信\n\n\n\n"
            "枣庄打造光通信全产业链条\n\n□记者 孟令洋 报道\n\n本报枣庄讯 连日来,工人们正忙着安装各种生产设备。\n")
    furniture, news = split_page(text)
    assert (furniture["kind"], furniture["body"]) == ("furniture", "大众日报 客户端\n大众日报 微信")
    assert furniture["title"] == ""
    assert (news["kind"], news["title"]) == ("news", "枣庄打造光通信全产业链条")


def test_rubric_and_promos_in_a_tail_page():
    text = (" ■重点项目落地见效年\n\n本报讯 3 月 18 日，市委党校举行\n开学典礼。\n\n（记者 崔累果）\n\n"
            "市委党校举行开学典礼\n\n微信公众号\n“枣庄市民热线”\n\n手机客户端\n“指动枣庄”\n\n“枣庄直播”\n\n"
            "本报讯 人勤春来早，万事日相\n催。首批小型氢燃料电池正式下线。 （记者 李鲁）\n\n氢燃料电池下线\n")
    rubric, school, promos, cells = split_page(text)
    assert (rubric["kind"], rubric["body"]) == ("furniture", "■重点项目落地见效年")
    assert (school["title"], school["body"]) == ("市委党校举行开学典礼", "3月18日，市委党校举行开学典礼。")
    assert promos["kind"] == "furniture"
    assert promos["body"] == "微信公众号\n“枣庄市民热线”\n手机客户端\n“指动枣庄”\n“枣庄直播”"
    assert (cells["title"], cells["dateline"], cells["kind"]) == ("氢燃料电池下线", "本报讯", "news")


def test_continuation_marker():
    text = ("（上接第一版）EVA光伏胶膜和生物可降解材料一体化项目\n今年全面开工建设，将于2025年下半年全部建成投产。\n\n"
            "为深入开展“重点项目落地见效年”行动，我市狠抓手续办理和问题协调解决。\n\n"
            "厚积成势 行稳致远\n\n"
            "（上接第一版） 全市上下聚焦聚力强工兴\n产、工业倍增，创新转型高质量发展成效显著。\n\n（记者 冯克宁）\n")
    first, second = split_page(text)
    assert (first["kind"], first["title"]) == ("continuation", "厚积成势 行稳致远")
    assert paragraphs(first)[0] == "（上接第一版）EVA光伏胶膜和生物可降解材料一体化项目今年全面开工建设，将于2025年下半年全部建成投产。"
    assert (second["kind"], second["title"], second["byline"]) == ("continuation", "", "（记者 冯克宁）")
    assert second["body"] == "（上接第一版）全市上下聚焦聚力强工兴产、工业倍增，创新转型高质量发展成效显著。"


def test_a_stray_headline_is_kept_as_furniture():
    text = "枣庄打造光通信全产业链条\n\n□记者 孟令洋 报道\n\n本报枣庄讯 连日来,工人们正忙着安装生产设备。\n\n坛山街道推动\n"
    news, stray = split_page(text)
    assert news["title"] == "枣庄打造光通信全产业链条"
    assert (stray["kind"], stray["title"], stray["body"], stray["order"]) == ("furniture", "坛山街道推动", "", ["title"])


def test_a_form_feed_is_a_hard_break():
    assert reflow("该村干部获发集体经济发\x0c为进一步提高群众反诈意识，开展宣传。") == [
        "该村干部获发集体经济发", "为进一步提高群众反诈意识，开展宣传。"]


def test_section_heads_stay_inside_the_article():
    text = ("滕州市人大常委会紧紧围绕市委决\n策部署，高质高效完成了年\n度各项目标任务。\n\n"
            "在服务发展大局上聚焦聚力\n\n滕州市人大常委会牢固树立围绕\n中心服务大局这一鲜明导向，推\n进市委决策落实落地。\n\n"
            "在增进民生福祉上用心用情\n\n滕州市人大常委会坚持以人民为中\n心的价值追求，持续加大监督\n力度。\n\n"
            "彰显“护航高质量发展”人大担当\n司增会 闫虎 杨国桢\n")
    (art,) = split_page(text)
    assert art["title"] == "彰显“护航高质量发展”人大担当"
    assert art["bylines"] == ["司增会", "闫虎", "杨国桢"]
    assert paragraphs(art) == [
        "滕州市人大常委会紧紧围绕市委决策部署，高质高效完成了年度各项目标任务。",
        "在服务发展大局上聚焦聚力",
        "滕州市人大常委会牢固树立围绕中心服务大局这一鲜明导向，推进市委决策落实落地。",
        "在增进民生福祉上用心用情",
        "滕州市人大常委会坚持以人民为中心的价值追求，持续加大监督力度。",
    ]


def test_section_heads_in_a_head_first_article():
    text = ("枣庄促进村级集体经济发展壮大\n\n集体经济发展挂钩村干部奖励报酬\n\n□本报记者 张环泽\n\n"
            "枣庄市建立集体经济发展与村干部奖励报酬挂钩机制。\n\n明确奖励标准 让村干部更有干劲\n\n"
            "“2020年，我们村5名村干部领取了集体经济发展奖金4.68万元。”\n\n规范奖励程序 让村干部更有方向\n\n"
            "枣庄市确定流程线，严格规范奖励程序。\n")
    (art,) = split_page(text)
    assert (art["kicker"], art["title"]) == ("枣庄促进村级集体经济发展壮大", "集体经济发展挂钩村干部奖励报酬")
    assert paragraphs(art)[1::2] == ["明确奖励标准 让村干部更有干劲", "规范奖励程序 让村干部更有方向"]


def test_notice():
    text = ("为深入践行以人民为中心的发展思想，更好地听民声、\n察民情、聚民智、解民忧，持续提高广大群众的获得感、幸\n"
            "福感和安全感，3月20日，市政府副市长朱清彬将走进直播间。\n\n"
            "接听时间：3月20日（星期三）上午7：20-8：30\n热线电话：0632-3311161 3312400\n"
            "留言平台：微信公众号“枣庄市民热线”\n\n节 目 预 告\n3月20日，枣庄市政府副市长、市公安局局长\n\n"
            "朱清彬走进 《市长上线》节目直播间接听热线\n\n本报讯 3月18日，国家可持续发展议程创新示范区指挥部会议召开。\n")
    notice, news = split_page(text)
    assert notice["kind"] == "notice"
    assert notice["kicker"] == "节目预告"
    assert notice["title"] == "3月20日，枣庄市政府副市长、市公安局局长朱清彬走进《市长上线》节目直播间接听热线"
    assert paragraphs(notice)[1:] == ["接听时间：3月20日（星期三）上午7：20-8：30", "热线电话：0632-3311161 3312400",
                                      "留言平台：微信公众号“枣庄市民热线”"]
    assert (news["dateline"], news["title"]) == ("本报讯", "")


# --- clean_article ---


def test_clean_article():
    text = ("山亭区两会获碳中和认证\n\n□孟令洋 宋伟 仇文琦 报道\n\n本报枣庄讯 2月10日下午，枣庄市山亭区\n"
            "十届人大二次会议胜利闭幕。\n\n使用新能源汽车参会，会场空调温度设置不高于20摄氏度。\n")
    art = clean_article(text, title="山亭区两会 获碳中和认证")
    assert set(art) == KEYS
    assert art["title"] == "山亭区两会 获碳中和认证"  # the record's title, not a repeat of it
    assert (art["byline"], art["bylines"]) == ("□孟令洋 宋伟 仇文琦 报道", ["孟令洋", "宋伟", "仇文琦"])
    assert art["dateline"] == "本报枣庄讯"
    assert paragraphs(art) == ["2月10日下午，枣庄市山亭区十届人大二次会议胜利闭幕。", "使用新能源汽车参会，会场空调温度设置不高于20摄氏度。"]
    assert (art["kind"], art["date_in_text"]) == ("news", "--02-10")
    assert art["order"] == ["title", "byline", "dateline", "body"]


def test_clean_article_without_title_takes_the_headline_lines():
    art = clean_article("不仅评科长 也要评局长\n\n“两个百名评”促干部作风能力提升\n\n本报枣庄讯 2月13日，活动动员会召开。")
    assert (art["kicker"], art["title"], art["dateline"]) == ("不仅评科长 也要评局长", "“两个百名评”促干部作风能力提升", "本报枣庄讯")


# --- the seed pages ---


@pytest.fixture(scope="module")
def seed_articles():
    return {p.name[:3]: split_page(p.read_text(encoding="utf-8"), year=2024) for p in SEED_PAGES}


def test_all_seed_pages_are_there():
    assert [p.name[:3] for p in SEED_PAGES] == sorted(SEED_HEADLINES)


def test_seed_headlines(seed_articles):
    wanted = [(page, title) for page, titles in SEED_HEADLINES.items() for title in titles]
    found = [(page, title) for page, title in wanted if title in {a["title"] for a in seed_articles[page]}]
    missed = sorted(set(wanted) - set(found))
    assert len(found) >= 0.9 * len(wanted), missed


def test_seed_articles_are_well_formed(seed_articles):
    for articles in seed_articles.values():
        for a in articles:
            assert set(a) == KEYS
            assert a["kind"] in KINDS
            assert a["order"] and len(set(a["order"])) == len(a["order"])
            assert all(a[f] for f in a["order"])
            assert all(not a[f] for f in ("title", "subtitle", "kicker", "byline", "dateline", "body")
                       if f not in a["order"])


def test_no_body_holds_another_articles_title_or_byline(seed_articles):
    for articles in seed_articles.values():
        for a in articles:
            for b in articles:
                if b is not a:
                    assert not b["title"] or b["title"] not in a["body"], (b["title"], a["title"])
                    assert not b["byline"] or b["byline"] not in a["body"], (b["byline"], a["title"])


@pytest.mark.parametrize("page", SEED_PAGES, ids=lambda p: p.name[:3])
def test_seed_text_is_never_lost(page):
    raw = page.read_text(encoding="utf-8")
    out = "".join(page_text(a) for a in split_page(raw))
    assert in_order("".join(CJK_RE.findall(raw)), out)
    assert in_order("".join(raw.split()), out)  # nor any other printed character


def test_seed_words_cut_by_lines_and_blank_lines_are_rejoined(seed_articles):
    def any_paragraph(page, words):
        return any(words in p for a in seed_articles[page] for p in paragraphs(a))

    assert any_paragraph("000", "全市重大工程指挥部")  # 全市重大工 / blank / 程指挥部
    assert any_paragraph("000", "代表“家站点”成为街道党工委与辖区居民的“连心桥”")  # letter-spaced
    assert any_paragraph("001", "国家可持续发展议程创新示范区指挥部2024年第一次会议召开")
    assert any_paragraph("002", "总投资756亿元")  # 总投资 / blank / 756亿元。
    assert any_paragraph("002", "为高铁、电力等领域提供光通信产品")
    assert any_paragraph("004", "责任交办“一锤定音”")


# --- robustness and speed ---


@pytest.mark.parametrize("text", [
    "",
    " \n\t\u3000\n\n  ",
    "\x00\x01\x02\x1b\x7f\x0c\x0b",
    "The quick brown fox jumps over the lazy dog.\nAnd then some more English text, without any CJK at all.",
    "标题\r\n\r\n本报讯\x00 近日，活动\u200b举行。\x0c（记者 张三）",
])
def test_odd_input_does_not_break(text):
    articles = split_page(text, year=2024)
    for a in articles:
        assert set(a) == KEYS and a["kind"] in KINDS
    assert reflow(text) is not None
    assert set(clean_article(text, title="t")) == KEYS
    printed = "".join(c for c in text if c.isprintable() and not c.isspace() and c != "\u200b")
    assert in_order(printed, "".join(page_text(a) for a in articles))


def test_a_huge_line_without_breaks():
    line = "枣庄市建立集体经济发展与村干部奖励报酬挂钩机制，" * 120_000  # ~8.6 MB of UTF-8, one line
    started = time.perf_counter()
    (art,) = split_page(line)
    assert art["body"] == line
    assert time.perf_counter() - started < 10


def test_speed_has_room():
    # split_page sits in the ingest hot path; it runs at ~30 MB/s on the seeds: catch a
    # quadratic slip, not a slow machine
    text = "\n\n\n".join(p.read_text(encoding="utf-8") for p in SEED_PAGES) * 20
    started = time.process_time()
    split_page(text)
    assert len(text.encode()) / (time.process_time() - started) > 3e6
