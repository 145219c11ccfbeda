"""Drives the django-pyas2 peer. Runs with the PEER's Python (its own venv), never the hub's.

    python peer_tool.py DIR init PORT               settings + migrate (DIR holds db, media, settings)
    python peer_tool.py DIR configure JSON           organization, partner (the hub), keys, certificates
    python peer_tool.py DIR send FILE                `django-admin sendas2message`, prints the outcome
    python peer_tool.py DIR resend MESSAGE_ID [new]  send a stored message again (same Message-ID unless `new`)
    python peer_tool.py DIR status MESSAGE_ID        prints the message's status and its MDN

Every command prints one JSON object on stdout.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

SETTINGS = """\
SECRET_KEY = "as2-peer-test-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.sessions", "pyas2"]
MIDDLEWARE = []
ROOT_URLCONF = "peer_urls"
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": {db!r}}}}}
MEDIA_ROOT = {media!r}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
PYAS2 = {{"MDN_URL": "http://127.0.0.1:{port}/pyas2/as2receive"}}
TEMPLATES = [{{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True, "OPTIONS": {{}}}}]
LOGGING = {{"version": 1, "disable_existing_loggers": False,
           "handlers": {{"console": {{"class": "logging.StreamHandler"}}}},
           "loggers": {{"pyas2": {{"handlers": ["console"], "level": "INFO"}}}}}}
"""
URLS = 'from django.urls import include, path\nurlpatterns = [path("pyas2/", include("pyas2.urls"))]\n'


def init(root: Path, port: str) -> dict[str, object]:
    (root / "media").mkdir(parents=True, exist_ok=True)
    settings = SETTINGS.format(db=str(root / "peer.sqlite"), media=str(root / "media"), port=port)
    (root / "peer_settings.py").write_text(settings)
    (root / "peer_urls.py").write_text(URLS)
    setup(root)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return {"ok": True}


def setup(root: Path) -> None:
    sys.path.insert(0, str(root))
    os.environ["DJANGO_SETTINGS_MODULE"] = "peer_settings"
    os.chdir(root / "media")  # sendas2message resolves payload paths through default_storage
    import django

    django.setup()


def configure(spec: dict[str, object]) -> dict[str, object]:
    """Create or update the organization (the wholesaler) and its partner (the hub)."""
    from pyas2.models import Organization, Partner, PrivateKey, PublicCertificate

    sign = PrivateKey.objects.create(name="sign", key=Path(str(spec["sign_bundle"])).read_bytes(), key_pass="")
    crypt = PrivateKey.objects.create(name="decrypt", key=Path(str(spec["decrypt_bundle"])).read_bytes(), key_pass="")
    org, _ = Organization.objects.update_or_create(
        as2_name=spec["org"], defaults={"name": "Wholesaler", "signature_key": sign, "encryption_key": crypt}
    )
    hub_cert = PublicCertificate.objects.create(
        name="hub", certificate=Path(str(spec["hub_cert"])).read_bytes(), verify_cert=False
    )
    defaults = {
        "name": "grossisthub",
        "target_url": spec["url"],
        "content_type": "application/XML",
        "compress": bool(spec.get("compress")),
        "encryption": spec.get("encryption"),
        "encryption_cert": hub_cert,
        "signature": spec.get("signature"),
        "signature_cert": hub_cert,
        "mdn": True,
        "mdn_mode": spec.get("mdn_mode", "SYNC"),
        "mdn_sign": spec.get("mdn_sign", "sha256"),
    }
    Partner.objects.update_or_create(as2_name=spec["partner"], defaults=defaults)
    return {"org": org.as2_name, "partner": spec["partner"]}


def describe(message_id: str) -> dict[str, object]:
    from pyas2.models import Mdn, Message

    message = Message.objects.filter(message_id=message_id, direction="OUT").first()
    if message is None:
        return {"message_id": message_id, "found": False}
    mdn = Mdn.objects.filter(message=message).first()
    return {
        "message_id": message.message_id,
        "found": True,
        "status": message.status,
        "detailed_status": message.detailed_status,
        "signed": message.signed,
        "encrypted": message.encrypted,
        "compressed": message.compressed,
        "mdn": None if mdn is None else {"mdn_id": mdn.mdn_id, "status": mdn.status, "signed": mdn.signed},
    }


def send(path: str, org: str, partner: str) -> dict[str, object]:
    from django.core.management import call_command
    from pyas2.models import Message

    before = set(Message.objects.values_list("id", flat=True))
    call_command("sendas2message", org, partner, path)
    new = Message.objects.exclude(id__in=before).get(direction="OUT")
    return describe(new.message_id)


def resend(message_id: str, same_id: bool) -> dict[str, object]:
    """Build the stored message again (new encryption, new signature) and send it, like a partner's retry."""
    from pyas2.models import Message
    from pyas2lib import Message as As2Message

    stored = Message.objects.get(message_id=message_id, direction="OUT")
    as2message = As2Message(sender=stored.organization.as2org, receiver=stored.partner.as2partner)
    payload = stored.payload.read()
    name = os.path.basename(stored.payload.name)
    as2message.build(payload, filename=name, content_type=stored.partner.content_type)
    if same_id:  # pyas2lib 1.4.3 cannot be given a Message-ID; it is an outer header, outside the signature
        as2message.message_id = message_id
        as2message.payload.replace_header("Message-ID", f"<{message_id}>")
    stored.send_message(as2message.headers, as2message.content)
    stored.refresh_from_db()
    result = describe(message_id)
    result["sent_message_id"] = as2message.message_id
    return result


def main(argv: list[str]) -> int:
    root, command, args = Path(argv[1]), argv[2], argv[3:]
    if command == "init":
        result = init(root, args[0])
    else:
        setup(root)
        if command == "configure":
            result = configure(json.loads(args[0]))
        elif command == "send":
            result = send(args[0], args[1], args[2])
        elif command == "resend":
            result = resend(args[0], same_id=len(args) < 2)
        elif command == "status":
            result = describe(args[0])
        else:
            raise SystemExit(f"unknown command {command}")
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
