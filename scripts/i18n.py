"""Message catalogues: `extract` (pot + update zh.po), `apply FILE.json` (merge translations), `compile`, `missing`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "market" / "translations"
PO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
PYBABEL = str(Path(sys.executable).with_name("pybabel"))


def extract() -> None:
    """Extract every _() string from code and templates and merge into the Chinese catalogue."""
    pot = TRANSLATIONS / "messages.pot"
    subprocess.run([PYBABEL, "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext",
                    "--no-location", "-o", str(pot), str(ROOT)], check=True, capture_output=True)
    subprocess.run([PYBABEL, "update", "--no-fuzzy-matching", "--ignore-obsolete", "-i", str(pot), "-d", str(TRANSLATIONS), "-l", "zh"],
                   check=True, capture_output=True)


def missing() -> list[str]:
    """The msgids with no Chinese yet."""
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    return [m.id for m in catalog if m.id and not m.string]


def apply(path: str) -> None:
    """Merge a JSON object {english: chinese} into the catalogue."""
    table = json.loads(Path(path).read_text())
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    for message in catalog:
        if message.id in table:
            message.string = table[message.id]
            message.flags.discard("fuzzy")
    with PO.open("wb") as handle:
        write_po(handle, catalog, width=0)


def compile_catalogue() -> None:
    """Compile messages.po into messages.mo (what the app reads)."""
    subprocess.run([PYBABEL, "compile", "-d", str(TRANSLATIONS), "-l", "zh"], check=True, capture_output=True)


if __name__ == "__main__":
    verb = sys.argv[1] if len(sys.argv) > 1 else "missing"
    if verb == "extract":
        extract()
    elif verb == "apply":
        apply(sys.argv[2])
    elif verb == "compile":
        compile_catalogue()
    else:
        print(json.dumps(missing(), ensure_ascii=False, indent=1))
