"""Run the real ``hub`` command as a subprocess, the way a user or a deployment does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.support import CACHE_DIR, VALIDATION_ARTEFACTS

HUB = [sys.executable, "-m", "hub"]


def hub_env(data_dir: Path, partners: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        HUB_DATA_DIR=str(data_dir),
        HUB_PARTNERS_FILE=str(partners),
        HUB_KAFKA_SESSION_TIMEOUT_S="6",
        HUB_DROP_MIN_AGE_S="0.3",
        HUB_DROP_POLL_INTERVAL_S="0.3",
        HUB_LOG_FORMAT="json",
        HUB_CACHE_DIR=str(CACHE_DIR),
        HUB_API_PORT="0",  # any free port: tests may run next to a developer's hub up
        **extra,
    )
    if VALIDATION_ARTEFACTS.is_dir():
        env.setdefault("HUB_VALIDATION_ARTEFACTS", str(VALIDATION_ARTEFACTS))
    return env


class HubProcess:
    """``hub up`` in the background; logs to a file; stopped with SIGINT like Ctrl-C."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env, self.cwd = env, cwd
        self.log = cwd / "hub-up.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 30.0) -> None:
        # a restart appends to the same log: only what this process writes counts as its banner
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [*HUB, "up"], cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if b"grossisthub is up" in self.log.read_bytes()[offset:]:
                return
            if self.process.poll() is not None:
                raise AssertionError(f"hub up exited with {self.process.returncode}:\n{self.log_tail()}")
            time.sleep(0.1)
        raise AssertionError(f"hub up not ready in {timeout_s}s:\n{self.log_tail()}")

    def stop(self, timeout_s: float = 20.0) -> tuple[int, float]:
        """Ctrl-C; returns (exit status, seconds it took)."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"hub up did not stop within {timeout_s}s:\n{self.log_tail()}") from None
        return code, time.monotonic() - started

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*HUB, *args], cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=60, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(f"hub {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result

    def invoices(self, *args: str) -> list[dict[str, Any]]:
        return json.loads(self.cli("erp", "invoices", "--json", *args).stdout)  # type: ignore[no-any-return]

    def log_lines(self) -> list[dict[str, Any]]:
        lines = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    continue
        return lines

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
