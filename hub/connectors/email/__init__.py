"""E-mail intake: IMAP mailboxes polled for attachments."""
