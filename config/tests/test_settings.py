"""Settings a deployer gives through the environment."""

from config.tests.test_database import run_manage

SOME_DATABASE = "postgresql://postgres:pw@db.abcdefghij.supabase.co:5432/postgres"
PRODUCTION = {"DEBUG": "false", "SECRET_KEY": "k3y-" + "x9Qz!vT2#" * 8, "ALLOWED_HOSTS": "ops.example.com"}


def _printed(code: str, **env: str) -> str:
    result = run_manage("shell", "--no-imports", "-c", code, **{"DATABASE_URL": SOME_DATABASE, **env})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


SHOW_CACHE = "from django.core.cache import caches; print(type(caches['default']).__name__)"
SHOW_RENDERERS = (
    "from rest_framework.settings import api_settings; "
    "print(*(renderer.__name__ for renderer in api_settings.DEFAULT_RENDERER_CLASSES))"
)


def test_the_throttle_counts_in_the_cache_cache_url_names():
    assert _printed(SHOW_CACHE, CACHE_URL="dbcache://api_throttle", DEBUG="true") == "DatabaseCache"


def test_without_cache_url_each_process_counts_on_its_own():
    assert _printed(SHOW_CACHE, DEBUG="true") == "LocMemCache"


def test_the_api_answers_json_only_in_production_and_offers_its_pages_while_developing():
    assert _printed(SHOW_RENDERERS, **PRODUCTION) == "JSONRenderer"
    assert _printed(SHOW_RENDERERS, DEBUG="true") == "JSONRenderer BrowsableAPIRenderer"
