from django.apps import AppConfig
from django.db.models.signals import pre_migrate


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "Access control"

    def ready(self):
        from access.born_private import make_new_objects_private

        pre_migrate.connect(make_new_objects_private, dispatch_uid="access.born_private")
