"""Core is the bottom layer: it imports nothing above it, and its modules import each other in
one direction only (imports inside functions count: they hide a circle, they do not remove it)."""

import ast
from pathlib import Path

import sportel

SRC = Path(sportel.__file__).parent
CORE = SRC / "core"
ABOVE_CORE = ("sportel.accounts", "sportel.web", "sportel.services", "sportel.documents")
WIRING = ("sportel.demo", "sportel.settings", "sportel.urls", "sportel.api", "sportel.cli")


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every sportel module ``path`` imports, at module level or inside functions."""
    package = module_name(path).rpartition(".")[0]
    if path.name == "__init__.py":
        package = module_name(path)
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.add(target)
            # "from . import tasks" names a module, not an attribute
            found |= {f"{target}.{alias.name}" for alias in node.names}
    return {name for name in found if name.startswith("sportel")}


def core_modules() -> dict[str, Path]:
    return {module_name(p): p for p in CORE.rglob("*.py") if "migrations" not in p.parts}


def test_core_imports_nothing_above_it():
    offenders = {
        name: sorted(i for i in imports_of(path) if i.startswith(ABOVE_CORE + WIRING))
        for name, path in core_modules().items()
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_core_modules_have_no_import_circle():
    modules = core_modules()
    graph = {
        name: {i for i in imports_of(path) if i in modules and i != name}
        for name, path in modules.items()
    }
    circles = []

    def visit(node: str, trail: list[str]) -> None:
        for nxt in graph[node]:
            if nxt in trail:
                circles.append([*trail[trail.index(nxt) :], nxt])
            elif nxt not in done:
                visit(nxt, [*trail, nxt])
        done.add(node)

    done: set[str] = set()
    for start in graph:
        if start not in done:
            visit(start, [start])
    assert circles == []


def test_modules_register_their_demo_data_with_core_not_with_the_wiring():
    for app in ("accounts", "services", "documents", "web"):
        for path in (SRC / app).rglob("*.py"):
            assert "sportel.demo" not in imports_of(path), path


# The applications above core (issue 7): their modules import each other in one direction, and
# only the modules that serve pages or the API import the web layer.
APPS = ("accounts", "services", "documents", "web")
FACING_THE_WEB = ("views", "forms", "urls", "api", "apps", "web_links", "templatetags", "admin")


def _app_modules(app: str) -> dict[str, Path]:
    return {module_name(p): p for p in (SRC / app).rglob("*.py") if "migrations" not in p.parts}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    done: set[str] = set()
    circles = []

    def visit(node: str, trail: list[str]) -> None:
        for nxt in graph[node]:
            if nxt in trail:
                circles.append([*trail[trail.index(nxt) :], nxt])
            elif nxt not in done:
                visit(nxt, [*trail, nxt])
        done.add(node)

    for start in graph:
        if start not in done:
            visit(start, [start])
    return circles


def test_no_import_circle_inside_an_application():
    for app in APPS:
        modules = _app_modules(app)
        graph = {
            name: {i for i in imports_of(path) if i in modules and i != name}
            for name, path in modules.items()
        }
        assert _circles(graph) == [], app


def test_domain_modules_do_not_import_the_web_layer():
    offenders = {}
    for app in ("accounts", "services", "documents"):
        for name, path in _app_modules(app).items():
            last = name.rsplit(".", 1)[-1]
            if any(part in FACING_THE_WEB for part in name.split(".")) or last.endswith(
                ("views", "_urls")
            ):
                continue
            found = sorted(i for i in imports_of(path) if i.startswith("sportel.web"))
            if found:
                offenders[name] = found
    assert offenders == {}


def test_no_import_circle_in_any_application_nor_between_them():
    """Every module of src/sportel, imports inside functions included (reports' services and
    tasks once imported each other from inside functions)."""
    modules = {module_name(p): p for p in SRC.rglob("*.py") if "migrations" not in p.parts}
    graph = {
        name: {i for i in imports_of(path) if i in modules and i != name}
        for name, path in modules.items()
    }
    assert _circles(graph) == []
