"""What a reader sees in the built-in writer's dialogues, as figures (docs/dialogue.md).

    .venv/bin/python -m bench.dialogue_quality [--json FILE]

Every figure comes from the writer's output over a fixed set of scenes and seeds, so two
runs of the same code print the same numbers and two versions of the writer can be
compared on the same script:

- questions answered: a spoken line ending in "?" whose next line is spoken by the
  character it was put to, and is not itself a question (a line whose move is `deflect`
  counts as answered: a deliberate dodge is an answer in a scene);
- lines referring to the context: the line names the place, or a word of the time of
  day, weather, situation or mood given, or one of its common synonyms (SYNONYMS);
- lines changed per trait: the same scenes and seeds with one character's trait at 0.1
  and at 0.9, the share of that character's lines that differ;
- tics: the listener's name in the line; villain lines saying "fool" or "insect"; the
  phrase (two words or more, not only stopwords, scene facts masked) found in the most
  lines of one archetype over 100 dialogues;
- frames reused: lines of a dialogue written from a frame already used in it;
- statements ending in "?": the line's last sentence ends in "?" but opens with no
  question word, auxiliary or inversion;
- distinct frames per archetype and language, from the catalog;
- Grammalecte's grammar errors on 2,000 generated French lines (when grammalecte-cli is
  installed).
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter

import django

from bench.figures import report

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()

from bench import dialogue_writer_adapter as adapter  # noqa: E402

ORIGINAL = {
    "characters": [
        {"character_id": "hero_001", "name": "Héros", "archetype": "hero"},
        {"character_id": "villain_001", "name": "Méchant", "archetype": "villain"},
    ],
    "context": {"location": "Château ancien", "time_of_day": "night", "situation": "combat", "mood": "tense"},
    "dialogue_type": "conflict",
    "num_lines": 10,
}
CONTEXTS = [
    {"location": "the market", "time_of_day": "noon", "weather": "rain", "situation": "a missing shipment", "mood": "tense"},
    {"location": "the Gilded Stag tavern", "time_of_day": "evening", "situation": "a card game", "mood": "joyful"},
    {"location": "the forest", "time_of_day": "dawn", "weather": "fog", "situation": "a hunt", "mood": "mysterious"},
    {"location": "the ship's deck", "time_of_day": "night", "weather": "storm", "situation": "a mutiny", "mood": "epic"},
]
CONTEXTS_FR = [
    {"location": "le marché", "time_of_day": "midi", "weather": "pluie", "situation": "une cargaison disparue", "mood": "tense"},
    {"location": "auberge du Cerf doré", "time_of_day": "soir", "situation": "une partie de cartes", "mood": "joyful"},
    {"location": "forêt", "time_of_day": "aube", "weather": "brouillard", "situation": "une chasse", "mood": "mysterious"},
    {"location": "les ruines", "time_of_day": "nuit", "weather": "orage", "situation": "une mutinerie", "mood": "epic"},
]
SYNONYMS = {
    "night": ["tonight", "dark", "moon"], "nuit": ["ce soir", "noir", "lune"],
    "noon": ["midday", "sun"], "midi": ["soleil"],
    "evening": ["tonight", "dusk"], "soir": ["ce soir", "crépuscule"],
    "dawn": ["sunrise", "first light", "morning"], "aube": ["aurore", "matin", "lever du jour"],
    "combat": ["fight", "battle", "blade", "duel"],
    "rain": ["wet", "downpour"], "pluie": ["averse", "mouillé"],
    "storm": ["thunder", "wind", "lightning"], "orage": ["tonnerre", "vent", "éclair"],
    "fog": ["mist"], "brouillard": ["brume"],
    "tense": ["tension"], "joyful": ["joy", "cheer"], "mysterious": ["mystery", "strange"], "epic": ["legend"],
}
MOOD_WORDS = {"tense", "joyful", "mysterious", "epic", "somber", "peaceful", "horror", "romantic", "dreamy"}
STOPWORDS = set(
    "a an the to of in on at and or but is are was were be been am i you he she it we they me my your his her its our "
    "their this that these those for with not no do does did have has had will would can could shall should so if then "
    "there here what who how why when where as by from up out all just now than too very "
    "le la les l un une des du de d à au aux et ou mais est sont suis es sommes êtes je tu il elle on nous vous ils "
    "elles me te se moi toi lui ce cet cette ces mon ma mes ton ta tes son sa ses notre nos votre vos leur leurs qui "
    "que qu quoi pas ne n y en pour par sur dans avec sans plus si s c j m t ça cela".split()
)
QUESTION_OPENERS = set(
    "who what why how where when which whose whom do does did is are was were am can could will would shall should "
    "have has had may might must ain't isn't aren't don't doesn't didn't won't wouldn't can't couldn't "
    "qui que quoi pourquoi comment où quand quel quelle quels quelles combien est-ce lequel laquelle".split()
)
ARCHETYPES = adapter.archetypes()
TRAITS = ["courage", "temper", "patience", "honesty", "humility", "cunning", "compassion", "anxiety"]
TYPES = ["conversation", "narrative", "conflict", "resolution", "intro", "outro"]


def character(archetype, n, **extra):
    names = {"hero": "Aria", "villain": "Malvor", "mentor": "Edda", "comic_relief": "Pip", "sidekick": "Tamsin",
             "antagonist": "Corvin", "protagonist": "Lena", "transformer": "Sable"}
    return {"character_id": f"{archetype}_{n}", "name": names.get(archetype, archetype.title()) + ("" if n == 1 else str(n)),
            "archetype": archetype, **extra}


def scene(archetype, partner, dialogue_type, context, num_lines, language="en", **traits):
    first = character(archetype, 1, personality_traits=traits) if traits else character(archetype, 1)
    cast = [first] if dialogue_type == "monologue" else [first, character(partner, 2)]
    return {"characters": cast, "context": context, "dialogue_type": dialogue_type, "num_lines": num_lines,
            "language": language}


def partner_of(archetype, n):
    others = [a for a in ARCHETYPES if a != archetype]
    return others[n % len(others)]


def words(text):
    return re.findall(r"[\w'’-]+", text.lower())


def context_terms(context):
    terms = set()
    for key, value in context.items():
        value = value.lower()
        if key == "location":
            terms.add(value)
            terms.update(w for w in words(value) if len(w) >= 4 and w not in STOPWORDS)
        elif key == "mood":
            terms.add(value)
        else:
            terms.update(w for w in words(value) if len(w) >= 3 and w not in STOPWORDS)
        for word in [value, *words(value)]:
            terms.update(SYNONYMS.get(word, []))
    return terms


def refers_to_context(text, terms):
    lowered = text.lower()
    return any(re.search(r"(?<!\w)" + re.escape(term) + r"(?!\w)", lowered) for term in terms)


def last_sentence(text):
    parts = re.split(r"(?<=[.!…])\s+", text.strip())
    return parts[-1] if parts else text


def is_question(line):
    return line["dialogue"].rstrip().endswith("?")


def statement_with_question_mark(line, names):
    """The line's last sentence ends in "?" and no clause of it (split at , : ; —) opens
    with a question word, an auxiliary or a French inversion: "It is beautiful?"."""
    sentence = last_sentence(line["dialogue"])
    if not sentence.rstrip().endswith("?"):
        return False
    lowered = sentence.lower().replace("’", "'")
    if re.search(r"\w-(tu|vous|il|elle|on|nous|ils|elles|je|t-il|t-elle)\b", lowered) or "est-ce" in lowered:
        return False
    # A short tag question ("..., no?", "..., right?", "..., hein ?") is a real question.
    if re.search(r"\b(no|right|eh|yes|non|hein|n'est-ce pas|d'accord|oui)\s*[?]\s*$", lowered):
        return False
    skip = {n.lower() for n in names} | {"so", "and", "but", "then", "well", "oh", "alors", "et", "mais", "bon", "donc"}
    for clause in re.split(r"[,:;—]", lowered):
        tokens = [w for w in words(clause) if w not in skip]
        if tokens and (tokens[0] in QUESTION_OPENERS or tokens[0].split("'")[0] in QUESTION_OPENERS):
            return False
    return True


def answered_share(dialogues):
    asked = answered = 0
    for lines in dialogues:
        for line, following in zip(lines, lines[1:]):
            if line["is_thought"] or not is_question(line) or not line.get("addressee"):
                continue
            asked += 1
            if following["character_id"] == line["addressee"] and not following["is_thought"] and (
                not is_question(following) or following.get("move") == "deflect"
            ):
                answered += 1
    return answered, asked


def corpus():
    """The fixed scenes: the original example over 200 seeds, every archetype in every type,
    and four-character scenes."""
    runs = [(dict(ORIGINAL, language="en"), seed) for seed in range(200)]
    for a_index, archetype in enumerate(ARCHETYPES):
        for t_index, dialogue_type in enumerate(TYPES):
            for n in range(2):
                context = CONTEXTS[(a_index + t_index + n) % len(CONTEXTS)]
                runs.append((scene(archetype, partner_of(archetype, t_index + n), dialogue_type, context, 16), 1000 + n))
    for n in range(24):
        cast = [character(ARCHETYPES[(n + k * 3) % len(ARCHETYPES)], k + 1) for k in range(4)]
        if len({c["archetype"] for c in cast}) < 4:
            continue
        params = {"characters": cast, "context": CONTEXTS[n % len(CONTEXTS)], "dialogue_type": TYPES[n % len(TYPES)],
                  "num_lines": 20, "language": "en", "template": ["linear", "multi_party"][n % 2]}
        runs.append((params, 1500 + n))
    return runs


def figures():
    out = {}
    dialogues, reused, total_lines, context_lines, names, fools, villain_lines, statements_q = [], 0, 0, 0, 0, 0, 0, 0
    original_endings_q = 0
    for params, seed in corpus():
        lines = adapter.generate(params, seed)
        dialogues.append(lines)
        terms = context_terms(params["context"])
        cast_names = [c["name"] for c in params["characters"]]
        by_id = {c["character_id"]: c for c in params["characters"]}
        frames_seen = set()
        for line in lines:
            total_lines += 1
            context_lines += refers_to_context(line["dialogue"], terms)
            listener = by_id.get(line.get("addressee") or "")
            if listener and listener["name"].lower() in line["dialogue"].lower():
                names += 1
            if by_id[line["character_id"]]["archetype"] == "villain":
                villain_lines += 1
                fools += bool(re.search(r"\b(fool|insect)s?\b", line["dialogue"].lower()))
            statements_q += statement_with_question_mark(line, cast_names)
            frame = line.get("frame")
            if frame is not None:
                reused += frame in frames_seen
                frames_seen.add(frame)
        if params is not None and params.get("dialogue_type") == "conflict" and params["characters"][0]["name"] == "Héros":
            original_endings_q += statement_with_question_mark(lines[-1], cast_names)
    answered, asked = answered_share(dialogues)
    out["questions_answered"] = {"answered": answered, "asked": asked, "share": round(answered / max(1, asked), 3)}
    out["lines_referring_to_context"] = {"lines": context_lines, "of": total_lines, "share": round(context_lines / total_lines, 3)}
    out["listener_named"] = round(names / total_lines, 3)
    out["villain_fool_or_insect"] = round(fools / max(1, villain_lines), 3)
    out["statements_ending_in_question_mark"] = statements_q
    out["frames_reused_within_a_dialogue"] = round(reused / total_lines, 3)
    out["original_example_last_line_statement_with_question_mark"] = original_endings_q
    out["original_example_mentions"] = mentions(["tonight", "this fight"])
    out["trait_changes"] = trait_changes()
    out["top_phrase_per_archetype"] = top_phrases()
    out["distinct_frames"] = adapter.distinct_frames()
    out["grammalecte_fr"] = grammalecte_errors()
    return out


def mentions(phrases):
    found = Counter()
    for seed in range(200):
        for line in adapter.generate(dict(ORIGINAL, language="en"), seed):
            for phrase in phrases:
                found[phrase] += phrase in line["dialogue"].lower()
    return dict(found)


def trait_changes():
    """The character's lines, 0.1 against 0.9 of one trait, same scenes and seeds."""
    result = {}
    for t_index, trait in enumerate(TRAITS):
        changed = total = 0
        for n in range(30):
            archetype = ARCHETYPES[(t_index + n) % len(ARCHETYPES)]
            dialogue_type = TYPES[n % len(TYPES)]
            context = CONTEXTS[n % len(CONTEXTS)]
            base = dict(archetype=archetype, partner=partner_of(archetype, n), dialogue_type=dialogue_type, context=context, num_lines=12)
            low = adapter.generate(scene(**base, **{trait: 0.1}), 500 + n)
            high = adapter.generate(scene(**base, **{trait: 0.9}), 500 + n)
            mine_low = [line["dialogue"] for line in low if line["character_id"] == f"{archetype}_1"]
            mine_high = [line["dialogue"] for line in high if line["character_id"] == f"{archetype}_1"]
            for index in range(max(len(mine_low), len(mine_high))):
                total += 1
                a = mine_low[index] if index < len(mine_low) else None
                b = mine_high[index] if index < len(mine_high) else None
                changed += a != b
        result[trait] = round(changed / max(1, total), 3)
    return result


