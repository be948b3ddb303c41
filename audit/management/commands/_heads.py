"""Command-line heads files: what `seal_audit --heads` appends and `verify_audit --against` reads."""

from pathlib import Path

from django.core.management.base import CommandError

from audit.chain import ChainHead, read_heads
from config.commands import BAD_ARGUMENTS


def heads_argument(path: Path, option: str, *, missing_ok: bool = False) -> list[ChainHead]:
    """The heads in the file an option names, or a CommandError (exit 2) saying what is wrong."""
    try:
        return read_heads(path)
    except FileNotFoundError:
        if missing_ok:
            return []
        raise CommandError(f"{option} {path}: no such file", returncode=BAD_ARGUMENTS) from None
    except OSError as error:
        raise CommandError(f"{option} {path}: cannot read it ({error.strerror})", returncode=BAD_ARGUMENTS) from None
    except ValueError as problem:
        raise CommandError(f"{option} {path}: {problem}", returncode=BAD_ARGUMENTS) from None
