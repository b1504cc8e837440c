"""What a ComfyUI user gets from the prompt enhancer, as figures (docs/prompt.md).

    .venv/bin/python -m bench.prompt_quality [--json FILE]

Over a fixed sample of requests (every style with every lighting, mood, quality and camera
drawn by a seeded generator, on fixed base prompts), with tokens counted by CLIP's own
tokenizer (automation/generators/clip_tokens.py):

- tokens added: the enhanced prompt's tokens minus the base prompt's (median, p95, max);
- one window: the share of enhanced prompts of a 28-token base that fit 75 tokens;
- weak tags: prompts holding a tag of WEAK (filler a model ignores or reads wrongly);
- shared words: prompts where two added tags share a content word (singular form);
- contradictions: prompts with a positive tag that a tag of the negative prompt forbids
  (every word of the negative tag is in it: "blurry" forbids "motion blur", "natural"
  forbids "natural lighting"), and prompts with a negation ("no shading") in the positive;
- sizes: width x height per quality level (and model family, when the enhancer has them)
  for a square, a portrait and a landscape subject;
- text kept out: styles whose negative names text or watermarks;
- variants: distinct colours among `variants: 3` of "a {red|blue|golden} dragon in
  __fantasy/race__ land", 20 seeds.
"""
import os
import random
import re
import statistics

import django

from bench.figures import report

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()

from automation.catalog import prompt_catalog  # noqa: E402
from automation.generators.clip_tokens import count_tokens  # noqa: E402
from automation.generators.prompt import enhance, enhance_request  # noqa: E402
from automation.generators.prompt_tags import split_tags  # noqa: E402

BASES = [
    "A knight in shining armor",
    "portrait of a young woman with silver hair, anime",
    "a street vendor at night, rain, photo",
    "a cyberpunk city skyline",
    "a watercolour of a lighthouse on a cliff",
]
BASE_28 = "an old fisherman mending a red net on a wooden pier at dawn, gulls overhead, calm sea, distant lighthouse, morning mist"
WEAK = {"balanced mood", "good quality", "8k", "faded memories", "4k", "best quality", "masterpiece", "award winning",
        "trending on artstation", "high quality", "ultra detailed", "sketch quality", "hd", "uhd"}
NEGATIONS = re.compile(r"\b(no|not|without|non)\b|\bno-", re.IGNORECASE)
STOP = {"a", "an", "the", "of", "and", "in", "on", "with", "to", "at", "by", "for", "from", "shot", "view", "light", "lighting"}
SAMPLES = 3000


def words(tag):
    """A tag's content words, roughly stemmed: plural -s, adjective -y/-ed dropped."""
    out = set()
    for word in re.findall(r"[a-z0-9]+", tag.lower().replace("'s", "")):
        if word in STOP:
            continue
        if word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        for ending in ("ed", "y"):
            if len(word) > len(ending) + 3 and word.endswith(ending):
                word = word[: -len(ending)]
                word = word[:-1] if ending == "y" and word[-1] == word[-2] else word
                break
        out.add(word)
    return out


def sample_requests():
    catalog = prompt_catalog()
    rng = random.Random(0)
    options = {key: sorted(catalog[key]) for key in ("styles", "lighting", "moods", "quality", "camera")}
    for n in range(SAMPLES):
        yield {
            "base_prompt": BASES[n % len(BASES)] if n % 2 else BASE_28,
            "style": options["styles"][n % len(options["styles"])],
            "lighting": rng.choice(options["lighting"]),
            "mood": rng.choice(options["moods"]),
            "quality": rng.choice(options["quality"]),
            "camera": rng.choice(options["camera"] + [None]),
        }


def added_tags(result):
    return [tag for key in ("style_tags", "lighting_tags", "mood_tags", "quality_tags", "camera_tags") for tag in result[key]]


def figures():
    added, fits, fits_of = [], 0, 0
    weak = shared = contradictions = negations = 0
    for request in sample_requests():
        result = enhance(**request)
        prompt = result["enhanced_prompt"]
        added.append(count_tokens(prompt) - count_tokens(request["base_prompt"]))
        if request["base_prompt"] == BASE_28:
            fits_of += 1
            fits += count_tokens(prompt) <= 75
        tags = added_tags(result)
        weak += any(tag.lower() in WEAK for tag in tags)
        pairs = [(a, b) for i, a in enumerate(tags) for b in tags[i + 1 :] if words(a) & words(b)]
        shared += bool(pairs)
        negatives = [words(t) for t in split_tags(result["negative_prompt"])]
        contradictions += any(no and no <= words(tag) for tag in tags for no in negatives)
        negations += bool(NEGATIONS.search(", ".join(tags)))
    added.sort()
    catalog = prompt_catalog()
    sizes = {}
    families = list(catalog.get("model_families", {})) or [None]
    for family in families:
        for name in catalog["quality"]:
            for base in ("a red apple", "portrait of a knight", "a city skyline"):
                extra = {"model_family": family} if family else {}
                result = enhance(base_prompt=base, style="realistic", lighting="soft", mood="peaceful", quality=name, **extra)
                size = f"{result['settings']['width']}x{result['settings']['height']}"
                sizes.setdefault(f"{family or 'default'} {name}", []).append(size)
    text_out = sum(bool(re.search(r"\b(text|watermark)", style["negative"])) for style in catalog["styles"].values())
    colours = []
    for seed in range(20):
        result = enhance_request(params={"base_prompt": "a {red|blue|golden} dragon in __fantasy/race__ land", "style": "fantasy",
                                         "lighting": "natural", "mood": "neutral", "quality": "standard", "variants": 3,
                                         "seed": seed, "provider": "builtin"})  # fmt: skip
        colours.append(len({re.search(r"(red|blue|golden)", v["expanded_prompt"]).group(1) for v in result["variants"]}))
    return {
        "requests": SAMPLES,
        "tokens_added": {"median": statistics.median(added), "p95": added[int(0.95 * len(added))], "max": added[-1]},
        "base_28_within_75_tokens": round(fits / fits_of, 3),
        "prompts_with_a_weak_tag": round(weak / SAMPLES, 3),
        "prompts_with_two_tags_sharing_a_word": round(shared / SAMPLES, 3),
        "prompts_with_a_tag_the_negative_forbids": round(contradictions / SAMPLES, 3),
        "prompts_with_a_negation": round(negations / SAMPLES, 3),
        "sizes_per_quality": sizes,
        "styles_keeping_text_out": f"{text_out} of {len(catalog['styles'])}",
        "variants_distinct_colours_of_3": {"all_three": sum(c == 3 for c in colours), "of_seeds": len(colours)},
    }


if __name__ == "__main__":
    report(figures, __doc__.splitlines()[0])
