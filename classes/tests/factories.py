import datetime

import factory

from classes.models import ClassTimetableEntry, ScheduledClass
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


class ClassTimetableEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClassTimetableEntry

    branch = factory.SubFactory(BranchFactory)
    title = factory.Sequence(lambda n: f"Spin {n}")
    instructor = "Sam Okafor"
    room = "Studio 1"
    weekday = 1
    starts_at_local = datetime.time(7)
    duration_minutes = 45
    capacity = 16
    valid_from = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=30))
