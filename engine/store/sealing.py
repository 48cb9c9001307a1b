"""What seals a database from outside it: the deployment's key file and the anchor log.

The threat (README, "Trust"): someone who can write the database (a copy
restored from a backup, a database administrator) but cannot read the key or
write the anchor log.

* **The key** (``CSPR_KEY_FILE``, else ``$XDG_CONFIG_HOME/cspr/key``, i.e.
  ``~/.config/cspr/key``): 32 random bytes, written in hex, created owner-only
  (0600, in a 0700 folder) the first time a database is sealed with it. The
  database chain is keyed with it (:func:`cspr.engine.store.chain.keyed_link`);
  the database keeps only the key's id, so a write or a check with the wrong
  key is refused instead of breaking the chain. A key file others may read is
  refused.
* **The anchor log** (``CSPR_ANCHOR_LOG``, else
  ``$XDG_DATA_HOME/cspr/anchors.log``, i.e. ``~/.local/share/cspr/anchors.log``):
  after every write commits, the database chain's new head is appended to it,
  one JSON line (when, which database by its id and by where it is, the head,
  the last entry). ``cspr audit verify`` checks that the latest heads in it of
  this database are still in the history: a database cut back to an earlier
  state (its newest entries deleted, an old copy restored) or rewritten no
  longer contains them. A database is found in the log by its id or by where it
  is, so removing its identity from the database does not hide its anchors.
  Appending after the commit means a crash can leave the database one write
  ahead of its log, never behind it.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cspr.engine.files import FileProblem, private_folder, read_bounded, write_private

from .chain import KEY_BYTES, key_id, new_key
from .interface import StoreError, utc_now

TAIL_BYTES = 1 << 20  # how much of the anchor log is read at a time, from its end
RECENT = 8  # how many of a database's latest anchors are checked


def _base(variable: str, fallback: str) -> Path:
    return Path(os.environ.get(variable) or os.path.join(os.path.expanduser("~"), fallback))


def key_path() -> Path:
    """Where the deployment's key is: $CSPR_KEY_FILE, else beside the user's other configuration."""
    given = os.environ.get("CSPR_KEY_FILE")
    return Path(given) if given else _base("XDG_CONFIG_HOME", ".config") / "cspr" / "key"


def anchor_path() -> Path:
    """Where the anchor log is: $CSPR_ANCHOR_LOG, else in the user's data folder (one log, lines name their
    database)."""
    given = os.environ.get("CSPR_ANCHOR_LOG")
    if given:
        return Path(given)
    return _base("XDG_DATA_HOME", os.path.join(".local", "share")) / "cspr" / "anchors.log"


# --- the key ----------------------------------------------------------------------------------------------


def read_key(path: Path, *, create: bool) -> bytes:
    """The key in ``path``; made (owner-only) if it does not exist and ``create`` says a new one may be."""
    if not os.path.lexists(path):
        if not create:
            raise StoreError(f"no key file at {path}: this database was sealed with a key; set CSPR_KEY_FILE to "
                             "the deployment's key file (nothing was changed)")
        try:
            private_folder(path.parent)
            write_private(path, new_key().hex() + "\n")
        except FileProblem as exc:
            if not os.path.lexists(path):  # not another process making it at the same moment
                raise StoreError(f"cannot create the key file: {exc}") from None
    try:
        info = os.stat(path)
        if stat.S_IMODE(info.st_mode) & 0o077:
            raise StoreError(f"the key file {path} may be read by others (mode {stat.S_IMODE(info.st_mode):o}); "
                             f"make it owner-only with: chmod 600 {path}")
        text = read_bounded(path, 1024, "a key file").decode("ascii").strip()
        key = bytes.fromhex(text)
    except FileProblem as exc:
        raise StoreError(f"cannot read the key file: {exc}") from None
    except (UnicodeDecodeError, ValueError):
        raise StoreError(f"{path} is not a cspr key file (it must hold {KEY_BYTES} bytes in hex)") from None
    if len(key) != KEY_BYTES:
        raise StoreError(f"{path} is not a cspr key file (it must hold {KEY_BYTES} bytes in hex)")
    return key


def key_for(meta: dict[str, str]) -> tuple[bytes, str]:
    """The key that seals a database with ``meta`` (its _meta rows), and its id; made on a database's first
    keyed write if there is no key file yet. Refused if the database names another key."""
    path = key_path()
    key = read_key(path, create="key_id" not in meta)
    kid = key_id(key)
    if meta.get("key_id", kid) != kid:
        raise StoreError(f"the key file {path} ({kid}) is not the key this database is sealed with "
                         f"({meta['key_id']}); set CSPR_KEY_FILE to the deployment's key file (nothing was changed)")
    return key, kid


# --- the anchor log ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """One line of the anchor log: the database chain's head after a write."""

    at: str
    database: str
    location: str  # where the database was: an SQLite file's absolute path, a PostgreSQL URL without password
    head: str
    last: str  # the last entry then: "REF #SEQ"

    def line(self) -> bytes:
        return (json.dumps({"at": self.at, "database": self.database, "location": self.location, "head": self.head,
                            "last": self.last}, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


class AnchorLog:
    """An append-only file of chain heads. Opened before a write commits (so a log that cannot be written
    stops the write), appended to after it commits."""

    def __init__(self, path: Path):
        self.path = path
        self._descriptor: int | None = None

    def open(self) -> None:
        if self._descriptor is not None:
            return
        try:
            private_folder(self.path.parent)
            self._descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except (OSError, FileProblem) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise StoreError(f"cannot open the anchor log {self.path} ({reason}); nothing was changed "
                             "(set CSPR_ANCHOR_LOG to a file cspr may append to)") from None

    def append(self, database: str, location: str, head: str, last: tuple[str, int] | None) -> None:
        """Append one head (one write of one line: lines from concurrent writers never interleave)."""
        self.open()
        assert self._descriptor is not None
        anchor = Anchor(utc_now(), database, location, head, f"{last[0]} #{last[1]}" if last else "")
        try:
            os.write(self._descriptor, anchor.line())
        except OSError as exc:
            raise StoreError(f"the entry was saved, but its chain head could not be added to the anchor log "
                             f"{self.path} ({exc.strerror}); run 'cspr audit anchor' and keep the head it "
                             "prints") from None
        finally:
            self.close()

    def close(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None


def latest_anchors(path: Path, database: str | None, location: str, count: int = RECENT) -> list[Anchor]:
    """The last ``count`` anchors in the log at ``path`` of the database with this id or at this location,
    oldest first (reading from the end, a block at a time, only as far back as needed). Empty if there is no
    log or no line for it."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise StoreError(f"cannot read the anchor log {path}: {exc.strerror}") from None
    found: list[Anchor] = []
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise StoreError(f"the anchor log {path} is not a regular file")
        end = os.lseek(descriptor, 0, os.SEEK_END)
        carry = b""
        while end > 0 and len(found) < count:
            start = max(0, end - TAIL_BYTES)
            os.lseek(descriptor, start, os.SEEK_SET)
            block = os.read(descriptor, end - start) + carry
            lines = block.split(b"\n")
            carry = lines.pop(0) if start > 0 else b""  # maybe the end of a line that starts further back
            for raw in reversed(lines):
                anchor = _parse(raw)
                if anchor is not None and (anchor.database == database or anchor.location == location):
                    found.append(anchor)
                    if len(found) == count:
                        break
            end = start
    finally:
        os.close(descriptor)
    return list(reversed(found))


def _parse(raw: bytes) -> Anchor | None:
    try:
        data: Any = json.loads(raw)
        return Anchor(str(data["at"]), str(data["database"]), str(data.get("location", "")), str(data["head"]),
                      str(data.get("last", "")))
    except (ValueError, KeyError, TypeError):
        return None  # an empty line, or one cut short by a crash
