"""Reading one mail: sender, Message-ID, attachments, and who originally sent a forwarded mail.

Pure functions over the raw RFC 5322 bytes; no IMAP, no intake. Malformed mail never raises here:
a missing Message-ID becomes ``sha256:<hex of the mail>``, an unparsable sender becomes ``""``.
"""

from __future__ import annotations

import email
import email.header
import email.policy
import hashlib
import html
import re
from dataclasses import dataclass
from email.message import Message
from email.utils import parseaddr

ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# Header lines of an inline forward, in the languages of the region: "From: Name <a@b>", "Från:", "Fra:", …
FORWARD_FROM = re.compile(
    r"^[\s>*]*(?:From|Från|Fra|Frá|Lähettäjä|Afsender|Avsender|Von|De)\s*\**\s*:\s*\**(.*)$",
    re.IGNORECASE | re.MULTILINE,
)
MAX_ID = 300


@dataclass(frozen=True, slots=True)
class Attachment:
    index: int  # 1-based position among the mail's named parts
    filename: str  # sanitised: last path component, printable, never empty
    content_type: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class ParsedMail:
    message_id: str
    sender: str  # lower-case address of From, "" if none
    subject: str
    attachments: tuple[Attachment, ...]
    original_senders: tuple[str, ...]  # forwarded mail: From of attached messages, then of inline forwards


def parse_mail(raw: bytes) -> ParsedMail:
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    return ParsedMail(
        message_id=message_id(msg, raw),
        sender=address_of(msg.get("From")),
        subject=_text(msg.get("Subject")),
        attachments=tuple(_attachments(msg)),
        original_senders=tuple(dict.fromkeys(_original_senders(msg))),
    )


def message_id(msg: Message, raw: bytes) -> str:
    value = _text(msg.get("Message-ID")).strip().strip("<>").strip()
    if not value or len(value) > MAX_ID or not value.isprintable():
        return "sha256:" + hashlib.sha256(raw).hexdigest()
    return value


def address_of(header: object) -> str:
    _name, address = parseaddr(_text(header))
    return address.strip().lower() if "@" in address else ""


def safe_filename(name: str, index: int) -> str:
    """The last path component, printable characters only; ``attachment-<n>`` if nothing is left."""
    base = re.split(r"[\\/]", name)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip().lstrip(".")
    return cleaned[:200] or f"attachment-{index}"


def _attachments(msg: Message) -> list[Attachment]:
    found: list[Attachment] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        raw_name = part.get_filename()
        if not raw_name:
            continue
        index = len(found) + 1
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        name = safe_filename(_decoded(raw_name), index)
        found.append(Attachment(index, name, part.get_content_type(), data))
    return found


def _original_senders(msg: Message) -> list[str]:
    senders = []
    for part in msg.walk():
        if part.get_content_type() == "message/rfc822" and part.is_multipart():
            inner = part.get_payload(0)
            if isinstance(inner, Message):
                senders.append(address_of(inner.get("From")))
    for body in _bodies(msg):
        for match in FORWARD_FROM.finditer(body):
            found = ADDRESS.search(match.group(1))
            if found:
                senders.append(found.group(0).lower())
    return [s for s in senders if s]


def _bodies(msg: Message) -> list[str]:
    """Text of the inline (not attached) text parts; HTML reduced to text."""
    texts = []
    for part in msg.walk():
        if part.is_multipart() or part.get_filename() or part.get_content_maintype() != "text":
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        text = payload.decode(part.get_content_charset() or "utf-8", errors="replace")
        if part.get_content_subtype() == "html":
            text = re.sub(r"<\s*(br|/p|/div|/tr)\b[^>]*>", "\n", text, flags=re.IGNORECASE)
            text = html.unescape(re.sub(r"<[^>]+>", "", text))
        texts.append(text)
    return texts


def _text(value: object) -> str:
    if value is None:
        return ""
    return _decoded(str(value))


def _decoded(value: str) -> str:
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except (ValueError, LookupError, UnicodeDecodeError):
        return value
