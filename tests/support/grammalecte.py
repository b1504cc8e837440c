"""French checked by Grammalecte (Debian's grammalecte-cli, installed by bin/test): its
grammar and typography errors, and spelling errors other than the names the tests use."""
import json
import shutil
import subprocess
import tempfile

NAMES = {"aria", "malvor", "élise", "héros", "sam", "valombre", "méchant", "edda", "pip", "tamsin", "corvin", "lena", "sable"}


def grammar_errors(lines: list[str]) -> list[str]:
    """One message per error, naming the line; [] when every line is clean."""
    if shutil.which("grammalecte-cli") is None:
        raise RuntimeError("grammalecte-cli is missing: bin/test installs it (apt-get install grammalecte-cli)")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8") as f:
        # A blank line between lines: each is its own paragraph, numbered as the list.
        f.write("\n\n".join(lines) + "\n")
        f.flush()
        output = subprocess.run(["grammalecte-cli", "-f", f.name, "-j"], capture_output=True, text=True, check=True).stdout
    errors = []
    for paragraph in json.loads(output)["data"]:
        text = lines[(paragraph["iParagraph"] - 1) // 2] if paragraph["iParagraph"] % 2 else "?"
        for error in paragraph["lGrammarErrors"]:
            errors.append(f"{text!r}: {error['sMessage']} ({error['sRuleId']})")
        for error in paragraph["lSpellingErrors"]:
            if error["sValue"].lower().rstrip("0123456789") not in NAMES:
                errors.append(f"{text!r}: spelling of {error['sValue']!r}")
    return errors
