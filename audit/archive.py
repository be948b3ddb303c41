"""A month of the trail as archive_audit writes it: a file that proves itself.

JSON Lines, UTF-8. The first line says what the file is and which month; then one line per entry,
in chain and position order, with its seal and its content exactly as the hash covers it; the
last line counts the entries and lists the runs of positions each chain has in the month:

    {"archive": "audit trail month", "version": 1, "month": "2026-01", "from": "…Z", "to": "…Z"}
    {"chain": "<organization id or installation-wide>", "position": 17, "previous_hash": "…",
     "hash": "…", "sealed_at": "…Z", "content": "{\\"id\\": \\"…\\", \\"action\\": …}"}
    {"entries": 1000, "runs": [{"chain": "…", "first": 17, "last": 1016, "previous_hash": "…",
     "last_hash": "…"}]}

Each line's hash is sha256(previous hash + content) (audit.chain.chain_hash), and each position
follows the one before it in its run, so the file verifies on its own, anywhere; a run's first
previous hash and last hash tie it to the chain left in the database (audit_cut_runs keeps the
last), and to the heads published while it was there (`verify_audit --archive FILE --against`).
`content` is a JSON object as text: json.loads(line["content"]) is the entry.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from audit.chain import INSTALLATION_LABEL, chain_hash, chain_label
from audit.models import INSTALLATION_CHAIN

ARCHIVE_KIND = "audit trail month"
ARCHIVE_VERSION = 1
PROGRESS_EVERY = 100_000
_ENTRY_FIELDS = {"chain", "position", "previous_hash", "hash", "sealed_at", "content"}


class ArchiveError(ValueError):
    """The file is not an archive that verifies: says which line and what is wrong."""


@dataclass(frozen=True)
class Run:
    """Consecutive positions first..last of one chain, the hash before the first and the last's."""

    chain: uuid.UUID
    first: int
    last: int
    previous_hash: str
    last_hash: str

    def as_json(self) -> dict:
        return {
            "chain": chain_label(self.chain),
            "first": self.first,
            "last": self.last,
            "previous_hash": self.previous_hash,
            "last_hash": self.last_hash,
        }


@dataclass
class Archive:
    """What a verified archive holds: its month, entries, runs, the file's sha256, and the hashes
    at the positions asked for (to check published heads)."""

    month: datetime.date
    start: datetime.datetime
    end: datetime.datetime
    entries: int = 0
    runs: list[Run] = field(default_factory=list)
    sha256: str = ""
    hashes: dict[tuple[uuid.UUID, int], str] = field(default_factory=dict)


def month_label(month: datetime.date) -> str:
    return f"{month:%Y-%m}"


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The month's first instant and the next month's, in UTC: the partition's bounds."""
    start = datetime.datetime(month.year, month.month, 1, tzinfo=datetime.UTC)
    following = datetime.datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=datetime.UTC)
    return start, following


def header_line(month: datetime.date) -> str:
    start, end = month_bounds(month)
    fields = {"archive": ARCHIVE_KIND, "version": ARCHIVE_VERSION, "month": month_label(month)}
    return json.dumps({**fields, "from": _utc(start), "to": _utc(end)}) + "\n"


def trailer_line(entries: int, runs: Iterable[Run]) -> str:
    return json.dumps({"entries": entries, "runs": [run.as_json() for run in runs]}) + "\n"


def read_archive(
    path: Path,
    *,
    wanted: Iterable[tuple[uuid.UUID, int]] = (),
    progress: Callable[[int], None] | None = None,
) -> Archive:
    """Read and verify an archive file; ArchiveError naming the first line that fails.

    Every line's hash is recomputed from its previous hash and content, every position is checked
    against the one before it, every entry's time against the month, and the last line's count and
    runs against what the lines hold. `wanted` (chain, position) pairs: their hashes are kept."""
    wanted = set(wanted)
    digest = hashlib.sha256()
    lines = _lines(path, digest)
    archive = _header(next(lines, None))
    runs: list[Run] = []
    trailer = None
    for number, text in lines:
        line = _json(number, text)
        if "entries" in line:
            trailer = (number, line)
            break
        chain, position, previous_hash, hash_ = _entry(number, line, archive)
        run = runs[-1] if runs else None
        if run and (run.chain, run.last) >= (chain, position):
            raise ArchiveError(f"line {number}: position {position} of {chain_label(chain)} is out of order")
        if run and run.chain == chain and run.last + 1 == position:
            if previous_hash != run.last_hash:
                raise ArchiveError(
                    f"line {number}: the previous hash of position {position} is not the hash of position {run.last}"
                )
            runs[-1] = Run(chain, run.first, position, run.previous_hash, hash_)
        else:
            runs.append(Run(chain, position, position, previous_hash, hash_))
        if (chain, position) in wanted:
            archive.hashes[chain, position] = hash_
        archive.entries += 1
        if progress and archive.entries % PROGRESS_EVERY == 0:
            progress(archive.entries)
    if trailer is None:
        raise ArchiveError("the last line (entries and runs) is missing: the file was cut short")
    if next(lines, None) is not None:
        raise ArchiveError(f"line {trailer[0] + 1}: lines follow the last line (entries and runs)")
    _check_trailer(*trailer, archive.entries, runs)
    archive.runs = runs
    archive.sha256 = digest.hexdigest()
    return archive


