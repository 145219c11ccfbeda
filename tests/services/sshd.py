"""A real OpenSSH sshd acting as a wholesaler's SFTP server, for integration tests.

The server runs ``/usr/sbin/sshd -D -e`` as a child of the test process on a free 127.0.0.1 port, with its own
config, host key and authorized_keys under ``/srv/grossisthub-test-sftp-<random>/``. The SFTP user is chrooted and
sees a single directory ``/out``; the same directory is reachable on local disk as ``SftpServer.local_dir``.

sshd insists that every component of the chroot and key paths is root-owned and not group/world-writable, which is
why the server lives under ``/srv`` and not in a pytest tmp dir. It therefore needs root and openssh-server; when
either is missing :func:`start_sftp_server` raises instead of skipping, because CI must run these tests for real.

Use the fixtures ``sftp_server`` (session-scoped) or ``sftp_inbox`` (function-scoped, empties the inbox first) by
importing them into a test module or conftest.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SSHD = Path("/usr/sbin/sshd")
SRV = Path("/srv")
RUN_SSHD = Path("/run/sshd")  # sshd's privilege-separation directory
SFTP_USER = "hubsftp"
HOST = "127.0.0.1"
REMOTE_DIR = "/out"
READY_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
INSTALL_HINT = "install it with `apt-get install -y openssh-server` (provides /usr/sbin/sshd, ssh-keygen, ssh-keyscan)"


@dataclass(frozen=True)
class _ServerPaths:
    """Server-side files under /srv; every component root-owned and not group/world-writable."""

    root: Path

    @property
    def chroot(self) -> Path:
        return self.root / "chroot"

    @property
    def out(self) -> Path:
        return self.chroot / REMOTE_DIR.lstrip("/")

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    @property
    def etc(self) -> Path:
        return self.root / "etc"

    @property
    def config(self) -> Path:
        return self.etc / "sshd_config"

    @property
    def host_key(self) -> Path:
        return self.etc / "ssh_host_ed25519_key"

    @property
    def pid_file(self) -> Path:
        return self.root / "sshd.pid"

    @property
    def log_file(self) -> Path:
        return self.root / "sshd.log"


class _SshdDaemon:
    """One ``sshd -D`` child process that can be stopped and started again with the same config."""

    def __init__(self, paths: _ServerPaths, port: int, host_key: str) -> None:
        self._paths = paths
        self._port = port
        self._host_key = host_key
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        if self.running:
            return
        with self._paths.log_file.open("ab") as log:
            # A new session keeps a terminal's Ctrl-C away from sshd; the fixture's teardown stops it.
            self._process = subprocess.Popen(
                [str(SSHD), "-D", "-e", "-f", str(self._paths.config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the listener and drop open connections (each runs in an sshd child with its own session)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        # Connection children first, while the listener (their reaper) is still busy serving: their pids stay
        # taken until it reaps them. The listener's own pid is ours until we wait() for it.
        for pid in _child_pids(process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise RuntimeError(f"sshd exited during startup:\n{_read_log(self._paths.log_file)}")
            if _keyscan(self._port) == self._host_key:
                return
            time.sleep(0.1)
        raise RuntimeError(
            f"sshd did not serve its host key on {HOST}:{self._port} within {READY_TIMEOUT_S:.0f} s:\n"
            f"{_read_log(self._paths.log_file)}"
        )


@dataclass(frozen=True)
class SftpServer:
    """A running wholesaler SFTP server, as a hub SFTP connector would be configured against it."""

    host: str
    port: int
    username: str
    private_key_file: Path  # hub's client key: OpenSSH format, ed25519, no passphrase
    host_key: str  # "ssh-ed25519 AAAA..." (no host name), to pin in the client
    remote_dir: str  # the inbox as the SFTP client sees it inside the chroot
    local_dir: Path  # the same directory on local disk
    wrong_private_key_file: Path  # a valid key that is NOT authorized
    server_root: Path  # /srv/grossisthub-test-sftp-<random>/
    _daemon: _SshdDaemon = field(repr=False, compare=False)

    @property
    def known_hosts_line(self) -> str:
        """The pinned host key as an OpenSSH known_hosts line: ``[127.0.0.1]:PORT ssh-ed25519 AAAA...``."""
        return f"[{self.host}]:{self.port} {self.host_key}"

    @property
    def running(self) -> bool:
        return self._daemon.running

    def stop(self) -> None:
        """Stop sshd, including open connections. Idempotent."""
        self._daemon.stop()

    def start(self) -> None:
        """Start sshd again on the same port with the same keys; returns once it serves its host key."""
        self._daemon.start()

    def drop_file(self, name: str, data: bytes | str) -> Path:
        """Put a file into the inbox as the wholesaler would: owned by the SFTP user, mode 0644."""
        target = self.local_dir / name
        _mkdir_as_user(target.parent, self.local_dir, self.username)
        target.write_bytes(data.encode() if isinstance(data, str) else data)
        target.chmod(0o644)
        shutil.chown(target, self.username, self.username)
        return target

    def clear_inbox(self) -> None:
        """Empty ``local_dir`` (files and subdirectories such as done/ and error/), keeping the directory."""
        for child in self.local_dir.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()

    def close(self) -> None:
        """Stop sshd and remove everything under ``server_root``."""
        self.stop()
        shutil.rmtree(self.server_root, ignore_errors=True)


def start_sftp_server(workdir: Path) -> SftpServer:
    """Start a chrooted SFTP-only sshd on a free 127.0.0.1 port; client keys are written to ``workdir``."""
    _require_environment()
    _ensure_user(SFTP_USER)
    RUN_SSHD.mkdir(mode=0o755, parents=True, exist_ok=True)
    paths = _ServerPaths(_make_server_root())
    try:
        return _build_and_start(paths, workdir)
    except BaseException:
        shutil.rmtree(paths.root, ignore_errors=True)
        raise


def _build_and_start(paths: _ServerPaths, workdir: Path) -> SftpServer:
    _make_layout(paths, SFTP_USER)
    host_key = _generate_key(paths.host_key, "grossisthub-test-sftp-host")
    workdir.mkdir(parents=True, exist_ok=True)
    client_key = workdir / "hub_sftp_ed25519"
    wrong_key = workdir / "unauthorized_ed25519"
    _generate_key(client_key, "grossisthub-test-client")
    _generate_key(wrong_key, "grossisthub-test-unauthorized")
    _write_authorized_keys(paths, SFTP_USER, client_key.with_suffix(".pub"))
    port = _free_port()
    _write_config(paths, port, SFTP_USER)
    daemon = _SshdDaemon(paths, port, host_key)
    daemon.start()
    return SftpServer(
        host=HOST,
        port=port,
        username=SFTP_USER,
        private_key_file=client_key,
        host_key=host_key,
        remote_dir=REMOTE_DIR,
        local_dir=paths.out,
        wrong_private_key_file=wrong_key,
        server_root=paths.root,
        _daemon=daemon,
    )


def _require_environment() -> None:
    if os.geteuid() != 0:
        raise RuntimeError(
            "The SFTP integration tests run a real chrooted OpenSSH sshd and must run as root "
            "(they create a system user and files under /srv)."
        )
    missing = [tool for tool in (str(SSHD), "ssh-keygen", "ssh-keyscan") if shutil.which(tool) is None]
    if missing:
        raise RuntimeError(f"OpenSSH server tools missing ({', '.join(missing)}): {INSTALL_HINT}")


def _ensure_user(name: str) -> None:
    try:
        pwd.getpwnam(name)
    except KeyError:
        result = _run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=False)
        if result.returncode != 0 and not _user_exists(name):  # tolerate a concurrent run creating it first
            raise RuntimeError(f"useradd {name} failed: {result.stderr.strip()}") from None
    # A fresh system user has a locked password ("!"), and sshd refuses locked accounts even for key auth.
    _run(["usermod", "-p", "*", name])


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _make_server_root() -> Path:
    SRV.mkdir(mode=0o755, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="grossisthub-test-sftp-", dir=SRV))
    root.chmod(0o755)
    return root


def _make_layout(paths: _ServerPaths, user: str) -> None:
    for directory in (paths.etc, paths.keys, paths.chroot):
        directory.mkdir(mode=0o755)
        directory.chmod(0o755)
    paths.out.mkdir(mode=0o755)
    paths.out.chmod(0o755)
    shutil.chown(paths.out, user, user)
    paths.log_file.touch(mode=0o644)


def _generate_key(private_key: Path, comment: str) -> str:
    """Create an ed25519 key pair without passphrase; return the public key as ``"ssh-ed25519 AAAA..."``."""
    public_key = private_key.with_name(private_key.name + ".pub")
    private_key.unlink(missing_ok=True)  # ssh-keygen would ask before overwriting
    public_key.unlink(missing_ok=True)
    _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(private_key)])
    key_type, key_data = public_key.read_text().split()[:2]
    return f"{key_type} {key_data}"


def _write_authorized_keys(paths: _ServerPaths, user: str, public_key: Path) -> None:
    authorized_keys = paths.keys / user
    authorized_keys.write_text(public_key.read_text())
    authorized_keys.chmod(0o644)


def _write_config(paths: _ServerPaths, port: int, user: str) -> None:
    paths.config.write_text(_config_text(paths, port, user, with_penalties=True))
    paths.config.chmod(0o644)
    check = _run([str(SSHD), "-t", "-f", str(paths.config)], check=False)
    if check.returncode != 0 and "PerSourcePenalties" in check.stderr:
        # OpenSSH < 9.8 does not know the option (and has no penalties to switch off).
        paths.config.write_text(_config_text(paths, port, user, with_penalties=False))
        check = _run([str(SSHD), "-t", "-f", str(paths.config)], check=False)
    if check.returncode != 0:
        raise RuntimeError(f"sshd rejected {paths.config}:\n{check.stderr}")


def _config_text(paths: _ServerPaths, port: int, user: str, *, with_penalties: bool) -> str:
    # OpenSSH >= 9.8 penalises sources with failed/no-auth connections; tests (wrong key, ssh-keyscan probes)
    # would then be locked out of 127.0.0.1.
    penalties = "PerSourcePenalties no\n" if with_penalties else ""
    return (
        "# Generated by tests/services/sshd.py for grossisthub integration tests.\n"
        f"Port {port}\n"
        f"ListenAddress {HOST}\n"
        "AddressFamily inet\n"
        f"HostKey {paths.host_key}\n"
        f"PidFile {paths.pid_file}\n"
        f"AuthorizedKeysFile {paths.keys}/%u\n"
        "AuthenticationMethods publickey\n"
        "PubkeyAuthentication yes\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "PermitRootLogin no\n"
        "UsePAM no\n"
        "StrictModes yes\n"
        "UseDNS no\n"
        "PrintMotd no\n"
        "LogLevel VERBOSE\n"
        f"AllowUsers {user}\n"
        "Subsystem sftp internal-sftp\n"
        f"{penalties}"
        "\n"
        f"Match User {user}\n"
        f"    ChrootDirectory {paths.chroot}\n"
        "    ForceCommand internal-sftp\n"
        "    AllowTcpForwarding no\n"
        "    X11Forwarding no\n"
        "    PermitTTY no\n"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _keyscan(port: int) -> str | None:
    """The ed25519 host key served on ``port`` as ``"ssh-ed25519 AAAA..."``, or None if nothing answers."""
    try:
        result = _run(["ssh-keyscan", "-T", "2", "-p", str(port), "-t", "ed25519", HOST], check=False, timeout=5)
    except subprocess.TimeoutExpired:
        return None
    for line in result.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 3 and not line.startswith("#"):
            return f"{fields[1]} {fields[2]}"
    return None


def _child_pids(parent: int) -> list[int]:
    """Pids of the direct children of ``parent``, from /proc."""
    children = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (comm) state ppid ..." -- comm may contain spaces and parentheses, so split after the last ")".
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent:
            children.append(int(stat_file.parent.name))
    return children


def _mkdir_as_user(directory: Path, base: Path, user: str) -> None:
    """Create ``directory`` (below ``base``) and any missing parents, owned by ``user``."""
    missing = [d for d in (directory, *directory.parents) if d.is_relative_to(base) and not d.exists()]
    for path in reversed(missing):
        path.mkdir(mode=0o755)
        shutil.chown(path, user, user)


def _read_log(log_file: Path) -> str:
    try:
        return log_file.read_text(errors="replace")
    except OSError as exc:
        return f"(could not read {log_file}: {exc})"


def _run(args: list[str], *, check: bool = True, timeout: float | None = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=check, timeout=timeout)


@pytest.fixture(scope="session")
def sftp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SftpServer]:
    """One real sshd for the whole session; stopped and its /srv directory removed at the end."""
    server = start_sftp_server(tmp_path_factory.mktemp("sftp-client"))
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def sftp_inbox(sftp_server: SftpServer) -> SftpServer:
    """The session server with an empty inbox (and running, in case an earlier test left it stopped)."""
    sftp_server.clear_inbox()
    sftp_server.start()
    return sftp_server
