import factory

from audit.models import ActorType, AuditLog, AuditSource


class AuditLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditLog

    actor_type = ActorType.SYSTEM
    actor_id = "seed_demo"
    actor_label = "seed_demo"
    action = "facility.updated"
    entity_type = "facility"
    entity_id = factory.Faker("uuid4")
    source = AuditSource.COMMAND
    old_values = {"under_maintenance": False}
    new_values = {"under_maintenance": True}
