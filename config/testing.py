"""Helpers for tests of any app."""

from contextlib import contextmanager

import pytest
from django.db import IntegrityError, transaction


@contextmanager
def rejected_by_database(constraint: str, error: type[Exception] = IntegrityError):
    """The block's write is refused by the database, and by the named constraint (or message)."""
    with pytest.raises(error) as refusal, transaction.atomic():
        yield
    assert constraint in str(refusal.value), f"refused, but not by {constraint}: {refusal.value}"
