"""Files cspr reads and writes outside its database: bounded reads, owner-only files, all-or-nothing writes.

* :func:`read_bounded` reads a regular file of at most a given size; a device
  (``/dev/zero``), a pipe or a socket is refused at once, before anything is read;
* :func:`create_private` creates a new file readable by its owner only (0600),
  through a symbolic link too (the link's target is created, 0600);
* :func:`write_private` writes a new owner-only file all at once: the text goes
  to a temporary file beside it that is renamed into place only when complete,
  so a write that fails partway leaves nothing behind (and never overwrites).

Failures raise :class:`FileProblem`, a :class:`~cspr.engine.errors.CsprError`
whose message names the file and what to do.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from cspr.engine.errors import CsprError


class FileProblem(CsprError):
    """A file cannot be read or written as asked."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_bounded(path: str | os.PathLike[str], limit: int, what: str = "the file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; anything else is refused before it is read."""
    name = os.fspath(path)
    try:
        # O_NONBLOCK: opening a pipe with no writer must not hang; it is refused below.
        descriptor = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise FileProblem(f"{name}: no such file; check the path") from None
    except IsADirectoryError:
        raise FileProblem(f"{name} is a folder, not {what}") from None
    except PermissionError:
        raise FileProblem(f"{name}: cannot read the file: permission denied") from None
    except OSError as exc:
        raise FileProblem(f"{name}: cannot read the file: {exc.strerror}") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise FileProblem(f"{name} is {_kind(info.st_mode)}, not {what}; give a regular file")
        if info.st_size > limit:
            raise FileProblem(f"{name} is {info.st_size:,} bytes; {what} may be at most {limit:,} bytes")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(descriptor, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # it grew while being read
            raise FileProblem(f"{name} is more than {limit:,} bytes; {what} may be at most {limit:,} bytes")
        return b"".join(chunks)
    except OSError as exc:
        raise FileProblem(f"{name}: cannot read the file: {exc.strerror}") from None
    finally:
        os.close(descriptor)


def resolved(path: str | os.PathLike[str]) -> Path:
    """Where a new file at ``path`` is really created: the target of a symbolic link, however many."""
    return Path(os.path.realpath(os.fspath(path)))


def create_private(path: str | os.PathLike[str]) -> bool:
    """Create an empty file readable by its owner only (through a symbolic link, its target); return
    False if it already existed. Its folder must exist."""
    target = resolved(path)
    try:
        os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return False
    except OSError as exc:
        raise FileProblem(f"cannot create {path}: {exc.strerror}") from None
    os.chmod(target, 0o600)  # whatever the umask
    return True


def private_folder(path: Path) -> None:
    """Make ``path`` (and its missing parents) as folders readable by their owner only."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise FileProblem(f"cannot create the folder {path}: {exc.strerror}") from None


def write_private(path: str | os.PathLike[str], text: str | bytes, *, encoding: str = "utf-8",
                  newline: str | None = None) -> None:
    """Write a new file readable by its owner only, all at once; refuse to overwrite one.

    The text is written and flushed to a temporary file in the same folder, which is then linked into
    place (failing if the name was taken meanwhile) and removed: a failure at any point leaves no file."""
    target = Path(os.fspath(path))
    if os.path.lexists(target):
        raise FileProblem(f"{target} already exists; choose another file name (files are never overwritten)")
    folder = target.parent
    if not folder.is_dir():
        raise FileProblem(f"cannot write {target}: the folder {folder} does not exist")
    data = text if isinstance(text, bytes) else _encoded(text, encoding, newline)
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise FileProblem(f"cannot write {target}: {exc.strerror}") from None
    try:
        os.fchmod(descriptor, 0o600)
        view = memoryview(data)
        while view:
            written = os.write(descriptor, view)
            view = view[written:]
        os.fsync(descriptor)
        os.close(descriptor)
        descriptor = -1
        try:
            os.link(temporary, target)  # atomic, and never replaces an existing file
        except FileExistsError:
            raise FileProblem(f"{target} already exists; choose another file name (files are never overwritten)") from None
        except OSError:
            # a file system without hard links: the name was free a moment ago
            if os.path.lexists(target):
                raise FileProblem(f"{target} already exists; choose another file name") from None
            os.rename(temporary, target)
    except OSError as exc:
        raise FileProblem(f"cannot write {target}: {exc.strerror}; nothing was written") from None
    finally:
        if descriptor >= 0:
            os.close(descriptor)
        if os.path.lexists(temporary):
            os.unlink(temporary)


def _encoded(text: str, encoding: str, newline: str | None) -> bytes:
    if newline is None and os.linesep != "\n":
        text = text.replace("\n", os.linesep)
    elif newline not in (None, ""):
        text = text.replace("\n", newline)
    return text.encode(encoding)
