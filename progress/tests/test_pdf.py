"""The certificate PDF, read back the way a PDF viewer reads it."""

import base64
import re
import zlib
from datetime import UTC, datetime

import pytest

from progress.models import Certificate
from progress.pdf import certificate_pdf

VERIFY_URL = "http://testserver/certificates/ABCD-EFGH-JKMN-PQRS/"

# --- Reading a PDF back ---------------------------------------------------------
# Just enough of PDF for what ReportLab writes: numbered objects, streams that
# are Flate- (and ASCII85-) encoded, TrueType subsets whose ToUnicode maps say
# which character each code stands for, and text shown with Tj.


def _objects(data: bytes) -> dict[bytes, bytes]:
    return dict(re.findall(rb"(\d+) 0 obj\s*(.*?)\s*endobj", data, re.S))


STREAM = re.compile(rb">>\s*stream\r?\n")


def _stream(body: bytes) -> bytes:
    start = STREAM.search(body)
    header = body[: start.start()]
    length = int(re.search(rb"/Length (\d+)", header)[1])
    raw = body[start.end() : start.end() + length]
    if b"/ASCII85Decode" in header:
        raw = base64.a85decode(re.sub(rb"\s", b"", raw).removesuffix(b"~>"))
    if b"/FlateDecode" in header:
        raw = zlib.decompress(raw)
    return raw


def _to_unicode(cmap: bytes) -> dict[int, str]:
    pairs = re.findall(rb"<([0-9A-Fa-f]{2})> <([0-9A-Fa-f]{4})>", cmap)
    return {int(code, 16): chr(int(char, 16)) for code, char in pairs if int(char, 16)}


def _unescape(literal: bytes) -> bytes:
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}

    def one(match: re.Match) -> bytes:
        escaped = match[1]
        if escaped[:1].isdigit():
            return bytes([int(escaped, 8)])
        return escapes.get(escaped, escaped)

    return re.sub(rb"\\([0-7]{1,3}|.)", one, literal, flags=re.S)


def _decoded_streams(data: bytes) -> list[bytes]:
    """Page contents and character maps; embedded font programs (with /Length1) left out."""
    bodies = _objects(data).values()
    return [_stream(body) for body in bodies if STREAM.search(body) and b"/Length1" not in body]


def pdf_text(data: bytes) -> list[str]:
    """Every string the PDF shows, decoded to Unicode, in drawing order."""
    objects = _objects(data)
    fonts = {}
    for name, number in re.findall(rb"/(F\d+(?:\+\d+)?) (\d+) 0 R", data):
        to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", objects[number])
        fonts[name] = _to_unicode(_stream(objects[to_unicode[1]])) if to_unicode else {}
    shown = []
    for content in _decoded_streams(data):
        font: dict[int, str] = {}
        for name, literal in re.findall(rb"/(\S+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj", content):
            if name:
                font = fonts.get(name, {})
            else:
                shown.append("".join(font.get(code, chr(code)) for code in _unescape(literal)))
    return shown


# --- The certificate ---------------------------------------------------------------


def certificate(**fields) -> Certificate:
    values = {
        "code": "ABCD-EFGH-JKMN-PQRS",
        "learner_name": "Zoë Ångström",
        "course_title": "Military Diplomacy and Regional Security",
        "issued_at": datetime(2025, 3, 3, 9, 0, tzinfo=UTC),
    }
    return Certificate(**(values | fields))


def test_it_is_one_a4_landscape_page():
    data = certificate_pdf(certificate(), verify_url=VERIFY_URL)

    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    assert b"/Count 1 " in data
    assert b"/MediaBox [ 0 0 841.8898 595.2756 ]" in data  # A4, wider than tall


def test_it_shows_the_certificate_as_issued():
    shown = pdf_text(certificate_pdf(certificate(), verify_url=VERIFY_URL))

    assert "Certificate of completion" in shown
    assert "Zoë Ångström" in shown
    assert "Military Diplomacy and Regional Security" in shown
    assert "Issued on 3 March 2025" in shown
    assert "ABCD-EFGH-JKMN-PQRS" in shown
    assert VERIFY_URL in shown


@pytest.mark.parametrize("name", ["Zoë Ångström", "Łucja Čapek", "Ada Lovelace"])
def test_names_render_in_a_font_embedded_in_the_file(name):
    data = certificate_pdf(certificate(learner_name=name), verify_url=VERIFY_URL)

    assert name in pdf_text(data)
    # Every font the page uses travels inside the file: no reader-supplied Helvetica,
    # which could not draw "Ł" or "Č" and would differ from reader to reader.
    fonts = re.findall(rb"/BaseFont /(\S+)", data)
    assert fonts
    assert all(font.startswith(b"AAAAAA+BitstreamVera") for font in fonts)
    assert data.count(b"/FontFile2") == len(fonts)


def test_a_long_title_is_wrapped_rather_than_cut():
    title = "The Role of Military Diplomacy in Shaping Regional Security Architecture " * 2

    shown = pdf_text(certificate_pdf(certificate(course_title=title), verify_url=VERIFY_URL))

    lines = shown[
        shown.index("has completed the course") + 1 : shown.index("Issued on 3 March 2025")
    ]
    assert len(lines) > 1
    assert " ".join(lines) == title.strip()


def test_it_links_the_verification_page_and_carries_a_qr_code_of_it():
    data = certificate_pdf(certificate(), verify_url=VERIFY_URL)

    assert f"/URI ({VERIFY_URL})".encode() in data
    drawn = b"".join(_decoded_streams(data))
    # The QR code is drawn as hundreds of small filled squares; the frame is two rectangles.
    assert drawn.count(b" re") > 200
