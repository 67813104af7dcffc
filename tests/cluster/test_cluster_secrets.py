"""Keys are private from their first byte; JWTs are what Slurm's auth/jwt verifies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import stat
from pathlib import Path

import pytest

from workload.cluster.secrets import JWT_KEY, MUNGE_KEY, create_keys, sign_jwt
from workload.cluster.users import FIRST_UID, assign_uids
from workload.errors import ClusterError


def test_keys_are_random_and_0600_in_a_0700_dir(tmp_path: Path) -> None:
    create_keys(tmp_path / "a")
    create_keys(tmp_path / "b")
    for name, size in [(MUNGE_KEY, 1024), (JWT_KEY, 32)]:
        a, b = tmp_path / "a" / name, tmp_path / "b" / name
        assert stat.S_IMODE(a.stat().st_mode) == 0o600 and a.stat().st_size == size
        assert a.read_bytes() != b.read_bytes()
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700


def test_keys_are_never_overwritten(tmp_path: Path) -> None:
    create_keys(tmp_path)
    with pytest.raises(FileExistsError):
        create_keys(tmp_path)


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_jwt_is_hs256_with_the_claims_slurm_reads() -> None:
    token = sign_jwt(b"k" * 32, "alice", lifespan=60, now=1000)
    header, claims, signature = token.split(".")
    assert json.loads(_unb64(header)) == {"alg": "HS256", "typ": "JWT"}
    assert json.loads(_unb64(claims)) == {"iat": 1000, "exp": 1060, "sun": "alice"}
    expected = hmac.new(b"k" * 32, f"{header}.{claims}".encode(), hashlib.sha256).digest()
    assert _unb64(signature) == expected


def test_uids_are_stable_and_new_users_come_after_known_ones() -> None:
    first = assign_uids({}, ["alice", "bob"])
    assert first == {"alice": FIRST_UID, "bob": FIRST_UID + 1}
    assert assign_uids(first, ["carol", "alice"]) == {**first, "carol": FIRST_UID + 2}
    with pytest.raises(ClusterError, match="user name"):
        assign_uids({}, ["Bad User"])
