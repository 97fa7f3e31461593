"""Every module of the quiz engine imports on its own, first in a fresh process.

The question kinds build on the file formats (GIFT, Moodle XML) and the formats ask the kinds'
registry only when a file is read or written: a module taking a name from a half-loaded one
fails only in the process that happens to import it first, which Django's own start-up order
hides from every other test.
"""

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import assessments

ROOT = Path(assessments.__file__).resolve().parent.parent
# Modules that need Django's app registry stop there, which is not what this test is about.
IMPORT_FIRST = """
import importlib, sys
from django.core.exceptions import AppRegistryNotReady, ImproperlyConfigured
try:
    importlib.import_module(sys.argv[1])
except (AppRegistryNotReady, ImproperlyConfigured):
    print("needs Django")
else:
    print("imported")
"""


def engine_modules() -> list[str]:
    found = pkgutil.walk_packages(assessments.__path__, prefix="assessments.")
    return sorted(
        module.name
        for module in found
        if not any(part in module.name for part in (".tests", ".migrations", ".management"))
    )


def import_first(module: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", IMPORT_FIRST, module],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        check=False,
    )


@pytest.mark.parametrize("module", engine_modules())
def test_each_module_imports_first_in_a_fresh_process(module):
    result = import_first(module)
    assert result.returncode == 0, f"importing {module} first fails:\n{result.stderr}"


@pytest.mark.parametrize(
    "module", ["assessments.gift", "assessments.moodle_xml", "assessments.kinds.essay"]
)
def test_the_formats_and_kinds_load_without_django_at_all(module):
    # Imported, not merely stopped at Django's door: the cycle lived among these.
    assert import_first(module).stdout.strip() == "imported"
