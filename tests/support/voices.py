"""Trace a written line back to the table it came from, using the voice catalog's own
grammar: each template becomes a regular expression (variants and rules as alternations,
scene facts as wildcards), compared on lowercase words so punctuation tweaks do not matter."""
import re
from functools import cache

from automation.catalog import archetype_voices


def words(text: str) -> str:
    return " ".join(re.findall(r"[\w']+", text.lower()))


def _pattern(text: str, rules: dict, depth: int = 0) -> str:
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "{":
            level, j = 1, i + 1
            while level:
                level += {"{": 1, "}": -1}.get(text[j], 0)
                j += 1
            options = _split(text[i + 1 : j - 1])
            out.append("(?:" + "|".join(_pattern(o, rules, depth) for o in options) + ")")
            i = j
        elif char == "#":
            j = text.index("#", i + 1)
            entry = rules[text[i + 1 : j]]
            options = sorted({*entry["calm"], *entry["heated"]}) if isinstance(entry, dict) else entry
            out.append("(?:" + "|".join(_pattern(o, rules, depth + 1) for o in options) + ")")
            i = j + 1
        elif char == "<":
            j = text.index(">", i)
            out.append("[\\w']+(?: [\\w']+){0,4}?")  # a name, a place: a few words
            i = j + 1
        else:
            j = i
            while j < len(text) and text[j] not in "{#<":
                j += 1
            literal = words(text[i:j])
            if literal:
                out.append(" ?" + re.escape(literal) + " ?")
            i = j
    return "".join(out)


def _split(body: str) -> list[str]:
    parts, level, current = [], 0, ""
    for char in body:
        if char == "|" and level == 0:
            parts.append(current)
            current = ""
            continue
        level += {"{": 1, "}": -1}.get(char, 0)
        current += char
    return parts + [current]


@cache
def move_patterns(archetype: str) -> dict[str, list[re.Pattern]]:
    voice = archetype_voices()[archetype]
    return {
        # An interjection only ever opens a line, and is short enough to occur anywhere else.
        move: [re.compile(("^" if move == "interject" else "") + _pattern(template, voice["rules"])) for template in templates]
        for move, templates in voice["moves"].items()
    }


def moves_matching(archetype: str, line: str) -> set[str]:
    """The moves of this archetype's table that could have written `line`."""
    text = words(line)
    return {move for move, patterns in move_patterns(archetype).items() if any(p.search(text) for p in patterns)}
