"""The command line's one way of failing: a single `error: …` line that says what is wrong and
what to do, exit status 2 for bad arguments and 1 for failures, never a traceback (unless asked
with --traceback).

`manage.py` runs every command, Django's own included, through `main()`: it turns what a command
did not handle (the database unreachable, missing, refusing the password or SSL, the connection
lost, Ctrl-C, a closed output pipe) into that line, and gives every command's argument errors that
form instead of argparse's usage block. The project's commands derive from `BaseCommand` here, whose
CommandErrors (refusals, range checks) print the same way and whose argument errors are exit 2
also under call_command.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import sys

import psycopg
from django.core.management import ManagementUtility, base
from django.core.management.base import SystemCheckError
from django.db import Error as DjangoDatabaseError

BAD_ARGUMENTS = 2
FAILED = 1

DATABASE_ERRORS = (DjangoDatabaseError, psycopg.Error)
# libpq's and the server's words for each way a connection fails, most specific first.
_UNREACHABLE = (
    "connection refused", "could not connect", "failed to resolve host", "could not translate host name",
    "name or service not known", "timeout expired", "timed out", "network is unreachable", "no route to host",
)  # fmt: skip
_LOST = (
    "terminating connection", "server closed the connection", "connection is lost", "connection is closed",
    "connection already closed", "consuming input failed", "could not receive data", "could not send data",
    "eof detected", "connection reset", "broken pipe",
)  # fmt: skip
_FULL = ("too many clients", "remaining connection slots", "max client connections")
_NOT_READY = ("is starting up", "is shutting down", "in recovery", "not yet accepting connections")
# SQLSTATEs of a database that is behind the code, and of a user without the rights.
_SCHEMA_MISSING = {"42P01", "42883", "3F000", "42703"}
_INSUFFICIENT_PRIVILEGE = "42501"


class CommandParser(base.CommandParser):
    """Argument errors as one line naming the argument, instead of argparse's usage block."""

    def error(self, message: str):
        if not self.called_from_command_line:
            raise base.CommandError(message, returncode=BAD_ARGUMENTS)
        sys.stderr.write(f"error: {message} (see '{self.prog} --help')\n")
        sys.exit(BAD_ARGUMENTS)


class BaseCommand(base.BaseCommand):
    """The project's commands: thin (parse, call a service, report) and failing in one line."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs) -> CommandParser:
        return _with_one_line_errors(super().create_parser(prog_name, subcommand, **kwargs))

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except base.CommandError as refusal:
            # A failed system check prints its own report.
            if not self._called_from_command_line or options.get("traceback") or isinstance(refusal, SystemCheckError):
                raise
            self.stderr.write(f"error: {refusal}")
            sys.exit(refusal.returncode)


class BranchRunCommand(BaseCommand):
    """A nightly generator over branches (ensure_slots, ensure_classes): `--branch` ids to a list of
    branches, and `--start`/`--days`/`--end` to each branch's period (clubs.runs.run_period), both
    refused in one line with exit 2."""

    allows_past = False  # whether the command has --allow-past
    making = ""  # what it makes, as the start_in_past rule words it (clubs.runs.run_period)

    def _branches(self, ids) -> list:
        from clubs.models import Branch

        if not ids:
            return list(Branch.objects.filter(is_active=True).order_by("name"))
        found = {branch.pk: branch for branch in Branch.objects.filter(pk__in=ids)}
        unknown = [str(branch_id) for branch_id in ids if branch_id not in found]
        if unknown:
            raise base.CommandError(f"unknown branch: {', '.join(unknown)}", returncode=BAD_ARGUMENTS)
        return [found[branch_id] for branch_id in dict.fromkeys(ids)]

    def _period(self, branch, start, days, end, allow_past: bool = False) -> tuple[datetime.date, datetime.date]:
        from clubs.runs import run_period
        from config.errors import RuleViolation

        try:
            return run_period(branch=branch, start=start, days=days, end=end, allow_past=allow_past, making=self.making)
        except RuleViolation as refusal:
            message = f"--{refusal.details['field']} {refusal.message}"
            if refusal.code == "start_in_past" and self.allows_past:
                message += "; add --allow-past to create them anyway"
            raise base.CommandError(message, returncode=BAD_ARGUMENTS) from None


def _with_one_line_errors(parser: base.CommandParser) -> CommandParser:
    parser.__class__ = CommandParser  # Django builds the parser of its own class; only `error` differs
    return parser


class _ManagementUtility(ManagementUtility):
    """Django's command line, giving Django's own commands the same one-line argument errors."""

    def fetch_command(self, subcommand: str):
        command = super().fetch_command(subcommand)
        if not isinstance(command, BaseCommand):
            create_parser = command.create_parser
            command.create_parser = lambda *args, **kwargs: _with_one_line_errors(create_parser(*args, **kwargs))
        return command


def main(argv: list[str]) -> None:
    """Django's command line, with every unhandled failure told in one line."""
    try:
        _ManagementUtility(argv).execute()
    except (Exception, KeyboardInterrupt) as failure:
        if "--traceback" in argv:
            raise
        sys.stderr.write(f"error: {failure_message(failure)}\n")
        sys.exit(FAILED)
    finally:
        _quiet_if_output_closed()


