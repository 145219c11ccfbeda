"""One upload into the hosted inbox: staged in a temp file, taken into the intake when the client closes it.

* Bytes go to a temp file under ``<root>/.staging/`` as they arrive; nothing holds a whole file in memory,
  and a write beyond ``max_document_bytes`` is refused at once (the transfer stops, nothing is kept).
* :meth:`Upload.finish` (the client's close) → :meth:`IntakeService.take`; only after it returned is the
  file moved into the partner's ``done/`` (publish, then acknowledge). A refused delivery goes to
  ``error/`` with ``<name>.error.txt``; a transient failure discards the temp file and answers the close
  with a failure, so the partner sends again.
* :meth:`Upload.discard` (connection lost, session ended without a close) removes the temp file: a
  transfer cut off midway never enters the intake.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import structlog

from hub.errors import DocumentTooLargeError, IntakeError, TransientError
from hub.intake.service import Delivery, IntakeResult, IntakeService

log = structlog.get_logger(__name__)
DONE, ERROR = "done", "error"


@dataclass(frozen=True, slots=True)
class Account:
    """A wholesaler's login: its user name, its keys (public key blobs) and its directory on disk."""

    username: str
    wholesaler_id: str
    root: Path
    keys: frozenset[bytes]


@dataclass(frozen=True, slots=True)
class InboxContext:
    """What every connection of the server shares."""

    intake: IntakeService
    staging: Path
    max_bytes: int
    endpoint: str  # "host:port", for transport ids


@dataclass(frozen=True, slots=True)
class Outcome:
    """The answer to the client's close: ``ok`` = the hub took responsibility for the file."""

    ok: bool
    message: str
    placed: Path | None = None


class Upload:
    def __init__(self, context: InboxContext, account: Account, name: str) -> None:
        self.context, self.account, self.name = context, account, name
        fd, tmp = tempfile.mkstemp(dir=context.staging, prefix=f"{account.wholesaler_id}-", suffix=".part")
        self.tmp = Path(tmp)
        self._file: BinaryIO | None = os.fdopen(fd, "w+b")
        self._started_ns = time.time_ns()
        self.size = 0
        self.too_large = False

    def write(self, offset: int, data: bytes) -> bool:
        """Write at ``offset``; False (and the upload is spoiled) when it would pass the size limit."""
        if self._file is None or self.too_large:
            return False
        if offset + len(data) > self.context.max_bytes:
            self.too_large = True
            self._close_file()
            return False
        self._file.seek(offset)
        self._file.write(data)
        self.size = max(self.size, offset + len(data))
        return True

    def finish(self) -> Outcome:
        """The client closed the file: take it into the intake, then move it to done/ (or error/)."""
        if self.too_large or self._file is None:
            return self._refuse_oversize()
        stream = self._file
        stream.flush()
        stream.seek(0)
        try:
            result = self.context.intake.take(stream, self._delivery())
        except IntakeError as exc:
            return self._refused(exc)
        except TransientError as exc:
            log.warning("inbox.not_taken", **self._fields(), error=exc.render(), action="discarded; partner resends")
            self.discard()
            return Outcome(False, f"not accepted, please send the file again: {exc.render()}")
        return self._accepted(result)

    def discard(self) -> None:
        """Forget the upload: the temp file goes, nothing reaches the intake. Idempotent."""
        self._close_file()
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()

    def _accepted(self, result: IntakeResult) -> Outcome:
        placed = self._place(DONE)
        self.context.intake.acknowledged(result)
        log.info(
            "inbox.taken",
            **self._fields(),
            moved_to=str(placed),
            document_id=result.document_id,
            duplicate=result.duplicate,
        )
        return Outcome(True, "taken", placed)

    def _refused(self, exc: IntakeError) -> Outcome:
        placed = self._place(ERROR)
        _write_note(placed, exc.render())
        log.error("inbox.refused", **self._fields(), moved_to=str(placed), error=exc.render())
        return Outcome(True, f"refused: {exc.render()}", placed)

    def _refuse_oversize(self) -> Outcome:
        self.discard()
        exc = DocumentTooLargeError(f"upload exceeds the size limit of {self.context.max_bytes} bytes; discarded")
        note = self.account.root / ERROR / self.name
        _write_note(note, exc.render())
        log.error("inbox.refused", **self._fields(), error=exc.render())
        return Outcome(False, exc.render())

    def _place(self, folder: str) -> Path:
        self._close_file()
        target = move_no_clobber(self.tmp, self.account.root / folder, self.name)
        return target

    def _delivery(self) -> Delivery:
        return Delivery(
            partner_id=self.account.wholesaler_id,
            channel="sftp",
            filename=self.name,
            transport_id=f"sftp-inbox://{self.account.username}@{self.context.endpoint}/{self.name}@{self._started_ns}",
        )

    def _fields(self) -> dict[str, object]:
        return {"user": self.account.username, "partner": self.account.wholesaler_id, "file": self.name}

    def _close_file(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            with contextlib.suppress(OSError):
                file.close()


def move_no_clobber(source: Path, folder: Path, name: str) -> Path:
    """Move ``source`` to ``folder/name``; an existing file keeps its name and the newcomer gets a suffix."""
    folder.mkdir(parents=True, exist_ok=True)
    stem, dot, ext = name.rpartition(".") if "." in name.lstrip(".") else (name, "", "")
    for attempt in range(1000):
        candidate = name if attempt == 0 else f"{stem}.{_stamp()}-{attempt}{dot}{ext}"
        target = folder / candidate
        try:
            os.link(source, target)  # atomic and never overwrites
        except FileExistsError:
            continue
        source.unlink()
        return target
    msg = f"no free name for {name} in {folder}"
    raise OSError(msg)


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S")


def _write_note(target: Path, text: str) -> None:
    with contextlib.suppress(OSError):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.with_name(target.name + ".error.txt").write_text(text + "\n", encoding="utf-8")
