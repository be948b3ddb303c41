"""Settings a deployer gives through the environment."""

from config.tests.test_database import run_manage

SHOW_CACHE = "from django.core.cache import caches; print(type(caches['default']).__name__)"
SOME_DATABASE = "postgresql://postgres:pw@db.abcdefghij.supabase.co:5432/postgres"


def _cache_class(**env: str) -> str:
    result = run_manage("shell", "--no-imports", "-c", SHOW_CACHE, DATABASE_URL=SOME_DATABASE, DEBUG="true", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_throttle_counts_in_the_cache_cache_url_names():
    assert _cache_class(CACHE_URL="dbcache://api_throttle") == "DatabaseCache"


def test_without_cache_url_each_process_counts_on_its_own():
    assert _cache_class() == "LocMemCache"
