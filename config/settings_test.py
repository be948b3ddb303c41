"""The test suite's settings: the app's own (same database code path), plus what only tests need."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# Tests sign staff in with force_login; two_factor's own tests turn the code on.
os.environ.setdefault("STAFF_TWO_FACTOR_REQUIRED", "false")
# Tests move the clock forward hours and days at a time with a client signed in; staff_auth's own
# tests turn idle sessions back on.
os.environ.setdefault("SESSION_IDLE_MINUTES", "0")
os.environ.setdefault("SESSION_IDLE_MINUTES_MANAGERS", "0")
os.environ.setdefault("SESSION_COOKIE_AGE", str(14 * 24 * 60 * 60))

from config.settings import *  # noqa: E402,F403

# Hashing passwords slowly protects users, not tests.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The manifest exists only after collectstatic; tests render pages without it.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# Nothing is collected in tests; without a root WhiteNoise has no directory to warn about.
STATIC_ROOT = None
# Member tokens in tests are signed with this (HS256), like a project's JWT secret.
SUPABASE_JWT_SECRET = "test-supabase-jwt-secret-with-enough-length-for-hs256"
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"member": "10000/min"}}  # noqa: F405
