"""Write zzcorpus/data/hanzi.txt: the characters of everyday Chinese text, simplified and
traditional, that decode() scores candidate encodings with.

The simplified forms are the 4,000 characters most frequent in jieba's dictionary (weighted by
word frequency); the traditional forms are their OpenCC conversions (Taiwan and Hong Kong
standards). Run once when the list should change: `pip install opencc-python-reimplemented`.
"""

from collections import Counter
from pathlib import Path

import jieba
import opencc

TOP = 4000
# Written Cantonese, common in Hong Kong papers (Big5-HKSCS) and rare in jieba's dictionary
CANTONESE = "佢哋喺嘢冇嘅咗啲嗰咁乜唔係睇搵揾攰嚟噉喇啱嘥嘞咪嚿啫嘛呢囉喎吖咩嗮晒畀俾諗谂屋企"

freq = Counter()
with open(Path(jieba.__file__).parent / "dict.txt", encoding="utf-8") as f:
    for line in f:
        word, count, *_ = line.split()
        for ch in word:
            if "\u4e00" <= ch <= "\u9fff":
                freq[ch] += int(count)
simplified = [ch for ch, _ in freq.most_common(TOP)]
chars = set(simplified) | set(CANTONESE)
for config in ("s2t", "s2tw", "s2hk"):
    convert = opencc.OpenCC(config).convert
    chars.update(ch for ch in map(convert, simplified) if len(ch) == 1)
out = Path(__file__).resolve().parent.parent / "zzcorpus" / "data" / "hanzi.txt"
text = "".join(sorted(chars))
out.write_text("\n".join(text[i : i + 80] for i in range(0, len(text), 80)) + "\n", encoding="utf-8")
print(f"{len(chars)} characters -> {out}")
