"""Fixtures shared by all tests: the corpus, a real Kafka-protocol broker, a real PostgreSQL database.

Real services, never mocks: the broker is ``HUB_TEST_BOOTSTRAP_SERVERS`` if set, else the bundled
Tansu broker started here; PostgreSQL is ``HUB_TEST_POSTGRES_URL`` or the server on 127.0.0.1:5432,
in which a throwaway database is created for the session. A missing service is an error, not a skip:
CI must exercise them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from hub.kafka.embedded import EmbeddedBroker
from hub.runtime import Runtime

pytest_plugins = ["tests.services.sshd"]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CORPUS = PROJECT_ROOT.parent / "shared" / "corpus"
EXAMPLES = PROJECT_ROOT / "examples"


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"third-party sample corpus not found at {CORPUS} (it is provided beside the checkout in CI)")
    return CORPUS


@pytest.fixture(scope="session")
def bootstrap_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    given = os.environ.get("HUB_TEST_BOOTSTRAP_SERVERS")
    if given:
        yield given
        return
    log_file = tmp_path_factory.mktemp("broker") / "tansu.log"
    with EmbeddedBroker(log_file=log_file) as broker:
        yield broker.bootstrap_servers


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    url = os.environ.get("HUB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        pytest.fail(f"PostgreSQL not usable at {url}: {exc} — run scripts/system-deps.sh", pytrace=False)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, empty database on the real PostgreSQL server, dropped after the test."""
    name = f"hub_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield postgres_admin_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def unique() -> str:
    """A short unique token for topic prefixes, group ids and file names."""
    return uuid.uuid4().hex[:8]


SERVICE_FIXTURES = {
    "bootstrap_servers",
    "postgres_url",
    "postgres_admin_url",
    "sftp_server",
    "sftp_inbox",
    "mail_server",
    "mail_account",
    "mailhub",
    "hosted",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that uses a real service is an integration test, whatever its module says."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and "postgresql" in callspec.params.values()
        if on_postgres or SERVICE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(params=["sqlite", "postgresql"])
def runtime_each_erp(
    request: pytest.FixtureRequest, tmp_path: Path, bootstrap_servers: str, unique: str
) -> Iterator[Runtime]:
    """A runtime on the test broker, once with the SQLite ERP and once with PostgreSQL."""
    from tests.support import broker_runtime

    erp_url = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    rt = broker_runtime(erp_url, tmp_path, bootstrap_servers, unique)
    yield rt
    rt.close()
