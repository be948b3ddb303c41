"""Schedule changes with a preview: what a new capacity, new hours or a changed timetable entry do
to the slots and classes already made, applied to the future in one transaction."""


def urls(admin_site) -> list:
    return []
