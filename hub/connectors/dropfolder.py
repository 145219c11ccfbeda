"""The drop folder: ``<DATA_DIR>/inbox/<wholesaler-id>/`` on the hub's own disk.

Copy a file into a wholesaler's folder and the hub takes it once it has stopped changing, then
moves it to ``done/`` (or to ``error/`` with a ``.error.txt`` beside it saying why). This is the
quick-start path and what a local integration (a mounted share, a script) uses.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import structlog

from hub.connectors.base import StabilityTracker
from hub.errors import IntakeError
from hub.intake.service import Delivery, IntakeService
from hub.partners import Partners

log = structlog.get_logger(__name__)
RESERVED = {"done", "error"}


class DropFolder:
    name = "drop"

    def __init__(
        self, root: Path, intake: IntakeService, partners: Partners, *, min_age_s: float, interval_s: float
    ) -> None:
        self.root, self.intake, self.partners = root, intake, partners
        self.interval_s = interval_s
        self._stable = StabilityTracker(min_age_s)
        self.ensure_folders()

    def ensure_folders(self) -> None:
        for wholesaler in self.partners.wholesalers:
            (self.root / wholesaler.id).mkdir(parents=True, exist_ok=True)

    def poll_once(self) -> int:
        taken = 0
        present: set[str] = set()
        for wholesaler in self.partners.wholesalers:
            for path in sorted((self.root / wholesaler.id).glob("*")):
                if not path.is_file() or path.name.startswith("."):
                    continue
                present.add(str(path))
                stat = path.stat()
                if self._stable.ready(str(path), stat.st_size, stat.st_mtime):
                    taken += self._take(path, wholesaler.id, stat.st_mtime_ns)
        self._stable.keep_only(present)
        return taken

    def _take(self, path: Path, partner_id: str, mtime_ns: int) -> int:
        delivery = Delivery(
            partner_id=partner_id,
            channel="drop",
            filename=path.name,
            transport_id=f"drop:{partner_id}/{path.name}@{mtime_ns}:{path.stat().st_size}",
        )
        try:
            with path.open("rb") as handle:
                result = self.intake.take(handle, delivery)
        except IntakeError as exc:
            self._move(path, "error", reason=exc.render())
            log.error("drop.refused", file=str(path), error=exc.render())
            return 0
        self._move(path, "done")
        self.intake.acknowledged(result)
        self._stable.forget(str(path))
        log.info(
            "drop.taken", file=path.name, partner=partner_id, document_id=result.document_id, duplicate=result.duplicate
        )
        return 1

    @staticmethod
    def _move(path: Path, folder: str, reason: str | None = None) -> None:
        target_dir = path.parent / folder
        target_dir.mkdir(exist_ok=True)
        target = target_dir / path.name
        counter = 1
        while target.exists():
            target = target_dir / f"{path.stem}.{counter}{path.suffix}"
            counter += 1
        path.replace(target)
        if reason:
            with contextlib.suppress(OSError):
                target.with_name(target.name + ".error.txt").write_text(reason + "\n", encoding="utf-8")
