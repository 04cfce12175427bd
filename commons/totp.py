"""The current code of an authenticator-app secret (RFC 6238 TOTP: HMAC-SHA1, 6 digits, 30 s), for the
local demo: `python -m commons.totp SECRET` prints what a phone app would show now, so the demo curator can
pass the second factor without a phone. Pure standard library; it needs no settings or database."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import sys
import time

PERIOD = 30
DIGITS = 6


def code_at(secret: str, moment: float) -> str:
    key = base64.b32decode(secret.strip().replace(" ", "").upper() + "=" * (-len(secret.strip()) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(moment) // PERIOD), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 10 ** DIGITS:0{DIGITS}d}"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m commons.totp SECRET   (the base32 secret an authenticator app is given)",
              file=sys.stderr)
        return 2
    now = time.time()
    print(code_at(argv[0], now))
    print(f"valid for {PERIOD - int(now) % PERIOD} more seconds", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
