"""Password rules after NIST SP 800-63B: at least 12 characters, long ones welcome and
never truncated, no composition rules, and common or guessable choices refused."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 12
MAX_LENGTH = 1024   # a bound against hashing megabytes, far above any passphrase
_COMMON_FILE = Path(__file__).resolve().parents[1] / "data" / "common-passwords.txt"
_CONTEXT_WORDS = ("citystat", "password", "riverton")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with open(_COMMON_FILE, encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip() and not line.startswith("#"))


def password_problem(password: str, *, username: str = "") -> str | None:
    """A message key saying what is wrong with `password`, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return "password.too_short"
    if len(password) > MAX_LENGTH:
        return "password.too_long"
    lowered = password.lower()
    common = common_passwords()
    core = re.sub(r"[\d\W_]+$", "", lowered)   # "dragon2024!!" -> "dragon"
    if lowered in common or core in common or len(set(lowered)) <= 2:
        return "password.common"
    for word in common:   # "monkeymonkeymonkey": a common password said several times
        if len(word) >= 4 and lowered == word * (len(lowered) // len(word)):
            return "password.common"
    if username and username.lower() in lowered:
        return "password.has_username"
    if any(lowered.replace(word, "") in ("", "123", "1234") for word in _CONTEXT_WORDS):
        return "password.common"
    if re.fullmatch(r"(0123456789|1234567890|abcdefghijklmnopqrstuvwxyz|qwertyuiop)+.?.?.?", lowered):
        return "password.common"
    return None
