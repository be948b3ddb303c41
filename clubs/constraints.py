"""Table rules that a person meets as a form error on the field they concern, in plain words."""

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, models


class FieldCheckConstraint(models.CheckConstraint):
    """A CHECK constraint, enforced by the database for every door, whose violation a form
    reports on one field with its own message (never the constraint's name).

    Before saving, Django's model validation asks the database the same condition with the
    form's values, so the form and the table cannot disagree. `field` must be one the condition
    reads: when that field is not on a form, the rule is then skipped there, not misplaced.
    """

    non_db_attrs = (*models.CheckConstraint.non_db_attrs, "field")

    def __init__(self, *, condition, name: str, field: str, violation_error_message: str, violation_error_code=None):
        super().__init__(
            condition=condition,
            name=name,
            violation_error_message=violation_error_message,
            violation_error_code=violation_error_code,
        )
        self.field = field

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        try:
            super().validate(model, instance, exclude=exclude, using=using)
        except ValidationError as violation:
            raise ValidationError({self.field: violation}) from None

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        return path, args, {**kwargs, "field": self.field}

    def __eq__(self, other):
        return super().__eq__(other) and self.field == getattr(other, "field", None)


def not_blank(field: str, *, table: str, message: str) -> FieldCheckConstraint:
    """A text that must hold more than spaces, as every form already asks."""
    return FieldCheckConstraint(
        condition=~models.Q(**{f"{field}__regex": r"^\s*$"}),
        name=f"{table}_{field}_not_blank",
        field=field,
        violation_error_message=message,
    )


def capacity_at_least_one(table: str, *, nullable: bool = False, also: str = "") -> FieldCheckConstraint:
    """People per slot or class: at least one (a place nobody may book is a closed one)."""
    condition = models.Q(capacity__gt=0)
    return FieldCheckConstraint(
        condition=models.Q(capacity__isnull=True) | condition if nullable else condition,
        name=f"{table}_capacity_positive",
        field="capacity",
        violation_error_message=f"Capacity is at least 1 person.{also}",
    )


def ends_after_start(table: str, what: str) -> FieldCheckConstraint:
    return FieldCheckConstraint(
        condition=models.Q(ends_at__gt=models.F("starts_at")),
        name=f"{table}_ends_after_start",
        field="ends_at",
        violation_error_message=f"{what} must end after it starts.",
    )
