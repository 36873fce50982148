"""Dates in Chinese, one way everywhere: 2026年9月28日, 2026年9月28日 09:30 (FORMAT_MODULE_PATH).

Templates and code name these formats ("DATE_FORMAT", "SHORT_DATETIME_FORMAT"), never a pattern
of their own. The short and the long date are the same; DATETIME_FORMAT, to the second, is for
records (the audit trail). What the browser's date fields read and write is ISO
(approval_center.fields.DateInput), whatever the language.
"""

DATE_FORMAT = "Y年n月j日"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = "Y年n月j日 H:i"
DATETIME_FORMAT = "Y年n月j日 H:i:s"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "Y年n月"
MONTH_DAY_FORMAT = "n月j日"
