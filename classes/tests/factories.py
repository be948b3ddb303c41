import datetime

import factory

from classes.models import ScheduledClass
from clubs.tests.factories import BranchFactory
from facilities.tests.factories import next_half_hour


class ScheduledClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScheduledClass

    branch = factory.SubFactory(BranchFactory)
    title = factory.Sequence(lambda n: f"Yoga {n}")
    instructor = "Priya Shah"
    starts_at = factory.Sequence(lambda n: next_half_hour() + datetime.timedelta(hours=n % 48))
    ends_at = factory.LazyAttribute(lambda scheduled: scheduled.starts_at + datetime.timedelta(minutes=45))
    capacity = 12
