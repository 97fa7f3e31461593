# A date in a line of text, month shortened: "2 Dec 2026", "2 Dec 2026, 14:05" (Django's
# own for English are numbers, "12/02/2026", which British and American readers read apart).
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
