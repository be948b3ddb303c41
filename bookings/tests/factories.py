import factory

from bookings.models import BenefitBooking, BookingChannel, ClassBooking
from classes.tests.factories import ScheduledClassFactory
from facilities.tests.factories import BenefitSlotFactory
from members.tests.factories import MemberFactory


class BenefitBookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BenefitBooking

    slot = factory.SubFactory(BenefitSlotFactory)
    member = factory.SubFactory(MemberFactory, home_branch=factory.SelfAttribute("..slot.facility.branch"))
    channel = BookingChannel.CONCIERGE


class ClassBookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClassBooking

    scheduled_class = factory.SubFactory(ScheduledClassFactory)
    member = factory.SubFactory(MemberFactory, home_branch=factory.SelfAttribute("..scheduled_class.branch"))
    channel = BookingChannel.CONCIERGE
