"""Reports read in a terminal and on an admin page (a document's draft, a course import's
plan): the same lines, in the reader's language, as plain text or as HTML.

A report's own sentences are translated; what it quotes stays as it is: the document's
text, file names, and the messages of the file readers, which stay in English
(docs/translating.md). On a page those are marked ``lang="en"`` (a screen reader reads them
as English), and everything is escaped.
"""

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe


class PlainText:
    """Lines for a terminal or a text file."""

    def line(self, template, **values) -> str:
        """``template`` (a translated message) with its ``%(name)s`` placeholders filled."""
        return str(template) % values if values else str(template)

    def quoted(self, text) -> str:
        """Words the report quotes, not its own: a file's, a document's, a reader's message."""
        return str(text)

    def join(self, lines: list[str]) -> str:
        return "\n".join(lines) + "\n"


class Html(PlainText):
    """Lines for a ``<pre>`` of a page: escaped, quoted words marked as English."""

    def line(self, template, **values) -> str:
        template = conditional_escape(str(template))
        if not values:
            return template
        values = {
            name: value if isinstance(value, int) else conditional_escape(value)
            for name, value in values.items()
        }
        return mark_safe(template % values)

    def quoted(self, text) -> str:
        return format_html('<span lang="en">{}</span>', text) if str(text) else ""

    def join(self, lines: list[str]) -> str:
        return mark_safe("\n".join(conditional_escape(line) for line in lines) + "\n")


PLAIN = PlainText()
HTML = Html()
