#!/usr/bin/env bash
# Installs and starts the operating-system parts the integration tests use, if they are missing:
#   - OpenSSH's sshd (the tests run a real SFTP server on a loopback port);
#   - dovecot's IMAP server and LDA (the e-mail tests run a private dovecot on loopback ports);
#   - PostgreSQL answering on 127.0.0.1:5432 (trust auth, as on the project's CI machines);
#   - socat (TLS in front of the bundled broker, which speaks plaintext only, for the Kafka TLS tests).
# Idempotent; safe to run on every `make test`. Needs root for apt-get (CI runs as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "system-deps: please install: $* (e.g. sudo apt-get install -y $*)" >&2
    exit 1
  fi
  apt-get install -y -q "$@" >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "$@" >/dev/null; }
}

if [ ! -x /usr/sbin/sshd ]; then
  echo "system-deps: installing openssh-server"
  apt_install openssh-server
fi

if ! command -v socat >/dev/null; then
  echo "system-deps: installing socat"  # a TLS-terminating proxy in front of the bundled broker (Kafka TLS tests)
  apt_install socat
fi

if [ ! -x /usr/sbin/dovecot ] || [ ! -x /usr/lib/dovecot/dovecot-lda ]; then
  echo "system-deps: installing dovecot-imapd"
  apt_install dovecot-imapd
fi

pg_up() { (command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432) || (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if [ -n "${HUB_TEST_POSTGRES_URL:-}" ]; then
  : # the tests were given a PostgreSQL of their own
elif ! pg_up; then
  if [ ! -d /etc/postgresql ]; then
    echo "system-deps: installing postgresql"
    apt_install postgresql
  fi
  echo "system-deps: starting PostgreSQL"
  for version in $(ls /etc/postgresql); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start </dev/null >/dev/null 2>&1 || true
  done
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { echo "system-deps: PostgreSQL does not answer on 127.0.0.1:5432" >&2; exit 1; }
fi
echo "system-deps: sshd, dovecot and PostgreSQL ready"
