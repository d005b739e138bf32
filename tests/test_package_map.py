"""docs/ganlib.md's table of modules is the package's map: it names every module, and only modules
that exist, so that a module added or removed without the table fails here."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def modules_in_the_table():
    text = (ROOT / "docs" / "ganlib.md").read_text(encoding="utf-8")
    section = text.split("## The modules", 1)[1].split("\n## ", 1)[0]
    return {match.group(1) for match in re.finditer(r"^\| `(\w+)` \|", section, flags=re.MULTILINE)}


def test_the_module_table_names_every_module_and_no_other():
    modules = {path.stem for path in (ROOT / "ganlib").glob("*.py") if not path.stem.startswith("__")}
    listed = modules_in_the_table()
    missing, unknown = sorted(modules - listed), sorted(listed - modules)
    assert not missing, f"modules missing from docs/ganlib.md's table: {missing}"
    assert not unknown, f"docs/ganlib.md's table names modules that do not exist: {unknown}"
