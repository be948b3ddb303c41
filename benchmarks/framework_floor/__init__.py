"""The framework's own cost: the project's settings and middleware, and one bare DRF view.

benchmarks/api_booking.py serves this next to the app (DJANGO_SETTINGS_MODULE=
framework_floor.settings, with benchmarks/ on the path) to measure what any booking endpoint
costs before the project's code runs: gunicorn, Django's middleware, DRF's request, JSON in
and out. No authentication, throttling or database.
"""
