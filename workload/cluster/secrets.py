"""Per-cluster keys: made at `up` from os.urandom, 0600, bind-mounted, never printed.

The munge key authenticates every daemon to the others; the JWT key (HS256) signs the
tokens slurmrestd and `scontrol token` use. Neither is ever put in an image.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from pathlib import Path

MUNGE_KEY = "munge.key"
JWT_KEY = "jwt_hs256.key"
_SIZES = {MUNGE_KEY: 1024, JWT_KEY: 32}


def create_keys(directory: Path) -> None:
    """Write fresh keys into ``directory`` (made 0700); refuses to overwrite one."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    for name, size in _SIZES.items():
        write_private(directory / name, os.urandom(size))


def write_private(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 from the first byte on (no window where it is wider)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def sign_jwt(key: bytes, user: str, lifespan: int = 3600, now: float | None = None) -> str:
    """An HS256 JWT that Slurm accepts for ``user`` (claims: sun, iat, exp)."""
    issued = int(time.time() if now is None else now)
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {"iat": issued, "exp": issued + lifespan, "sun": user}
    signing_input = f"{_b64(json.dumps(header))}.{_b64(json.dumps(claims))}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _b64(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
