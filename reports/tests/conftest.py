"""The reports' clubs: the hand-made one at New York (figures counted by hand) for every test."""

import pytest

from reports.tests.data import hand_made_club


@pytest.fixture
def club(django_user_model, manager):
    return hand_made_club(django_user_model, manager)
