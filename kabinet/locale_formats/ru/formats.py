"""Russian date formats over Django's own: a day and a month take the month's name in the
genitive («27 ноября», Django's ``E``), not the nominative («27 Ноябрь») that ``F`` gives.
The rest falls through to ``django/conf/locale/ru/formats.py``."""

MONTH_DAY_FORMAT = "j E"