def top_phrases():
    """Per archetype, over 100 twenty-line dialogues: the phrase in the most of its lines."""
    result = {}
    for archetype in ARCHETYPES:
        lines_with = Counter()
        count = 0
        for n in range(100):
            dialogue_type = TYPES[n % len(TYPES)]
            context = CONTEXTS[n % len(CONTEXTS)]
            params = scene(archetype, partner_of(archetype, n), dialogue_type, context, 20)
            masked = mask_terms(params)
            for line in adapter.generate(params, 2000 + n):
                if line["character_id"] != f"{archetype}_1":
                    continue
                count += 1
                lines_with.update(set(phrases_of(line["dialogue"], masked)))
        phrase, hits = lines_with.most_common(1)[0] if lines_with else ("", 0)
        result[archetype] = {"phrase": phrase, "share": round(hits / max(1, count), 3)}
    return result


def mask_terms(params):
    terms = {c["name"].lower() for c in params["characters"]}
    for value in params["context"].values():
        terms.update(words(value))
    return terms


def phrases_of(text, masked):
    tokens = [w for w in words(text)]
    found = []
    for size in (2, 3):
        for start in range(len(tokens) - size + 1):
            gram = tokens[start : start + size]
            if any(w in masked for w in gram) or all(w in STOPWORDS for w in gram):
                continue
            found.append(" ".join(gram))
    return found


