"""The layout a newcomer reads (issue 14): the README names every module of the app, and view
modules share code through `views/common.py` or a concern's module, never by importing each
other."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "briefs"


def layout_section() -> str:
    text = (ROOT / "README.md").read_text()
    return text.split("## Layout", 1)[1].split("\n## ", 1)[0]


def layout_rows() -> list[str]:
    """The first cell of each row of the Layout table, as written: `views/brief.py`."""
    return re.findall(r"^\| `([^`]+)` \|", layout_section(), flags=re.MULTILINE)


def app_modules() -> set[str]:
    """Every module a newcomer may open; migrations and the commands are listed as folders."""
    skipped = ("migrations/", "management/commands/")
    return {
        path.relative_to(APP).as_posix()
        for path in APP.rglob("*.py")
        if path.name != "__init__.py" and not path.relative_to(APP).as_posix().startswith(skipped)
    }


def test_the_readme_layout_gives_every_app_module_one_line() -> None:
    rows = layout_rows()
    assert len(rows) == len(set(rows)), (
        f"named twice: {sorted(r for r in rows if rows.count(r) > 1)}"
    )
    assert app_modules() - set(rows) == set(), "modules the README's Layout does not name"


def test_the_readme_layout_names_no_module_that_is_gone() -> None:
    files = {row for row in layout_rows() if row.endswith(".py")}
    assert files - app_modules() == set(), "the README's Layout names modules that do not exist"
    folders = {row for row in layout_rows() if row.endswith("/")}
    assert all((APP / folder).is_dir() for folder in folders)


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_view_module_imports_another_view_module() -> None:
    views = sorted((APP / "views").glob("*.py"))
    names = {f"briefs.views.{path.stem}" for path in views} - {"briefs.views.__init__"}
    shared = {"briefs.views.common"}
    crossings = {
        path.name: sorted((imported_modules(path) & names) - shared - {f"briefs.views.{path.stem}"})
        for path in views
    }
    assert len(names) >= 5
    assert {name: found for name, found in crossings.items() if found} == {}