def failure_message(failure: BaseException) -> str:
    """One line for a failure: what happened and what to do."""
    if isinstance(failure, KeyboardInterrupt):
        return "interrupted (Ctrl-C) before the command finished"
    if isinstance(failure, BrokenPipeError):
        return "the output was closed before the command finished writing it"
    if isinstance(failure, DATABASE_ERRORS):
        return database_failure(failure)
    return f"{type(failure).__name__}: {_first_line(failure)} (unexpected: run again with --traceback and report it)"


def database_failure(error: BaseException) -> str:
    """What a database error means for the person at the command line, naming the server, the
    cause and the fix; never the password."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    where = _where(database)
    text = str(error)
    lowered = text.lower()
    reason = _reason(text)
    state = _sqlstate(error)
    if match := re.search(r'database "([^"]*)" does not exist', text):
        return f"there is no database '{match[1]}' on {where}: create it, or fix the database name in DATABASE_URL"
    if match := re.search(r'role "([^"]*)" does not exist', text):
        return f"the database at {where} has no user '{match[1]}': fix the user name in DATABASE_URL"
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return (
            f"the database at {where} refused the password of user '{database.get('USER')}': "
            "fix the password in DATABASE_URL (percent-encode special characters, @ as %40)"
        )
    if "server does not support ssl" in lowered:
        sslmode = (database.get("OPTIONS") or {}).get("sslmode", "")
        return (
            f"the database at {where} does not offer SSL, but DATABASE_URL asks for it (sslmode={sslmode}): "
            "use a server with SSL (Supabase has it), or drop sslmode for a local server"
        )
    if "no pg_hba.conf entry" in lowered:
        return (
            f"the database at {where} does not accept this connection ({reason}): add ?sslmode=require "
            "to DATABASE_URL if the server wants SSL, or allow this user and address on the server"
        )
    if any(words in lowered for words in _FULL):
        return f"the database at {where} accepts no more connections ({reason}): try again in a moment, or use fewer"
    if any(words in lowered for words in _NOT_READY) or state == "57P03":
        return f"the database at {where} is not accepting connections yet ({reason}): wait and run the command again"
    if any(words in lowered for words in _LOST) or (state or "").startswith("57P"):
        return (
            f"lost the connection to the database at {where} ({reason}): "
            "check that it is running, then run the command again"
        )
    if any(words in lowered for words in _UNREACHABLE):
        return f"cannot reach the database at {where} ({reason}): is it running? check DATABASE_URL"
    if "ssl" in lowered or "certificate" in lowered:
        return f"the SSL connection to {where} failed ({reason}): check sslmode and sslrootcert in DATABASE_URL"
    if state in _SCHEMA_MISSING:
        return f"the database at {where} is behind the code ({reason}): run 'manage.py migrate'"
    if state == _INSUFFICIENT_PRIVILEGE:
        return (
            f"the database user '{database.get('USER')}' may not do this ({reason}): "
            "run commands as the database's owner (the user in DATABASE_URL)"
        )
    return f"the database at {where} failed: {reason} (run again with --traceback for details)"


def day(value: str) -> datetime.date:
    """An argparse type: a calendar day written YYYY-MM-DD."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return datetime.date.fromisoformat(value)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{value!r} is not a day: write it YYYY-MM-DD, e.g. 2026-12-31")


def _where(database: dict) -> str:
    host = database.get("HOST") or (database.get("OPTIONS") or {}).get("host") or "localhost"
    port = database.get("PORT") or 5432
    if str(host).startswith("/"):
        return f"the socket in {host} (port {port})"
    return f"{host}:{port}"


def _reason(text: str) -> str:
    """The cause in libpq's message, without the preamble naming the server (already said)."""
    line = _first_line(text)
    line = line.rsplit(" failed: ", 1)[-1]
    return re.sub(r"^(FATAL|ERROR):\s+", "", line).strip() or "no reason given"


def _first_line(failure: object) -> str:
    lines = str(failure).strip().splitlines()
    return lines[0].strip() if lines else ""


def _sqlstate(error: BaseException) -> str | None:
    while error is not None:
        if state := getattr(error, "sqlstate", None):
            return state
        error = error.__cause__
    return None


def _quiet_if_output_closed() -> None:
    """When the reader of standard output went away (`| head`), Python would complain once more
    while flushing at exit: send what is left nowhere instead."""
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
