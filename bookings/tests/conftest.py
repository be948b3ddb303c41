"""A small bookable world: a branch, a recovery facility with a slot and a class tomorrow, members."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from classes.tests.factories import ScheduledClassFactory
from clubs.tests.factories import BranchFactory
from facilities.tests.factories import BenefitSettingFactory, BenefitSlotFactory, FacilityFactory
from members.models import BenefitKind
from members.tests.factories import EntitlementFactory, MemberFactory

ZONE = "Europe/London"


def tomorrow_at(hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localtime(timezone.now(), ZoneInfo(ZONE)).date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=ZoneInfo(ZONE))


@dataclass
class Club:
    branch: object
    facility: object
    slot: object
    scheduled_class: object
    member: object

    def new_member(self, **fields):
        return MemberFactory(home_branch=self.branch, **fields)


@pytest.fixture
def club(db) -> Club:
    branch = BranchFactory(time_zone=ZONE, name="Riverside")
    facility = FacilityFactory(branch=branch, name="Sauna", capacity=2)
    BenefitSettingFactory(facility=facility, booking_window_days=7, cancellation_cutoff_minutes=120)
    slot = BenefitSlotFactory(facility=facility, starts_at=tomorrow_at(10), ends_at=tomorrow_at(10, 30), capacity=2)
    scheduled = ScheduledClassFactory(
        branch=branch, title="Yoga", starts_at=tomorrow_at(12), ends_at=tomorrow_at(13), capacity=2
    )
    member = MemberFactory(home_branch=branch, first_name="Olivia", last_name="Smith")
    EntitlementFactory(member=member, benefit_kind=BenefitKind.RECOVERY, quota=4)
    return Club(branch, facility, slot, scheduled, member)
