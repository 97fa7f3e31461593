"""Every module of the quiz engine imports on its own, first of the project's modules.

The question kinds build on the file formats (GIFT, Moodle XML) and the formats ask the kinds'
registry only when a file is read or written: a module taking a name from a half-loaded one
fails only in the process that happens to import it first, which Django's own start-up order
hides from every other test.

One fresh process imports each module in turn, after dropping every module of the project
from ``sys.modules``: each import starts as it would in a process of its own, without paying
for a Python start per module.
"""

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import assessments

ROOT = Path(assessments.__file__).resolve().parent.parent
PROJECT = ("assessments", "lessons", "progress", "courseware", "bench")
# Modules that need Django's app registry stop at its door, which is not what this is about.
IMPORT_EACH_FIRST = """
import importlib, json, sys, traceback
from django.core.exceptions import AppRegistryNotReady, ImproperlyConfigured

project, outcomes = sys.argv[1].split(","), {}
for module in sys.argv[2:]:
    for name in [n for n in sys.modules if n.split(".")[0] in project]:
        del sys.modules[name]
    try:
        importlib.import_module(module)
    except (AppRegistryNotReady, ImproperlyConfigured):
        outcomes[module] = "needs Django"
    except Exception:
        outcomes[module] = traceback.format_exc()
    else:
        outcomes[module] = "imported"
print(json.dumps(outcomes))
"""


def engine_modules() -> list[str]:
    found = pkgutil.walk_packages(assessments.__path__, prefix="assessments.")
    return sorted(
        module.name
        for module in found
        if not any(part in module.name for part in (".tests", ".migrations", ".management"))
    )


@pytest.fixture(scope="module")
def outcomes() -> dict[str, str]:
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EACH_FIRST, ",".join(PROJECT), *engine_modules()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        check=True,
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize("module", engine_modules())
def test_each_module_imports_first(outcomes, module):
    assert outcomes[module] in ("imported", "needs Django"), f"{module}:\n{outcomes[module]}"


@pytest.mark.parametrize(
    "module", ["assessments.gift", "assessments.moodle_xml", "assessments.kinds.essay"]
)
def test_the_formats_and_kinds_load_without_django_at_all(outcomes, module):
    # Imported, not merely stopped at Django's door: the cycle lived among these.
    assert outcomes[module] == "imported"
