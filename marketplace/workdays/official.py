"""The State Council's holiday schedules (国务院办公厅关于部分节假日安排的通知), as published.

Each entry: (name in Chinese, name in English, first day off, last day off, make-up working
days). Every day from the first to the last is off, weekends included (a weekend inside a
holiday is shown with the holiday's name); the make-up days (调休) are weekend days worked.
A year the State Council has not yet published is missing: its weekdays count as working
days until the admin adds it (the calendar page says which years are known).
"""
from datetime import date, timedelta

NEW_YEAR = ("元旦", "New Year's Day")
SPRING_FESTIVAL = ("春节", "Spring Festival")
QINGMING = ("清明节", "Qingming Festival")
LABOUR_DAY = ("劳动节", "Labour Day")
DRAGON_BOAT = ("端午节", "Dragon Boat Festival")
MID_AUTUMN = ("中秋节", "Mid-Autumn Festival")
NATIONAL_DAY = ("国庆节", "National Day")
NATIONAL_DAY_MID_AUTUMN = ("国庆节、中秋节", "National Day and Mid-Autumn Festival")

D = date
SCHEDULES = {
    # 国办发明电〔2023〕7号
    2024: (
        (*NEW_YEAR, D(2024, 1, 1), D(2024, 1, 1), ()),
        (*SPRING_FESTIVAL, D(2024, 2, 10), D(2024, 2, 17), (D(2024, 2, 4), D(2024, 2, 18))),
        (*QINGMING, D(2024, 4, 4), D(2024, 4, 6), (D(2024, 4, 7),)),
        (*LABOUR_DAY, D(2024, 5, 1), D(2024, 5, 5), (D(2024, 4, 28), D(2024, 5, 11))),
        (*DRAGON_BOAT, D(2024, 6, 8), D(2024, 6, 10), ()),
        (*MID_AUTUMN, D(2024, 9, 15), D(2024, 9, 17), (D(2024, 9, 14),)),
        (*NATIONAL_DAY, D(2024, 10, 1), D(2024, 10, 7), (D(2024, 9, 29), D(2024, 10, 12))),
    ),
    # 国办发明电〔2024〕12号
    2025: (
        (*NEW_YEAR, D(2025, 1, 1), D(2025, 1, 1), ()),
        (*SPRING_FESTIVAL, D(2025, 1, 28), D(2025, 2, 4), (D(2025, 1, 26), D(2025, 2, 8))),
        (*QINGMING, D(2025, 4, 4), D(2025, 4, 6), ()),
        (*LABOUR_DAY, D(2025, 5, 1), D(2025, 5, 5), (D(2025, 4, 27),)),
        (*DRAGON_BOAT, D(2025, 5, 31), D(2025, 6, 2), ()),
        (*NATIONAL_DAY_MID_AUTUMN, D(2025, 10, 1), D(2025, 10, 8),
         (D(2025, 9, 28), D(2025, 10, 11))),
    ),
    # 国办发明电〔2025〕7号
    2026: (
        (*NEW_YEAR, D(2026, 1, 1), D(2026, 1, 3), (D(2026, 1, 4),)),
        (*SPRING_FESTIVAL, D(2026, 2, 15), D(2026, 2, 23), (D(2026, 2, 14), D(2026, 2, 28))),
        (*QINGMING, D(2026, 4, 4), D(2026, 4, 6), ()),
        (*LABOUR_DAY, D(2026, 5, 1), D(2026, 5, 5), (D(2026, 5, 9),)),
        (*DRAGON_BOAT, D(2026, 6, 19), D(2026, 6, 21), ()),
        (*MID_AUTUMN, D(2026, 9, 25), D(2026, 9, 27), ()),
        (*NATIONAL_DAY, D(2026, 10, 1), D(2026, 10, 7), (D(2026, 9, 20), D(2026, 10, 10))),
    ),
}

MAKE_UP_ZH, MAKE_UP_EN = "{}调休上班", "Make-up working day ({})"


def official_days(year):
    """``[(day, is_working, name_zh, name_en)]`` of one year's schedule, by date."""
    days = []
    for name_zh, name_en, first, last, make_up in SCHEDULES.get(year, ()):
        day = first
        while day <= last:
            days.append((day, False, name_zh, name_en))
            day += timedelta(days=1)
        days += [(worked, True, MAKE_UP_ZH.format(name_zh), MAKE_UP_EN.format(name_en))
                 for worked in make_up]
    return sorted(days)
