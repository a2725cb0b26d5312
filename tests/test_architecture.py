"""The layering contract: stages import downward only; ui/, eval/ and train/ use the public API.

Read from the source (every import statement, those inside functions included), so a lazy
import cannot hide an upward dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Highest first. A module belongs to the layer of its longest matching prefix; it may import
# its own layer and any layer below, never one above.
LAYERS = (
    ("qa.cli",),
    ("qa.api", "qa.pool"),
    ("qa.shared",),
    ("qa.pipeline",),
    ("qa.bundle",),
    ("qa.answering",),
    ("qa.reading.baselines",),  # the earlier readers build on the neural reader's parts
    ("qa.reading",),
    ("qa.retrieval",),
    ("qa.indexing",),
    ("qa.documents",),
    (
        "qa.flags",
        "qa.environment",
        "qa.model_files",
        "qa.validation",
        "qa.checksums",
        "qa.settings",
        "qa.types",
    ),
)
# What ui/, eval/ and train/ may import: the package, its top modules and each stage's package
# (its __init__ names the stage's public API), never a module inside a stage.
PUBLIC = {"qa", *(name for layer in LAYERS for name in layer)}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports (``from a.b import c`` counts as a.b and a.b.c)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def layer_of(module: str) -> int | None:
    """The index of ``module``'s layer in LAYERS (0 is the top), None outside qa."""
    best: tuple[int, int] | None = None
    for rank, layer in enumerate(LAYERS):
        for prefix in layer:
            inside = module == prefix or module.startswith(prefix + ".")
            if inside and (best is None or len(prefix) > best[1]):
                best = (rank, len(prefix))
    return None if best is None else best[0]


def sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_stages_import_downward_only():
    upward = []
    for path in sources("qa"):
        module = module_name(path)
        if module == "qa":  # the package re-exports the public API from the top
            continue
        own = layer_of(module)
        assert own is not None, f"{module} is in no layer of tests/test_architecture.py"
        for target in imports(path):
            rank = layer_of(target)
            if rank is not None and rank < own:
                upward.append(f"{module} imports {target}")
    assert upward == []


def test_the_library_never_imports_its_applications():
    # qa.cli dispatches `qa eval` and `qa serve` to their packages; nothing else in qa may.
    found = [
        f"{module_name(path)} imports {target}"
        for path in sources("qa")
        if module_name(path) != "qa.cli"
        for target in imports(path)
        if target.split(".")[0] in ("ui", "eval", "train")
    ]
    assert found == []


def test_applications_use_the_public_api():
    private = []
    for folder in ("ui", "eval", "train"):
        for path in sources(folder):
            for target in imports(path):
                if target.split(".")[0] != "qa":
                    continue
                # `from qa.reading import NeuralReader` also records qa.reading.NeuralReader.
                parent = target.rsplit(".", 1)[0]
                if target not in PUBLIC and parent not in PUBLIC:
                    private.append(f"{module_name(path)} imports {target}")
    assert private == []


def test_the_contract_sees_an_upward_import(tmp_path):
    """The checker itself: a documents module importing the pipeline is caught."""
    path = ROOT / "qa" / "documents" / "corpus.py"
    assert layer_of("qa.pipeline") < layer_of(module_name(path))
    fake = tmp_path / "m.py"
    fake.write_text("def f():\n    from qa.pipeline import Pipeline\n", encoding="utf-8")
    assert "qa.pipeline" in imports(fake)
