"""Trace a written line back to the frames that could have written it, from the catalog's
own text: each frame becomes a regular expression (slots as a few words, agreement choices
as alternations), compared on lowercase words so capitals, typography, a stammer or an
interjection before the line do not matter."""
import re
from functools import cache

from automation.generators.dialogue_frames import AGREE, SLOT, Frame, catalog

WORD = re.compile(r"[\w']+")
# Function words: a phrase made only of them ("it is", "de la") is not a tic.
STOPWORDS = set(
    "a an the to of in on at and or but is are was were be been am i you he she it we they me my your his her its our "
    "their this that these those for with not no do does did have has had will would can could shall should so if then "
    "there here what who how why when where as by from up out all just now than too very i'm it's don't you're that's "
    "le la les l un une des du de d à au aux et ou mais est sont suis es sommes êtes je tu il elle on nous vous ils "
    "elles me te se moi toi lui ce cet cette ces mon ma mes ton ta tes son sa ses notre nos votre vos leur leurs qui "
    "que qu quoi pas ne n y en pour par sur dans avec sans plus si s c j m t ça cela c'est j'ai".split()
)



def words(text: str) -> str:
    return " ".join(WORD.findall(text.lower().replace("’", "'")))


def _pattern(frame: Frame) -> re.Pattern:
    parts, position = [], 0
    tokens = sorted([*SLOT.finditer(frame.text), *AGREE.finditer(frame.text)], key=lambda m: m.start())
    for match in tokens:
        parts.append(re.escape(words(frame.text[position : match.start()])))
        if match.re is SLOT:
            parts.append(r"[\w' ]+?")
        else:
            options = [re.escape(words(option)) for option in match.group(2).split("|")]
            parts.append("(?:" + "|".join(options) + ")")
        position = match.end()
    parts.append(re.escape(words(frame.text[position:])))
    body = r"\s*".join(part for part in parts if part)
    # An interjection only ever opens a line (and is short enough to end any other).
    return re.compile((r"^" if frame.move == "interject" else r"(?:^|\s)") + body + (r"" if frame.move == "interject" else r"$"))


@cache
def _patterns(language: str, archetype: str) -> list[tuple[Frame, re.Pattern]]:
    return [(frame, _pattern(frame)) for frame in catalog(language, archetype)]


def frames_matching(language: str, archetype: str, line: str) -> list[Frame]:
    """The frames of this archetype and language that could have written `line`; an
    interjection only when the line opens with it, dash included."""
    text, raw = words(line), line.lower().replace("’", "'")
    return [
        frame
        for frame, pattern in _patterns(language, archetype)
        if pattern.search(text) and (frame.move != "interject" or raw.startswith(frame.text.lower().replace("’", "'")))
    ]


def frame_of(language: str, archetype: str, line: str) -> Frame | None:
    """The one frame that wrote `line`, or None when none or several could have."""
    found = frames_matching(language, archetype, line)
    return found[0] if len(found) == 1 else None
