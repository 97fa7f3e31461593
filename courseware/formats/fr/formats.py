# A date in a line of text, month shortened as French writes it: "2 déc. 2026", "2 juin
# 2026", "2 juil. 2026" (Django's "M" gives "Déc" and "Jui" for both June and July).
SHORT_DATE_FORMAT = "j N Y"
SHORT_DATETIME_FORMAT = "j N Y H:i"
