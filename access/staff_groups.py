"""The staff groups of the admin and what each may do. A migration applies this; change it
with a new migration that calls `apply_staff_groups` again."""

FRONT_DESK = "Front desk"
MANAGER = "Manager"

FRONT_DESK_PERMISSIONS = [
    "clubs.view_organization",
    "clubs.view_branch",
    "members.view_member",
    "members.view_entitlement",
    "facilities.view_facility",
    "facilities.view_benefitsetting",
    "facilities.view_benefitslot",
    "classes.view_scheduledclass",
    "classes.view_classtimetableentry",
    "facilities.view_closure",
    "bookings.view_benefitbooking",
    "bookings.add_benefitbooking",
    "bookings.change_benefitbooking",
    "bookings.view_classbooking",
    "bookings.add_classbooking",
    "bookings.change_classbooking",
    "members.add_walk_in",
    "members.view_membernote",
    "members.add_membernote",
    "members.change_membernote",
]

MANAGER_PERMISSIONS = [
    *FRONT_DESK_PERMISSIONS,
    "bookings.override_capacity",
    "members.add_member",
    "members.change_member",
    "members.add_entitlement",
    "members.change_entitlement",
    "members.delete_entitlement",
    "facilities.add_facility",
    "facilities.change_facility",
    "facilities.add_benefitsetting",
    "facilities.change_benefitsetting",
    "classes.add_scheduledclass",
    "classes.change_scheduledclass",
    "classes.add_classtimetableentry",
    "classes.change_classtimetableentry",
    "facilities.add_closure",
    "facilities.change_closure",
    "reports.view_report",
    "audit.view_auditlog",
    "audit.export_auditlog",
    "staff_auth.view_signinfailure",
    "staff_auth.unlock_sign_in",
    "staff_auth.view_staffapitoken",
    "staff_auth.add_staffapitoken",
    "staff_auth.revoke_staffapitoken",
    "two_factor.view_staffdevice",
    "two_factor.reset_staffdevice",
]

STAFF_GROUPS = {FRONT_DESK: FRONT_DESK_PERMISSIONS, MANAGER: MANAGER_PERMISSIONS}


def apply_staff_groups(apps, schema_editor=None) -> None:
    """Make each group hold exactly its declared permissions (usable as a RunPython callable)."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations ran; this migration needs them now.
    # create_permissions skips an app without a models module, which a migration's app stubs lack;
    # each app gets its own back (with the project's registry, `migrate` sends its signals by it).
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, dotted_names in STAFF_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        # An earlier migration calling this sees only the models of its time: the permissions
        # of later models come with the later migration that calls this again.
        wanted = {tuple(dotted.split(".")) for dotted in dotted_names}
        existing = Permission.objects.filter(content_type__app_label__in={app for app, _ in wanted})
        group.permissions.set(
            [permission for permission in existing.select_related("content_type")
             if (permission.content_type.app_label, permission.codename) in wanted]
        )  # fmt: skip
