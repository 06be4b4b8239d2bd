"""Personal data protection (UU 27/2022): encryption at rest, keyed hashes, masking.

NIK, name, birth date and phone are stored only as Fernet tokens; duplicates are found through an
HMAC of the NIK, never by decrypting. Everything shown to staff or written to a log is masked.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# One optional separator between digits: people type a NIK as `3201 0145 0890 0001`,
# `3201.0145.0890.0001`, `3201/0145/0890/0001` or `3201-0145-…`.
_SEP = r"[\s./-]"
# A NIK: any 16 digits with at most one separator between two digits.
_NIK = re.compile(rf"(?<!\d)(?:\d{_SEP}?){{15}}\d(?!\d)")
# Indonesian mobile numbers in every common spacing: 0812…, +62 812…, 62-812-…, (0812) 3456-7890,
# +62 (0)812 …: the prefix, an 8, then 7-12 digits with at most one separator between two.
_PHONE = re.compile(
    rf"(?<![\d+])(?:(?:\+62|62|\(\+?62\)){_SEP}?(?:\(0\){_SEP}?)?\(?|\(?0)8(?:\)?{_SEP}?\d){{7,12}}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def mask_digits(value: str, keep_start: int, keep_end: int) -> str:
    digits = [i for i, ch in enumerate(value) if ch.isdigit()]
    hidden = set(digits[keep_start:len(digits) - keep_end])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(value))


def mask_nik(nik: str) -> str:
    """`3201********0001`: the region code and the last four digits."""
    return mask_digits(nik, 4, 4)


def mask_phone(phone: str) -> str:
    """`0812*****890`: the operator prefix and the last three digits."""
    return mask_digits(phone, 4, 3)


def mask_name(name: str) -> str:
    """`Siti A.`: the first name and the initials of the others."""
    words = (name or "").split()
    if not words:
        return ""
    return " ".join([words[0]] + [w[0].upper() + "." for w in words[1:]])


def mask_text(text: str) -> str:
    """The text with every NIK, phone number and e-mail address in it masked."""
    text = _NIK.sub(lambda m: mask_nik(m.group(0)), text or "")
    text = _PHONE.sub(lambda m: mask_phone(m.group(0)), text)
    return _EMAIL.sub(lambda m: m.group(0)[0] + "***@" + m.group(0).split("@", 1)[1], text)


class Vault:
    """Encrypts personal fields and computes lookup hashes with keys derived from one secret."""

    def __init__(self, secret: bytes):
        if len(secret) < 32:
            raise ValueError("the secret key must be at least 32 bytes")

        def derive(purpose: bytes) -> bytes:
            return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)

        self._derive = derive
        self._fernet = Fernet(base64.urlsafe_b64encode(derive(b"lindungi fernet")))
        self._hmac_key = derive(b"lindungi lookup hash")

    def derive(self, purpose: str) -> bytes:
        """A key for another purpose (e.g. signing staff sessions), derived from the same secret."""
        return self._derive(purpose.encode())

    @classmethod
    def from_settings(cls, key: str, data_dir: Path) -> "Vault":
        """LINDUNGI_SECRET_KEY if set; else a key generated once into the data directory (0600)."""
        if key:
            return cls(key.encode())
        path = Path(data_dir) / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(base64.urlsafe_b64encode(os.urandom(48)))
        return cls(path.read_bytes().strip())

    def encrypt(self, value: str | None) -> str | None:
        if value is None:
            return None
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str | None) -> str | None:
        if token is None:
            return None
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as error:
            raise ValueError("personal data could not be decrypted (wrong LINDUNGI_SECRET_KEY?)") from error

    def lookup_hash(self, value: str) -> str:
        return hmac.new(self._hmac_key, value.encode("utf-8"), hashlib.sha256).hexdigest()


class MaskingFilter:
    """A logging filter that masks NIKs, phone numbers and e-mail addresses in every record,
    including the text of exceptions, before any handler writes it."""

    def filter(self, record) -> bool:
        import logging

        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text, record.exc_info = mask_text(text), None
        return True


def protect_logs() -> None:
    """Mask personal data in every log handler of the process."""
    import logging

    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
