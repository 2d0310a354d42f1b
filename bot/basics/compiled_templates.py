"""Templates compiled once per process, whichever Renderer asks: every application, and every
`warroom` command, builds its own Renderer, and Jinja2 compiles a template into Python the
first time each environment renders it. Compiled code depends on the environment's options
(escaping, finalize, whitespace), so each flavour of environment has a cache of its own; a
template whose source changed (an operator's override edited) has another checksum and is
compiled again."""

from __future__ import annotations

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

_CACHES: dict[str, ProcessCache] = {}


class ProcessCache(BytecodeCache):
    """Compiled templates kept in memory for the process's life."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        compiled = self._compiled.get(bucket.key)
        if compiled is not None:
            bucket.bytecode_from_string(compiled)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


def compiled_templates(flavour: str) -> ProcessCache:
    """The process's cache for environments of this flavour (its options, named)."""
    return _CACHES.setdefault(flavour, ProcessCache())
