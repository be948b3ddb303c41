"""The apps form layers, and an app imports only the apps below it, so their imports hold no cycle.

What an app needs from an app above it, it reaches by name through Django's registries (a model
by its label, each app's `db_access` module), never by an import. Every import counts, one inside
a function or under `if TYPE_CHECKING:` too; tests and migrations are left out (a test may set up
rows of any app). `config`, the project package, is not an app: any app may import it.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from django.apps import apps

from config.tests.command_line import PROJECT_DIR

# Bottom to top; the apps of one layer do not import each other.
LAYERS = (
    ("clubs",),
    ("audit",),
    ("members",),
    ("facilities", "classes"),
    ("bookings",),
    ("desk", "schedule", "reports", "two_factor"),
    ("access", "staff_auth"),
    ("demo",),
)
LAYER_OF = {app: level for level, layer in enumerate(LAYERS) for app in layer}


@dataclass(frozen=True)
class AppImport:
    module: str  # the importing file, relative to the project
    line: int
    importer: str
    imported: str
    name: str  # the module named by the import

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.name}"


def imported_names(source: str) -> Iterator[tuple[int, str]]:
    """(line, module) of every absolute import in the source, wherever it stands."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0:  # a relative import stays in its app
            yield node.lineno, node.module


def app_modules(app: str) -> Iterator[Path]:
    for path in sorted((PROJECT_DIR / app).rglob("*.py")):
        parts = path.relative_to(PROJECT_DIR / app).parts
        if "tests" in parts or "migrations" in parts or path.name.startswith("test_") or path.name == "conftest.py":
            continue
        yield path


def cross_app_imports() -> list[AppImport]:
    found = []
    for importer in sorted(LAYER_OF):
        for path in app_modules(importer):
            for line, name in imported_names(path.read_text()):
                imported = name.split(".")[0]
                if imported in LAYER_OF and imported != importer:
                    found.append(AppImport(str(path.relative_to(PROJECT_DIR)), line, importer, imported, name))
    return found


def below(app: str) -> list[str]:
    return [lower for layer in LAYERS[: LAYER_OF[app]] for lower in layer]


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as its path (first app repeated at the end), or None."""
    done: set[str] = set()

    def visit(app: str, path: list[str]) -> list[str] | None:
        if app in path:
            return path[path.index(app) :] + [app]
        if app in done:
            return None
        for imported in sorted(edges.get(app, ())):
            if cycle := visit(imported, [*path, app]):
                return cycle
        done.add(app)
        return None

    for app in sorted(edges):
        if cycle := visit(app, []):
            return cycle
    return None


def test_the_layers_name_every_app_of_the_project():
    project_apps = {config.name for config in apps.get_app_configs() if Path(config.path).parent == PROJECT_DIR}
    assert project_apps == set(LAYER_OF)


def test_every_import_is_seen_inside_functions_and_from_imports_included():
    source = "import clubs.models\n\ndef seed():\n    from members.models import Member\n    from . import sibling\n"
    assert list(imported_names(source)) == [(1, "clubs.models"), (4, "members.models")]


def test_the_imports_between_apps_form_no_cycle():
    edges: dict[str, set[str]] = defaultdict(set)
    evidence: dict[tuple[str, str], AppImport] = {}
    for found in cross_app_imports():
        edges[found.importer].add(found.imported)
        evidence.setdefault((found.importer, found.imported), found)
    cycle = find_cycle(edges)
    assert cycle is None, "import cycle {}: {}".format(
        " -> ".join(cycle), "; ".join(str(evidence[step]) for step in pairwise(cycle))
    )


def test_each_app_imports_only_the_apps_below_it():
    upward = [
        f"{found}: {found.importer} may import only {', '.join(below(found.importer)) or 'no other app'}"
        for found in cross_app_imports()
        if LAYER_OF[found.imported] >= LAYER_OF[found.importer]
    ]
    assert not upward, "\n".join(upward)
