"""``makemessages`` that knows what is not interface: the catalogue holds what people read in
the app, never the tests, the benchmarks, the docs or a course's own files.

``manage.py makemessages -l fr`` then refreshes locale/fr with the options the catalogue
is kept in (docs/translating.md).
"""

from django.core.management.commands import makemessages

NOT_INTERFACE = [
    "bench/*",
    "docs/*",
    "fixtures/*",
    "media/*",
    "staticfiles/*",
    "tests/*",
    "*/tests/*",
    "courses/*",
]


class Command(makemessages.Command):
    def handle(self, *args, **options):
        options["ignore_patterns"] = [*options.get("ignore_patterns", []), *NOT_INTERFACE]
        # Each message names the files it comes from, not the lines: an edit elsewhere in
        # a file does not churn the catalogue.
        if options.get("add_location") is None and not options.get("no_location"):
            options["add_location"] = "file"
        # A message the code no longer says leaves the catalogue instead of lingering in it.
        options["no_obsolete"] = True
        super().handle(*args, **options)
