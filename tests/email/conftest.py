"""Fixtures of the e-mail intake tests: a real dovecot + SMTP server, and the intake wired to it."""

from tests.email.mailhub import mailhub
from tests.services.dovecot import mail_account, mail_server

__all__ = ["mail_account", "mail_server", "mailhub"]
