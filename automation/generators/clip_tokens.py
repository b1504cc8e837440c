"""CLIP's tokenizer, to count a prompt's tokens as SD 1.5 and SDXL read them.

The byte-pair encoding of OpenAI's CLIP (the `SimpleTokenizer` open_clip ships), with its
vocabulary from catalog/data/clip/ (open_clip itself needs PyTorch). The text is cleaned as
CLIP cleans it — HTML entities decoded, whitespace collapsed, lower case — except for
ftfy's repair of mis-decoded text, which a prompt typed into an API does not need.

A text encoder reads 75 tokens at a time (77 with the start and end markers); ComfyUI and
Automatic1111 split a longer prompt into windows of 75.
"""
import gzip
import html
from functools import cache

import regex

from automation.catalog import DATA_DIR

WINDOW = 75  # tokens a CLIP text encoder reads at once, without its start and end markers
MERGES = 49152 - 256 - 2  # the merges CLIP's vocabulary uses (its file holds a few more)
WORD = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", regex.IGNORECASE)


@cache
def _byte_symbols() -> dict[int, str]:
    """CLIP's reversible map of the 256 byte values to printable characters."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return dict(zip(printable, map(chr, codes)))


@cache
def _ranks() -> dict[tuple[str, str], int]:
    with gzip.open(DATA_DIR / "clip" / "bpe_simple_vocab_16e6.txt.gz", "rt", encoding="utf-8") as f:
        lines = f.read().split("\n")[1 : MERGES + 1]
    return {tuple(line.split()): rank for rank, line in enumerate(lines)}


@cache
def _bpe(word: str) -> int:
    """How many tokens one pre-tokenized word becomes."""
    ranks = _ranks()
    symbols = list(word[:-1]) + [word[-1] + "</w>"]
    while len(symbols) > 1:
        pairs = {(symbols[i], symbols[i + 1]) for i in range(len(symbols) - 1)}
        best = min(pairs, key=lambda pair: ranks.get(pair, float("inf")))
        if best not in ranks:
            break
        merged, i = [], 0
        while i < len(symbols):
            if i < len(symbols) - 1 and (symbols[i], symbols[i + 1]) == best:
                merged.append(symbols[i] + symbols[i + 1])
                i += 2
            else:
                merged.append(symbols[i])
                i += 1
        symbols = merged
    return len(symbols)


def count_tokens(text: str) -> int:
    """CLIP tokens in `text`, without the start and end markers."""
    cleaned = " ".join(html.unescape(html.unescape(text)).split()).lower()
    symbols = _byte_symbols()
    return sum(_bpe("".join(symbols[b] for b in word.encode("utf-8"))) for word in WORD.findall(cleaned))
