"""Dates in English, one way everywhere: 28 Sep 2026, 28 Sep 2026 09:30 (FORMAT_MODULE_PATH).

Day, abbreviated month and year cannot be misread the American or the European way, and sort
the same as the Chinese form. As in zh_Hans/formats.py, the short and the long date are the same
and DATETIME_FORMAT, to the second, is for records.
"""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = "j M Y H:i"
DATETIME_FORMAT = "j M Y H:i:s"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j M"
