"""The rule registry (config/rules.py) agrees with the SQL that raises the rules, the migrated
database, the Python that refuses, and the README's table: a rule cannot be added in one place only."""

from __future__ import annotations

import ast
import re

import pytest
from django.db import DatabaseError, connection, transaction

from config import rules
from config.sql import BASE_DIR

SQL_UNITS = sorted(BASE_DIR.glob("*/sql/*/*.sql"))
PYTHON_MODULES = [
    path
    for path in BASE_DIR.glob("*/**/*.py")
    if not {".venv", "tests", "migrations", "benchmarks"} & set(path.relative_to(BASE_DIR).parts)
    and path.relative_to(BASE_DIR).as_posix() != "config/rules.py"
]
# A SQL raise that names its SQLSTATE itself: only the one that raises the registry's refusals, and
# the member's own-row check, which must read exactly as row-level security's refusal.
OWN_SQLSTATES_ALLOWED = {"errcode = p_sqlstate", "errcode = '42501'"}


def situations() -> set[tuple[str, str]]:
    return {(rule.code, situation) for rule in rules.RULES for situation in rule.messages}


def test_each_sqlstate_is_one_rule_and_each_code_one_http_status():
    states = [rule.sqlstate for rule in rules.RULES if rule.sqlstate]
    assert len(states) == len(set(states))
    codes = [rule.code for rule in rules.RULES]
    assert len(codes) == len(set(codes))
    for rule in rules.RULES:
        assert 400 <= rule.http_status < 500, rule.code
        assert rule.messages and rule.when, rule.code


def test_the_engines_own_sqlstates_are_no_standard_ones():
    for rule in rules.RULES:
        if rule.sqlstate and rule.sqlstate != rules.LOCK_NOT_AVAILABLE:
            assert re.fullmatch(r"C[BSC]\d{3}", rule.sqlstate), rule.code


def test_the_sql_refuses_only_by_rules_of_the_registry():
    called = set()
    for path in SQL_UNITS:
        text = path.read_text()
        for code, situation in re.findall(r"app_private\.refus(?:e|al)\('(\w+)'(?:,\s*'(\w*)')?", text):
            called.add((code, situation))
            assert (code, situation) in situations(), f"{path.relative_to(BASE_DIR)}: no rule {code!r}/{situation!r}"
        for errcode in re.findall(r"errcode = [^,;\n]+", text):
            assert errcode in OWN_SQLSTATES_ALLOWED, f"{path.relative_to(BASE_DIR)} raises its own {errcode}"
    database_rules = {(rule.code, situation) for rule in rules.RULES if rule.sqlstate
                      for situation in rule.messages}  # fmt: skip
    # the refusals booking_refusals describes by their code, the generated registry lists the rest
    assert called <= database_rules


def test_the_python_refuses_only_by_rules_of_the_registry():
    for path in PYTHON_MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "refuse" and node.args:
                arguments = [arg.value for arg in node.args[:2] if isinstance(arg, ast.Constant)]
                code, situation = (arguments + [""])[:2]
                assert (code, situation) in situations(), f"{path.relative_to(BASE_DIR)}:{node.lineno}"
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "RuleViolation":
                pytest.fail(f"{path.relative_to(BASE_DIR)}:{node.lineno} makes a RuleViolation outside the registry")


@pytest.mark.django_db
def test_the_migrated_database_holds_the_registry():
    """A registry changed without a migration (manage.py freeze_sql) fails here."""
    with connection.cursor() as cursor:
        for rule in rules.RULES:
            if not rule.sqlstate:
                continue
            for situation, message in rule.messages.items():
                values = ["x"] * message.count("%s")
                cursor.execute(
                    "select sqlstate, message from app_private.refusal(%s, %s, %s)", [rule.code, situation, values]
                )
                assert cursor.fetchone() == (rule.sqlstate, message % tuple(values)), (rule.code, situation)


@pytest.mark.django_db
def test_a_database_error_becomes_its_rule_and_nothing_else_does():
    with pytest.raises(DatabaseError) as raised, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("select app_private.refuse('full', '', array['3 of 3'])")
    violation = rules.violation_from_database(raised.value)
    assert violation.code == "full"
    assert violation.message == "Full: 3 of 3 places taken. The member can join the waitlist."
    with pytest.raises(DatabaseError) as raised, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("select 1 / 0")
    assert rules.violation_from_database(raised.value) is None


def readme_rules() -> list[tuple[str, str, str, str]]:
    rows = re.findall(r"^\| `(\w+)` \| (\S+) \| (\d{3}) \| (.+) \|$", (BASE_DIR / "README.md").read_text(), re.M)
    return [(code, state, status, when) for code, state, status, when in rows]


def test_the_readme_table_is_the_registry():
    assert readme_rules() == [
        (rule.code, rule.sqlstate or "—", str(rule.http_status), rule.when) for rule in rules.RULES
    ]
