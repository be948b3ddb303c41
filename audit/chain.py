"""The hash chain: each sealed entry's hash covers its content and the hash before it."""

import hashlib

GENESIS_HASH = "0" * 64


def chain_hash(previous_hash: str, content: str) -> str:
    return hashlib.sha256((previous_hash + content).encode()).hexdigest()
