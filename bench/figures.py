"""The command line of the quality scripts (bench.dialogue_quality, bench.prompt_quality):
print the figures as JSON, and write them to --json FILE when asked."""
import argparse
import json


def report(figures, description: str) -> None:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    text = json.dumps(figures(), ensure_ascii=False, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            f.write(text + "\n")
