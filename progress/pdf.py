"""The certificate as a PDF: one A4 landscape page drawn with ReportLab.

Text is set in Bitstream Vera, which ships inside ReportLab, and the font is
embedded: the certificate looks the same in every viewer, on a closed
network, with no system fonts, and names beyond ASCII (Zoë Ångström,
Łucja Čapek) render. The standard Helvetica is not embedded and only knows
Windows-1252.
"""

import functools
from io import BytesIO
from pathlib import Path

import reportlab
from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from progress.models import Certificate

REGULAR = "CertificateSans"
BOLD = "CertificateSans-Bold"
ITALIC = "CertificateSans-Oblique"

INK = HexColor("#1b2a41")
ACCENT = HexColor("#9a7b3f")
MUTED = HexColor("#4a4a4a")

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
# Names and titles keep 35 mm from each edge of the page, well inside the frame.
TEXT_WIDTH = PAGE_WIDTH - 70 * mm
QR_SIZE = 30 * mm


@functools.cache
def _register_fonts() -> None:
    folder = Path(reportlab.__file__).parent / "fonts"
    for name, file in ((REGULAR, "Vera.ttf"), (BOLD, "VeraBd.ttf"), (ITALIC, "VeraIt.ttf")):
        pdfmetrics.registerFont(TTFont(name, str(folder / file)))


def certificate_pdf(certificate: Certificate, *, verify_url: str) -> bytes:
    """The certificate as issued (names copied at issue), with its code and where to check it."""
    buffer = BytesIO()
    _register_fonts()
    # Printed in the reader's language (the one the page that links here was in); the names
    # and the course title stay as they were issued.
    language = translation.get_language() or settings.LANGUAGE_CODE
    lang = translation.to_locale(language).replace("_", "-")  # en-gb -> en-GB
    pdf = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), initialFontName=REGULAR, lang=lang)
    pdf.setTitle(
        gettext("Certificate of completion — %(title)s") % {"title": certificate.course_title}
    )
    pdf.setAuthor("Courseware")
    pdf.setCreator("Courseware")
    pdf.setSubject(f"{certificate.learner_name}, {certificate.course_title} ({certificate.code})")

    _frame(pdf)
    centre = PAGE_WIDTH / 2
    pdf.setFillColor(MUTED)
    pdf.setFont(REGULAR, 10)
    pdf.drawCentredString(centre, 178 * mm, "COURSEWARE", charSpace=3)

    pdf.setFillColor(INK)
    pdf.setFont(BOLD, 32)
    pdf.drawCentredString(centre, 160 * mm, gettext("Certificate of completion"))
    pdf.setStrokeColor(ACCENT)
    pdf.setLineWidth(1.2)
    pdf.line(centre - 25 * mm, 152 * mm, centre + 25 * mm, 152 * mm)

    _muted_line(pdf, gettext("This certifies that"), y=138 * mm)
    _centred_lines(pdf, certificate.learner_name, top=121 * mm, size=30, smallest=14, lines=1)
    _muted_line(pdf, gettext("has completed the course"), y=106 * mm)
    _centred_lines(pdf, certificate.course_title, top=92 * mm, size=20, smallest=13, lines=2)

    issued = date_format(timezone.localtime(certificate.issued_at), "j F Y")
    pdf.setFillColor(INK)
    pdf.setFont(REGULAR, 12)
    pdf.drawCentredString(centre, 58 * mm, gettext("Issued on %(date)s") % {"date": issued})

    _verification(pdf, code=certificate.code, url=verify_url)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _frame(pdf: Canvas) -> None:
    pdf.setStrokeColor(INK)
    pdf.setLineWidth(2.5)
    pdf.rect(10 * mm, 10 * mm, PAGE_WIDTH - 20 * mm, PAGE_HEIGHT - 20 * mm)
    pdf.setStrokeColor(ACCENT)
    pdf.setLineWidth(0.8)
    pdf.rect(13 * mm, 13 * mm, PAGE_WIDTH - 26 * mm, PAGE_HEIGHT - 26 * mm)


def _muted_line(pdf: Canvas, text: str, *, y: float) -> None:
    pdf.setFillColor(MUTED)
    pdf.setFont(ITALIC, 13)
    pdf.drawCentredString(PAGE_WIDTH / 2, y, text)


def _fitting_size(text: str, font: str, size: float, width: float, *, minimum: float) -> float:
    """The largest size up to ``size`` at which ``text`` fits on one line of ``width``."""
    while size > minimum and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 1
    return size


def _centred_lines(
    pdf: Canvas, text: str, *, top: float, size: int, smallest: int, lines: int
) -> None:
    """Bold ``text`` in at most ``lines`` lines, shrinking to ``smallest``; wraps beyond that.

    Names run to 300 characters and titles to 200: nothing may run off the page.
    """
    wrapped = simpleSplit(text, BOLD, size, TEXT_WIDTH)
    while len(wrapped) > lines and size > smallest:
        size -= 1
        wrapped = simpleSplit(text, BOLD, size, TEXT_WIDTH)
    pdf.setFillColor(INK)
    pdf.setFont(BOLD, size)
    for number, line in enumerate(wrapped):
        pdf.drawCentredString(PAGE_WIDTH / 2, top - number * size * 1.25, line)


def _verification(pdf: Canvas, *, code: str, url: str) -> None:
    left = 25 * mm
    qr_left = PAGE_WIDTH - 25 * mm - QR_SIZE
    pdf.setFillColor(MUTED)
    pdf.setFont(REGULAR, 8)
    pdf.drawString(left, 40 * mm, gettext("Verification code"))
    pdf.drawString(left, 27 * mm, gettext("Check this certificate at"))
    pdf.setFillColor(INK)
    pdf.setFont(BOLD, 13)
    pdf.drawString(left, 33 * mm, code)
    url_width = qr_left - left - 10 * mm
    url_size = _fitting_size(url, REGULAR, 10, url_width, minimum=6)
    pdf.setFont(REGULAR, url_size)
    pdf.drawString(left, 21 * mm, url)
    pdf.linkURL(url, (left, 20 * mm, left + url_width, 21 * mm + url_size), relative=0)

    # The QR code lets someone holding the paper open the verification page from a phone.
    widget = QrCodeWidget(url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(
        QR_SIZE,
        QR_SIZE,
        transform=[QR_SIZE / (x1 - x0), 0, 0, QR_SIZE / (y1 - y0), 0, 0],
        initialFontName=REGULAR,  # else the renderer selects Helvetica, a font the file lacks
    )
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, qr_left, 20 * mm)
    pdf.setFillColor(MUTED)
    pdf.setFont(REGULAR, 8)
    pdf.drawCentredString(qr_left + QR_SIZE / 2, 16.5 * mm, gettext("Scan to verify"))
