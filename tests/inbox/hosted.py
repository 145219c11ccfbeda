"""A running hosted SFTP inbox on the real broker, with a wholesaler's key pair and an OpenSSH ``sftp`` runner."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko
import pytest

from hub.connectors.inbox.server import HostedInbox
from hub.intake.service import IntakeService
from hub.kafka.topics import apply_topics, load_topic_specs
from hub.runtime import Runtime
from tests.support import PARTNERS, make_runtime, make_settings

USER = "elgrossisten"


def generate_key(path: Path) -> str:
    """An ed25519 key pair without passphrase (OpenSSH format); returns the public line."""
    if shutil.which("ssh-keygen") is None:
        raise RuntimeError("ssh-keygen missing: apt-get install -y openssh-client")
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)],
        check=True, stdin=subprocess.DEVNULL, capture_output=True,
    )  # fmt: skip
    return path.with_name(path.name + ".pub").read_text().strip()


def inbox_partners(directory: Path, public_key: str, server: str) -> Path:
    block = f"    inbox: {{username: {USER}, authorized_keys: ['{public_key}']}}"
    path = directory / "partners-inbox.yaml"
    path.write_text(PARTNERS.format(sftp=block) + f"sftp_inbox: {server}\n", encoding="utf-8")
    return path


@dataclass
class Hosted:
    runtime: Runtime
    intake: IntakeService
    server: HostedInbox
    key: Path
    wrong_key: Path
    workdir: Path
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def port(self) -> int:
        return self.server.address[1]

    @property
    def partner_root(self) -> Path:
        return self.server.root / "elgrossisten-syd"

    @property
    def staging(self) -> Path:
        return self.server.root / ".staging"

    def known_hosts(self) -> Path:
        path = self.workdir / "known_hosts"
        path.write_text(f"[127.0.0.1]:{self.port} {self.server.public_key}\n")
        return path

    def sftp_args(self, key: Path | None = None) -> list[str]:
        """OpenSSH ``sftp`` in batch mode, host key pinned, only the given key, no user config."""
        return [
            "sftp", "-F", "/dev/null", "-i", str(key or self.key), "-P", str(self.port),
            "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
            "-o", f"UserKnownHostsFile={self.known_hosts()}", "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "PasswordAuthentication=no", "-o", "ConnectTimeout=10",
        ]  # fmt: skip

    def sftp_batch(self, commands: str, key: Path | None = None, cwd: Path | None = None) -> tuple[int, str]:
        """Run ``commands`` with ``sftp -b -``; ``(exit status, stdout+stderr)``."""
        result = subprocess.run(
            [*self.sftp_args(key), "-b", "-", f"{USER}@127.0.0.1"],
            input=commands, capture_output=True, text=True, timeout=60, cwd=cwd or self.workdir, check=False,
        )  # fmt: skip
        return result.returncode, result.stdout + result.stderr

    def paramiko_client(self, key: Path | None = None) -> paramiko.SSHClient:
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        host_key = self.server.host_key
        client.get_host_keys().add(f"[127.0.0.1]:{self.port}", host_key.get_name(), host_key)
        client.connect(
            "127.0.0.1", port=self.port, username=USER, pkey=paramiko.PKey.from_path(key or self.key),
            allow_agent=False, look_for_keys=False, timeout=10,
        )  # fmt: skip
        return client


def start_hosted(
    tmp_path: Path, bootstrap_servers: str, unique: str, *, inbox_max_bytes: int | None = None, **overrides: Any
) -> Hosted:
    workdir = tmp_path / "client"
    workdir.mkdir()
    public = generate_key(workdir / "wholesaler_ed25519")
    generate_key(workdir / "stranger_ed25519")
    server_yaml = f"{{port: 0, host_key_file: '{tmp_path}/inbox/host_key', root_dir: '{tmp_path}/inbox/root'}}"
    partners = inbox_partners(tmp_path, public, server_yaml)
    settings = make_settings(
        tmp_path, bootstrap_servers=bootstrap_servers, unique=unique, partners_file=partners, **overrides
    )
    runtime = make_runtime(settings)
    apply_topics(bootstrap_servers, load_topic_specs(), runtime.topics)
    intake = runtime.intake()
    server = HostedInbox.from_partners(
        runtime.partners,
        intake,
        data_dir=settings.data_dir,
        max_document_bytes=inbox_max_bytes or settings.max_document_bytes,
    )
    assert server is not None
    server.start()
    return Hosted(runtime, intake, server, workdir / "wholesaler_ed25519", workdir / "stranger_ed25519", workdir)


@pytest.fixture
def hosted(tmp_path: Path, bootstrap_servers: str, unique: str) -> Iterator[Hosted]:
    inbox = start_hosted(tmp_path, bootstrap_servers, unique)
    yield inbox
    inbox.server.close()
    inbox.runtime.close()
