"""The answers an import read, kept in a folder: ``warroom import ... --save DIR`` writes them,
``--from DIR`` reads them back, with no key and no network (Opsgenie stops answering on
2027-04-05; a folder saved before then still imports).

One file per request, named from the request alone (``GET_v2_users_limit=100-<hash>.json``:
the path and query made safe for a file name, then the first 12 hex digits of the SHA-256 of
``GET <path and query>``), so two saves of one account write the same names. Each holds the
method, the path and query (under the API address), the status and the body (the JSON the
vendor answered, or its text when it was not JSON). No header is written: the key travels in
headers only, and nothing of the request but its path and query is kept. ``import.json`` says
which vendor, which API address and when the answers were read: ``--from`` reads the account
as of that moment, so it asks for the same requests and writes the same files.

A request the folder holds no answer to is an ``ImportFailure`` naming it: the import never
guesses an answer.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.clients.importing import ImportFailure
from bot.clients.vendor_http import Answer

MANIFEST = "import.json"
# The readable part of a file's name, at most this long (the hash keeps names apart).
NAME_LENGTH = 80
_UNSAFE = re.compile(r"[^A-Za-z0-9=._-]+")


@dataclass(frozen=True)
class Manifest:
    """``import.json``: the vendor's word, its API address, when the answers were read."""

    vendor: str
    api_url: str
    read_at: datetime


def answer_file_name(method: str, request: str) -> str:
    """The file holding the answer to ``method request`` (``GET``, ``/v2/users?limit=100``)."""
    readable = _UNSAFE.sub("_", request.strip("/")).strip("_")[:NAME_LENGTH]
    digest = hashlib.sha256(f"{method} {request}".encode()).hexdigest()[:12]
    return f"{method}_{readable}-{digest}.json"


class SavedAnswers:
    """The folder ``--save`` writes into, or ``--from`` reads from; ``title`` is the vendor's
    name as failures say it."""

    def __init__(self, root: Path, title: str) -> None:
        self.root = root
        self._title = title

    def write_manifest(self, manifest: Manifest) -> None:
        """Say which vendor, address and moment the folder's answers are of."""
        _write(
            self.root / MANIFEST,
            {
                "vendor": manifest.vendor,
                "api_url": manifest.api_url,
                "read_at": manifest.read_at.isoformat(),
            },
        )

    def write(self, method: str, request: str, answer: Answer) -> None:
        """Keep ``answer`` to ``method request``: its status and body, no header."""
        _write(
            self.root / answer_file_name(method, request),
            {"method": method, "request": request, "status": answer.status, "body": answer.body},
        )

    def holds(self, method: str, request: str) -> bool:
        """Whether an answer to ``method request`` is kept."""
        return (self.root / answer_file_name(method, request)).is_file()

    def read(self, method: str, request: str) -> Answer:
        """The answer kept for ``method request``; ImportFailure naming it when none is."""
        path = self.root / answer_file_name(method, request)
        try:
            kept = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ImportFailure(
                f"{self.root} holds no saved answer to {method} {request} ({path.name}): it was "
                f"not read when the folder was saved; save again with the same options while "
                f"{self._title} answers",
                retryable=False,
            ) from None
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise ImportFailure(
                f"cannot read {path} ({type(error).__name__})", retryable=False
            ) from None
        if not isinstance(kept, dict) or not isinstance(kept.get("status"), int):
            raise ImportFailure(f"{path} is not a saved answer", retryable=False)
        body = kept.get("body")
        text = body if isinstance(body, str) else json.dumps(body)
        return Answer(kept["status"], text, {})


def read_manifest(root: Path) -> Manifest:
    """``import.json`` of a saved folder; ImportFailure saying what is wrong with it."""
    path = root / MANIFEST
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        manifest = Manifest(
            vendor=str(raw["vendor"]),
            api_url=str(raw["api_url"]),
            read_at=datetime.fromisoformat(str(raw["read_at"])),
        )
    except FileNotFoundError:
        raise ImportFailure(
            f"--from: {root} holds no {MANIFEST}: not a folder `warroom import --save` wrote",
            retryable=False,
        ) from None
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        raise ImportFailure(
            f"--from: cannot read {path} ({type(error).__name__})", retryable=False
        ) from None
    if manifest.read_at.tzinfo is None:
        raise ImportFailure(f"--from: {path}: read_at has no time zone", retryable=False)
    return manifest


def _write(path: Path, document: dict[str, Any]) -> None:
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    try:
        path.write_text(text, encoding="utf-8", newline="\n")
    except OSError as error:
        raise ImportFailure(
            f"--save: cannot write {path} ({error.strerror})", retryable=False
        ) from None
