"""The SQL files written from Python declarations say what the declarations say today: a changed
declaration without `manage.py freeze_sql` (and its migration) fails here, not in production."""

import pytest

from config.sql import BASE_DIR, GENERATED_FILES, generated_text


@pytest.mark.parametrize("path", sorted(GENERATED_FILES))
def test_each_generated_file_is_what_its_declaration_writes(path):
    assert (BASE_DIR / path).read_text() == generated_text(path), (
        f"{path} is not what {GENERATED_FILES[path]} writes: run 'manage.py freeze_sql' for its unit "
        "into a new migration"
    )
