"""Two factors are asked for in production and not while developing, unless the deployer says."""

from config.tests.test_settings import PRODUCTION, _printed

SHOW = "from django.conf import settings; print(settings.STAFF_TWO_FACTOR_REQUIRED)"


def test_two_factors_are_on_in_production_and_off_in_debug():
    assert _printed(SHOW, **PRODUCTION) == "True"
    assert _printed(SHOW, DEBUG="true") == "False"


def test_the_environment_decides_either_way():
    assert _printed(SHOW, **PRODUCTION, STAFF_TWO_FACTOR_REQUIRED="false") == "False"
    assert _printed(SHOW, DEBUG="true", STAFF_TWO_FACTOR_REQUIRED="true") == "True"
