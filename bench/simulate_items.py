"""Print the item statistics of simulated readers and guessers for every quiz of the shipped
course, and what test-wise non-readers score (bench/item_simulation.py says how), in a
throwaway SQLite database.

    .venv/bin/python bench/simulate_items.py [--readers 200] [--guessers 200] [--testwise 200]
        [--seed 1]
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument("--guessers", type=int, default=200)
    parser.add_argument("--testwise", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    # Set before Django starts: the models then load against the throwaway database.
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = f"sqlite:///{Path(tempfile.mkdtemp()) / 'items.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courseware.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from assessments.course_io import course_import
    from bench.item_simulation import report, simulate

    call_command("migrate", verbosity=0)
    course, _ = course_import(ROOT / "fixtures" / "military-diplomacy")
    for quiz in course.quizzes.order_by("-kind", "module__position"):
        print(
            report(
                simulate(
                    quiz,
                    readers=args.readers,
                    guessers=args.guessers,
                    testwise=args.testwise,
                    seed=args.seed,
                )
            )
        )
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