def french_lines(limit=2000):
    if not adapter.languages_supported("fr"):
        return []
    lines = []
    seed = 0
    while len(lines) < limit:
        archetype = ARCHETYPES[seed % len(ARCHETYPES)]
        dialogue_type = (TYPES + ["monologue"])[seed % 7]
        context = CONTEXTS_FR[seed % len(CONTEXTS_FR)]
        extra = {}
        cast = scene(archetype, partner_of(archetype, seed), dialogue_type, context, 20, language="fr")
        for number, person in enumerate(cast["characters"]):
            person["pronouns"] = ["she", "he", ""][(seed + number) % 3]
        cast.update(extra)
        lines.extend(line["dialogue"] for line in adapter.generate(cast, 3000 + seed))
        seed += 1
    return lines[:limit]


def grammalecte_errors():
    lines = french_lines()
    if not lines:
        return "n/a: the writer has no French"
    if not shutil.which("grammalecte-cli"):
        return "n/a: grammalecte-cli is not installed"
    errors, examples = count_grammar_errors(lines)
    return {"lines": len(lines), "grammar_errors": errors, "examples": examples[:10]}


def count_grammar_errors(lines):
    """Grammalecte's grammar errors (spelling is not counted: invented names are not words)."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
        path = f.name
    try:
        output = subprocess.run(["grammalecte-cli", "-f", path, "-j"], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(path)
    errors, examples = 0, []
    for paragraph in json.loads(output)["data"]:
        for error in paragraph["lGrammarErrors"]:
            errors += 1
            text = lines[paragraph["iParagraph"] - 1]
            examples.append(f"{text!r}: {error['sMessage']}")
    return errors, examples


if __name__ == "__main__":
    report(figures, __doc__.splitlines()[0])
