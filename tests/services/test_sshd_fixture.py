"""The real-sshd SFTP fixture works end to end with paramiko and host-key pinning."""

from __future__ import annotations

import stat
from pathlib import Path

import paramiko
import pytest
from paramiko.hostkeys import HostKeyEntry

from .sshd import SftpServer, sftp_inbox, sftp_server

__all__ = ["sftp_inbox", "sftp_server"]  # fixtures used by the tests below

pytestmark = pytest.mark.integration

ORDER_XML = b"<?xml version='1.0'?><Order><Id>4711</Id></Order>\n"


def _pinned_client(host: str, port: int, host_key_line: str) -> paramiko.SSHClient:
    entry = HostKeyEntry.from_line(f"[{host}]:{port} {host_key_line}")
    assert entry is not None and entry.key is not None
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.get_host_keys().add(f"[{host}]:{port}", entry.key.get_name(), entry.key)
    return client


def _connect(server: SftpServer, key_file: Path, host_key_line: str | None = None) -> paramiko.SSHClient:
    client = _pinned_client(server.host, server.port, host_key_line or server.host_key)
    try:
        client.connect(
            server.host,
            port=server.port,
            username=server.username,
            key_filename=str(key_file),
            look_for_keys=False,
            allow_agent=False,
            timeout=5,
            banner_timeout=5,
            auth_timeout=5,
        )
    except BaseException:
        client.close()
        raise
    return client


def test_list_read_and_rename_into_done(sftp_inbox: SftpServer) -> None:
    (sftp_inbox.local_dir / "order-4711.xml").write_bytes(ORDER_XML)  # dropped as root, mode 0644

    with _connect(sftp_inbox, sftp_inbox.private_key_file) as client, client.open_sftp() as sftp:
        assert sftp.listdir(sftp_inbox.remote_dir) == ["order-4711.xml"]
        with sftp.open(f"{sftp_inbox.remote_dir}/order-4711.xml", "rb") as remote:
            assert remote.read() == ORDER_XML
        sftp.mkdir(f"{sftp_inbox.remote_dir}/done")
        sftp.rename(f"{sftp_inbox.remote_dir}/order-4711.xml", f"{sftp_inbox.remote_dir}/done/order-4711.xml")
        assert sorted(sftp.listdir(sftp_inbox.remote_dir)) == ["done"]

    assert not (sftp_inbox.local_dir / "order-4711.xml").exists()
    assert (sftp_inbox.local_dir / "done" / "order-4711.xml").read_bytes() == ORDER_XML


def test_inbox_starts_empty_and_drop_file_is_owned_by_sftp_user(sftp_inbox: SftpServer) -> None:
    assert list(sftp_inbox.local_dir.iterdir()) == []  # the previous test's done/ was cleared

    dropped = sftp_inbox.drop_file("error/bad.xml", b"<broken")

    with _connect(sftp_inbox, sftp_inbox.private_key_file) as client, client.open_sftp() as sftp:
        attrs = sftp.stat(f"{sftp_inbox.remote_dir}/error/bad.xml")
        assert attrs.st_size == len(b"<broken")
        assert attrs.st_mode is not None and stat.S_IMODE(attrs.st_mode) == 0o644
        sftp.remove(f"{sftp_inbox.remote_dir}/error/bad.xml")
    assert not dropped.exists()


def test_chroot_hides_the_rest_of_the_filesystem(sftp_inbox: SftpServer) -> None:
    with _connect(sftp_inbox, sftp_inbox.private_key_file) as client, client.open_sftp() as sftp:
        assert sftp.listdir("/") == ["out"]
        with pytest.raises(PermissionError):
            sftp.mkdir("/not-allowed")  # the chroot root is root-owned


def test_wrong_key_is_refused(sftp_inbox: SftpServer) -> None:
    with pytest.raises(paramiko.AuthenticationException):
        _connect(sftp_inbox, sftp_inbox.wrong_private_key_file)


def test_client_pinned_to_another_host_key_is_refused(sftp_inbox: SftpServer) -> None:
    other_key = Path(f"{sftp_inbox.wrong_private_key_file}.pub").read_text().split()
    with pytest.raises(paramiko.BadHostKeyException):
        _connect(sftp_inbox, sftp_inbox.private_key_file, host_key_line=f"{other_key[0]} {other_key[1]}")


def test_unknown_host_key_is_rejected_by_policy(sftp_inbox: SftpServer) -> None:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    with client, pytest.raises(paramiko.SSHException, match="not found in known_hosts"):
        client.connect(
            sftp_inbox.host,
            port=sftp_inbox.port,
            username=sftp_inbox.username,
            key_filename=str(sftp_inbox.private_key_file),
            look_for_keys=False,
            allow_agent=False,
            timeout=5,
        )


def test_stop_then_start_on_same_port(sftp_inbox: SftpServer) -> None:
    port = sftp_inbox.port
    sftp_inbox.stop()
    try:
        assert not sftp_inbox.running
        with pytest.raises(paramiko.ssh_exception.NoValidConnectionsError):
            _connect(sftp_inbox, sftp_inbox.private_key_file)
    finally:
        sftp_inbox.start()

    assert sftp_inbox.running and sftp_inbox.port == port
    with _connect(sftp_inbox, sftp_inbox.private_key_file) as client, client.open_sftp() as sftp:
        assert sftp.listdir(sftp_inbox.remote_dir) == []


def test_stop_drops_open_connections(sftp_inbox: SftpServer) -> None:
    with _connect(sftp_inbox, sftp_inbox.private_key_file) as client, client.open_sftp() as sftp:
        assert sftp.listdir(sftp_inbox.remote_dir) == []
        sftp.get_channel().settimeout(5)
        sftp_inbox.stop()
        try:
            with pytest.raises((OSError, EOFError, paramiko.SSHException)):
                sftp.listdir(sftp_inbox.remote_dir)
        finally:
            sftp_inbox.start()


def test_key_files_are_openssh_ed25519_without_passphrase(sftp_server: SftpServer) -> None:
    for key_file in (sftp_server.private_key_file, sftp_server.wrong_private_key_file):
        assert key_file.read_text().startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
        assert isinstance(paramiko.Ed25519Key.from_private_key_file(str(key_file)), paramiko.Ed25519Key)
    assert sftp_server.host_key.startswith("ssh-ed25519 ")
    assert sftp_server.known_hosts_line == f"[127.0.0.1]:{sftp_server.port} {sftp_server.host_key}"
    assert sftp_server.server_root.parent == Path("/srv")
