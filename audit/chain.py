"""The hash chain: each sealed entry's hash covers its content and the hash before it.

A chain's head (its last position and hash) commits to everything before it. Published outside
the database (`seal_audit --heads FILE`), heads prove history unchanged even against the tables'
owner, who can switch the append-only triggers off and recompute every seal after a rewrite.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from audit.models import INSTALLATION_CHAIN

GENESIS_HASH = "0" * 64
INSTALLATION_LABEL = "installation-wide"
HEAD_FIELDS = "JSON with chain, position, hash, sealed_at"
_HASH = re.compile(r"[0-9a-f]{64}")


def chain_hash(previous_hash: str, content: str) -> str:
    return hashlib.sha256((previous_hash + content).encode()).hexdigest()


def chain_label(chain: uuid.UUID) -> str:
    return INSTALLATION_LABEL if chain == INSTALLATION_CHAIN else str(chain)


@dataclass(frozen=True)
class ChainHead:
    """A chain's last seal: the organization (or the installation), position, hash and when."""

    chain: uuid.UUID
    position: int
    hash: str
    sealed_at: datetime.datetime

    def line(self) -> str:
        fields = {"chain": chain_label(self.chain), "position": self.position, "hash": self.hash}
        return json.dumps({**fields, "sealed_at": self.sealed_at.isoformat()})


def parse_head(line: str) -> ChainHead:
    """A published head from its line; ValueError saying what is wrong."""
    try:
        fields = json.loads(line)
    except (ValueError, RecursionError):  # RecursionError: brackets nested beyond any head
        raise ValueError("not JSON") from None
    if not isinstance(fields, dict) or set(fields) != {"chain", "position", "hash", "sealed_at"}:
        raise ValueError("not exactly the fields chain, position, hash, sealed_at")
    chain, position, hash_, sealed_at = (fields[name] for name in ("chain", "position", "hash", "sealed_at"))
    if not isinstance(chain, str):
        raise ValueError("chain is not an organization id or installation-wide")
    try:
        chain_id = INSTALLATION_CHAIN if chain == INSTALLATION_LABEL else uuid.UUID(chain)
    except ValueError:
        raise ValueError(f"chain {chain!r} is not an organization id or installation-wide") from None
    if type(position) is not int or position < 1:
        raise ValueError(f"position {position!r} is not a positive whole number")
    if not isinstance(hash_, str) or not _HASH.fullmatch(hash_):
        raise ValueError("hash is not 64 hexadecimal digits")
    try:
        moment = datetime.datetime.fromisoformat(sealed_at) if isinstance(sealed_at, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValueError(f"sealed_at {sealed_at!r} is not an ISO 8601 time with its offset")
    return ChainHead(chain=chain_id, position=position, hash=hash_, sealed_at=moment)


def read_heads(path: Path) -> list[ChainHead]:
    """Every head in a heads file, in order (OSError when it cannot be read, ValueError naming
    the first line that is not a head)."""
    heads = []
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                heads.append(parse_head(line))
            except ValueError as problem:
                raise ValueError(f"line {number} is not a published head ({HEAD_FIELDS}): {problem}") from None
    return heads


def append_heads(path: Path, heads: Iterable[ChainHead]) -> None:
    """Append heads, one line each, and make sure they reached the disk."""
    with path.open("a", encoding="utf-8") as file:
        file.writelines(f"{head.line()}\n" for head in heads)
        file.flush()
        os.fsync(file.fileno())
