"""Albanian date and number formats (Django's own ``sq`` set leaves most of them to English).

Dates as Albanians write them (28.11.2026, "28 nëntor 2026"), the 24-hour clock, Monday first,
and CLDR's separators for ``sq``: decimal comma and a non-breaking space between thousands
(``1 234 567,50``), so a grouped number is never mistaken for a decimal.
"""

DATE_FORMAT = "j E Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j E Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j E"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday

# Parsed in this order; ISO first is not needed (Django always accepts it as well).
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%d/%m/%Y", "%d.%m.%y", "%Y-%m-%d"]
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S", "%H.%M"]
DATETIME_INPUT_FORMATS = [
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
]

DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"
NUMBER_GROUPING = 3
