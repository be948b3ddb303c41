import datetime

import factory
from django.utils import timezone

from clubs.tests.factories import BranchFactory
from facilities.models import BenefitSetting, BenefitSlot, Closure, Facility, FacilityKind


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility

    branch = factory.SubFactory(BranchFactory)
    name = factory.Sequence(lambda n: f"Sauna {n}")
    kind = FacilityKind.SAUNA
    capacity = 4


class BenefitSettingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BenefitSetting

    facility = factory.SubFactory(FacilityFactory)


def next_half_hour(days_ahead: int = 1) -> datetime.datetime:
    moment = timezone.now() + datetime.timedelta(days=days_ahead)
    return moment.replace(minute=0, second=0, microsecond=0)


class BenefitSlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BenefitSlot

    facility = factory.SubFactory(FacilityFactory)
    # Within two days, so that factory bookings stay inside booking windows however long the run.
    starts_at = factory.Sequence(lambda n: next_half_hour() + datetime.timedelta(minutes=30 * (n % 96)))
    ends_at = factory.LazyAttribute(lambda slot: slot.starts_at + datetime.timedelta(minutes=30))
    capacity = 4


class ClosureFactory(factory.django.DjangoModelFactory):
    """The whole of a new branch closed tomorrow for maintenance."""

    class Meta:
        model = Closure

    branch = factory.SubFactory(BranchFactory)
    organization = factory.SelfAttribute("branch.organization")
    starts_at = factory.LazyFunction(lambda: next_half_hour())
    ends_at = factory.LazyAttribute(lambda closure: closure.starts_at + datetime.timedelta(hours=4))
    reason = "maintenance"
    note = "New heater"
