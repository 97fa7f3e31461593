"""Write tests/documents/word-document.docx, the Word file the intake tests read.

Run it again after changing the text: ``.venv/bin/python tests/documents/make_word_document.py``.
It is built as an instructor's file is: Word's own styles (Title, Heading 1 and 2, List Bullet,
List Number, a table with a header row, a picture with a caption), nothing hand-made in XML.
"""

import io
from pathlib import Path

from docx import Document
from docx.shared import Cm
from PIL import Image, ImageDraw

OUT = Path(__file__).with_name("word-document.docx")


def figure_png() -> io.BytesIO:
    image = Image.new("RGB", (320, 180), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 40, 140, 140), outline="black", width=3)
    draw.rectangle((180, 40, 300, 140), outline="black", width=3)
    draw.line((140, 90, 180, 90), fill="black", width=3)
    data = io.BytesIO()
    image.save(data, "PNG")
    data.seek(0)
    return data


def main() -> None:
    document = Document()
    document.core_properties.title = "Radio Discipline for Section Commanders"
    document.add_paragraph("Radio Discipline for Section Commanders", style="Title")
    document.add_paragraph(
        "Disclaimer: This handout summarises unit practice and does not replace the signals "
        "instructions in force."
    )
    document.add_paragraph(
        "A section commander spends more of an exercise talking on the radio than giving "
        "orders face to face. What is said, and how, decides whether the platoon knows where "
        "the section is."
    )

    document.add_heading("Principles", level=1)
    document.add_paragraph(
        "Radio discipline rests on three habits that every member of the section practises "
        "until they are automatic."
    )
    document.add_heading("Brevity", level=2)
    document.add_paragraph(
        "Think before pressing the switch. A message that is composed before it is sent is "
        "half as long and twice as clear."
    )
    for item in (
        "Say who you are calling, then who you are.",
        "Give the message in the order the listener needs it.",
        "End with what you want the listener to do.",
    ):
        document.add_paragraph(item, style="List Number")
    document.add_heading("Security", level=2)
    document.add_paragraph(
        "Assume that every transmission is heard by someone it was not meant for. Locations, "
        "names and intentions are sent only in the codes the orders give."
    )
    document.add_paragraph("Never send the following in clear:", style="Normal")
    for item in (
        "grid references of friendly positions;",
        "the names or ranks of casualties;",
        "timings of future moves.",
    ):
        document.add_paragraph(item, style="List Bullet")

    document.add_heading("Voice Procedure in Practice", level=1)
    document.add_paragraph(
        "The procedure words below cover almost every message a section sends. Each has one "
        "meaning, and no other word is used for it."
    )
    table = document.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    header = table.rows[0].cells
    header[0].text = "Procedure word"
    header[1].text = "Meaning"
    for word, meaning in (
        ("Over", "This is the end of my transmission and I expect a reply."),
        ("Out", "This is the end of my transmission and no reply is expected."),
        ("Say again", "Repeat all of your last transmission."),
        ("Wait", "I must pause for a few seconds."),
    ):
        row = table.add_row().cells
        row[0].text = word
        row[1].text = meaning
    document.add_paragraph(
        "The figure shows the two stations of a simple net and the one channel they share."
    )
    document.add_picture(figure_png(), width=Cm(8))
    document.paragraphs[-1].runs[0]._r.xpath(".//wp:docPr")[0].set(
        "descr", "Two radio stations joined by a single channel"
    )
    document.add_paragraph("Figure 1. A two-station net.", style="Caption")
    document.add_paragraph(
        "When the net is busy, wait for a pause rather than talking over another station: "
        "two stations transmitting at once are both lost."
    )
    document.save(OUT)


if __name__ == "__main__":
    main()
