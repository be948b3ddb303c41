"""Running manage.py in a process of its own, as a deployer or cron would."""

import os
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
# Set by the test settings; a child process must start from the deployer's point of view.
TEST_ONLY_VARIABLES = {
    "DATABASE_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT", "STAFF_TWO_FACTOR_REQUIRED",
    "SESSION_IDLE_MINUTES", "SESSION_IDLE_MINUTES_MANAGERS", "SESSION_COOKIE_AGE",
}  # fmt: skip


def deployer_environment(**env: str) -> dict:
    environment = {key: value for key, value in os.environ.items() if key not in TEST_ONLY_VARIABLES}
    environment.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    return environment


def manage_py(*args: str) -> list[str]:
    return [sys.executable, "manage.py", *args]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        manage_py(*args), cwd=PROJECT_DIR, env=deployer_environment(**env), capture_output=True, text=True, timeout=120
    )
