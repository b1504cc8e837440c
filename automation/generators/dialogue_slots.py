"""The scene's facts as words a frame can use, in the dialogue's language, with what they
agree with: a character's grammatical gender, a context noun's gender and number.

A frame names a fact with `{slot}` or one of its forms, `{slot.form}`:

| slot        | `{slot}` (en / fr)                          | other forms                              |
|-------------|---------------------------------------------|------------------------------------------|
| `self`      | the speaker's name                          | `.de` (fr: "de Malvor", "d'Aria")         |
| `listener`  | the addressee's name                        | `.de`, `.que` (fr: "qu'Aria")             |
| `place`     | "the market", "Château ancien" / "le marché" | `.à` ("au marché"), `.de` ("du marché"), `.ce` ("this market" / "ce marché") |
| `time`      | "tonight", "at dawn" / "cette nuit", "à l'aube" | `.noun` ("the night" / "la nuit"), `.de` ("de la nuit") |
| `weather`   | "this rain" / "cette pluie", "cet orage"     | `.noun` ("the rain" / "la pluie"), `.de` ("de la pluie") |
| `situation` | "this fight" / "ce combat"                   | `.noun` ("the fight" / "le combat"), `.de` ("du combat") |

and chooses agreeing words with `[slot:a|b]`: for a character, masculine|feminine (a frame
that needs a gender is never used for a character whose gender is unknown: the writer
then picks a neutral frame); for a context noun, singular|plural, or in French
masculine singular|feminine singular|masculine plural|feminine plural.

English number comes from `inflect`; French gender from the lexicon
(catalog/data/lexicon/fr.json), read on the article given ("la taverne") or on the head
noun ("Château ancien": château, masculine).
"""
import re
from dataclasses import dataclass, field
from typing import Any

from automation.catalog import lexicon
from automation.generators.english import is_plural

LANGUAGES = ("en", "fr")
CONTEXT_SLOTS = ("place", "time", "weather", "situation")
PERSON_SLOTS = ("self", "listener")
VOWEL = re.compile(r"^[aeiouyàâäéèêëîïôöùûüœæh]", re.IGNORECASE)
FR_ARTICLES = {"le ": ("m", False), "la ": ("f", False), "l'": (None, False), "l’": (None, False), "les ": (None, True),
               "un ": ("m", False), "une ": ("f", False), "des ": (None, True)}
EN_DETERMINERS = ("the ", "a ", "an ", "this ", "that ", "these ", "those ", "my ", "our ", "your ", "their ", "his ", "her ")


@dataclass(frozen=True)
class Phrase:
    """A fact in words: its forms (the key "" is `{slot}`), and what it agrees with."""

    forms: dict[str, str]
    gender: str | None = None  # "m", "f", or None when unknown
    plural: bool = False
    is_person: bool = False

    def form(self, name: str) -> str | None:
        return self.forms.get(name)

    def agreement(self, options: list[str]) -> str | None:
        """The option that agrees with this fact, or None when it cannot be told."""
        if len(options) == 2 and self.is_person:
            if self.gender is None:
                return None
            return options[0] if self.gender == "m" else options[1]
        if len(options) == 2:
            return options[1] if self.plural else options[0]
        if len(options) == 4:
            gender = self.gender or "m"
            return options[(1 if gender == "f" else 0) + (2 if self.plural else 0)]
        return None


@dataclass
class Scene:
    """Every phrase a line of this dialogue can use, by slot name."""

    language: str
    context: dict[str, Phrase] = field(default_factory=dict)

    def with_people(self, speaker: Phrase, listener: Phrase | None) -> dict[str, Phrase]:
        slots = dict(self.context)
        slots["self"] = speaker
        if listener is not None:
            slots["listener"] = listener
        return slots


def person(name: str, pronouns: str, language: str) -> Phrase:
    gender = {"she": "f", "he": "m"}.get(pronouns or "")
    forms = {"": name}
    if language == "fr":
        forms["de"] = ("d'" if VOWEL.match(name) else "de ") + name
        forms["que"] = ("qu'" if VOWEL.match(name) else "que ") + name
    else:
        forms["de"] = "of " + name
        forms["que"] = name
    return Phrase(forms=forms, gender=gender, is_person=True)


def scene_for(context: dict[str, Any], language: str) -> Scene:
    build = {"en": _english, "fr": _french}[language]
    phrases = {}
    for slot in CONTEXT_SLOTS:
        key = "time_of_day" if slot == "time" else "location" if slot == "place" else slot
        value = (context.get(key) or "").strip()
        if value:
            phrases[slot] = build(slot, value)
    return Scene(language=language, context=phrases)


# English ------------------------------------------------------------------------------------

