import factory

from clubs.tests.factories import BranchFactory
from members.models import BenefitKind, Entitlement, Member


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    home_branch = factory.SubFactory(BranchFactory)
    member_number = factory.Sequence(lambda n: f"T{n:06d}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    email = factory.LazyAttribute(lambda member: f"{member.first_name}.{member.last_name}@example.com".lower())


class EntitlementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entitlement

    member = factory.SubFactory(MemberFactory)
    benefit_kind = BenefitKind.RECOVERY
    quota = 4
