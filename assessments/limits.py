"""How precisely points and weights are kept: what the database stores, and what question files
(GIFT, Moodle XML, course folders) may ask for. Refused when exceeded, never rounded.

A module of its own, importing nothing, because both the question kinds and the file formats
they plug into read it.
"""

from decimal import Decimal

# Weights, percents of the points, are kept to Moodle's precision: 7 decimals (Moodle writes
# a third as 33.33333 %).
WEIGHT_PLACES = 7
# What the database keeps of a question's points (Question.points).
POINTS_PLACES = 2
MAX_POINTS = Decimal("9999.99")