def _lines(path: Path, digest) -> Iterator[tuple[int, str]]:
    with path.open("rb") as file:
        for number, raw in enumerate(file, start=1):
            digest.update(raw)
            try:
                yield number, raw.decode()
            except UnicodeDecodeError:
                raise ArchiveError(f"line {number} is not UTF-8 text") from None


def _json(number: int, text: str) -> dict:
    try:
        line = json.loads(text)
    except (ValueError, RecursionError):
        raise ArchiveError(f"line {number} is not JSON") from None
    if not isinstance(line, dict):
        raise ArchiveError(f"line {number} is not a JSON object")
    return line


def _header(first: tuple[int, str] | None) -> Archive:
    if first is None:
        raise ArchiveError("the file is empty")
    line = _json(*first)
    if line.get("archive") != ARCHIVE_KIND or line.get("version") != ARCHIVE_VERSION:
        raise ArchiveError(f"line 1 does not say it is an archive of the audit trail (version {ARCHIVE_VERSION})")
    try:
        month = datetime.datetime.strptime(line["month"], "%Y-%m").date()
    except (KeyError, TypeError, ValueError):
        raise ArchiveError("line 1 names no month (YYYY-MM)") from None
    start, end = month_bounds(month)
    if (line.get("from"), line.get("to")) != (_utc(start), _utc(end)):
        raise ArchiveError(f"line 1: from and to are not the bounds of {month_label(month)}")
    return Archive(month=month, start=start, end=end)


def _entry(number: int, line: dict, archive: Archive) -> tuple[uuid.UUID, int, str, str]:
    if set(line) != _ENTRY_FIELDS:
        raise ArchiveError(f"line {number} is not an entry ({', '.join(sorted(_ENTRY_FIELDS))})")
    chain = _chain(number, line["chain"])
    position, previous_hash, hash_, content = line["position"], line["previous_hash"], line["hash"], line["content"]
    if type(position) is not int or position < 1:
        raise ArchiveError(f"line {number}: position {position!r} is not a positive whole number")
    if not all(isinstance(value, str) for value in (previous_hash, hash_, content)):
        raise ArchiveError(f"line {number}: previous_hash, hash and content are not text")
    if chain_hash(previous_hash, content) != hash_:
        raise ArchiveError(
            f"line {number}: the hash of position {position} of {chain_label(chain)} is not sha256(previous hash + "
            "content): the entry or its seal changed"
        )
    try:
        occurred_at = datetime.datetime.fromisoformat(json.loads(content)["occurred_at"])
    except (ValueError, TypeError, KeyError):
        raise ArchiveError(f"line {number}: the content is not an entry with its occurred_at") from None
    if not archive.start <= occurred_at < archive.end:
        raise ArchiveError(f"line {number}: the entry occurred at {occurred_at.isoformat()}, not in the month")
    return chain, position, previous_hash, hash_


def _chain(number: int, label) -> uuid.UUID:
    if label == INSTALLATION_LABEL:
        return INSTALLATION_CHAIN
    try:
        return uuid.UUID(label)
    except (ValueError, TypeError, AttributeError):
        raise ArchiveError(
            f"line {number}: chain {label!r} is neither an organization id nor {INSTALLATION_LABEL}"
        ) from None


def _check_trailer(number: int, line: dict, entries: int, runs: list[Run]) -> None:
    if line.get("entries") != entries:
        raise ArchiveError(f"line {number} counts {line.get('entries')!r} entries, the file holds {entries}")
    if line.get("runs") != [run.as_json() for run in runs]:
        raise ArchiveError(f"line {number}: its runs are not the runs of positions the file holds")


def _utc(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