def _english(slot: str, value: str) -> Phrase:
    words = lexicon("en")
    lowered = value.lower()
    if slot != "place":
        # A French value ("une chasse", "la pluie") is said in English when the lexicon knows it.
        _, _, french = _french_article(value)
        lowered = words["from_french"].get(french.lower(), words["from_french"].get(lowered, lowered))
        if slot == "weather":
            lowered = words["weather_adjectives"].get(lowered, lowered)
        value = lowered if lowered != value.lower() else value
    if slot == "place" and value[:1].isupper() and not lowered.startswith(EN_DETERMINERS):
        return Phrase(forms={"": value, "ce": value, "noun": value, "de": "of " + value})  # a name: no article
    bare = _without_determiner(value)
    plural = _english_plural(bare)
    definite = "the " + bare
    this = ("these " if plural else "this ") + bare
    forms = {"": definite, "noun": definite, "ce": this, "de": "of " + definite}
    if slot == "time":
        forms[""] = words["hours"].get(bare.lower(), "at " + definite)
    elif slot in ("weather", "situation"):
        forms[""] = this
    elif value.lower().startswith(EN_DETERMINERS) and not value.lower().startswith(("a ", "an ")):
        forms[""] = value  # "my farm", "this old road": as given
    return Phrase(forms=forms, plural=plural)


def _without_determiner(value: str) -> str:
    lowered = value.lower()
    for determiner in EN_DETERMINERS:
        if lowered.startswith(determiner):
            return value[len(determiner):]
    return value


def _english_plural(phrase: str) -> bool:
    head = re.findall(r"[A-Za-z']+", phrase)
    if not head:
        return False
    word = head[-1].lower()
    if word in ("news", "series", "species", "glass", "grass", "class", "chess"):
        return False
    return is_plural(word)


# French -------------------------------------------------------------------------------------

def _french(slot: str, value: str) -> Phrase:
    words = lexicon("fr")
    lowered = value.lower()
    if slot != "place":
        lowered = words["from_english"].get(lowered, lowered)
        value = lowered if lowered != value.lower() else value
    gender, plural, bare = _french_article(value)
    head = _french_head(bare)
    known = words["nouns"].get(head.lower()) or words["nouns"].get(bare.lower()) or words["adjective_nouns"].get(bare.lower())
    singular = re.sub(r"[sx]$", "", head.lower())
    if not known and singular != head.lower() and words["nouns"].get(singular):
        known = words["nouns"][singular][0] + "p"  # "négociations": the plural of a known noun
    if gender is None and known:
        gender = known[0]
    if known and not plural:
        plural = known.endswith("p")
    if gender is None:
        gender = _guess_gender(head)
    name = slot == "place" and not known and value[:1].isupper() and bare == value
    if name:
        # A place's own name ("Valombre"): no article, as French names a town.
        forms = {"": value, "à": "à " + value, "de": ("d'" if VOWEL.match(value) else "de ") + value, "ce": value, "noun": value}
        return Phrase(forms=forms, gender=gender, plural=False)
    elides = VOWEL.match(bare) is not None and head.lower() not in words["h_aspire"]
    if plural:
        definite, to, of, this = "les " + bare, "aux " + bare, "des " + bare, "ces " + bare
    elif elides:
        definite, to, of = "l'" + bare, "à l'" + bare, "de l'" + bare
        this = ("cette " if gender == "f" else "cet ") + bare
    elif gender == "f":
        definite, to, of, this = "la " + bare, "à la " + bare, "de la " + bare, "cette " + bare
    else:
        definite, to, of, this = "le " + bare, "au " + bare, "du " + bare, "ce " + bare
    forms = {"": definite, "noun": definite, "à": to, "de": of, "ce": this}
    if slot == "time":
        forms[""] = words["hours"].get(bare.lower(), to)
    elif slot in ("weather", "situation"):
        forms[""] = this
    return Phrase(forms=forms, gender=gender, plural=plural)


def _french_article(value: str) -> tuple[str | None, bool, str]:
    lowered = value.lower()
    for article, (gender, plural) in FR_ARTICLES.items():
        if lowered.startswith(article):
            return gender, plural, value[len(article):]
    return None, False, value


def _french_head(phrase: str) -> str:
    """The noun a French phrase is named by: its first word that is not an adjective placed
    before the noun ("vieux château" → château; "partie de cartes" → partie)."""
    before = set(lexicon("fr")["adjectives_before"])
    words = phrase.split()
    for word in words:
        if word.lower() not in before:
            return word
    return words[-1] if words else phrase


def _guess_gender(noun: str) -> str:
    """Nouns outside the lexicon: French endings that are almost always feminine."""
    feminine = ("tion", "sion", "té", "ette", "ière", "ie", "ure", "ade", "ance", "ence", "esse", "ine", "elle", "ise", "ée")
    return "f" if noun.lower().endswith(feminine) else "m"
