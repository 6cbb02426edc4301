"""Files and folders that appear whole or not at all.

A file written in place is truncated the moment it is opened: a kill, a full
disk or Ctrl-C during the write leaves half a file where the previous good
one was. :func:`atomic_file` writes to a temporary file in the same folder,
flushes it to the disk and only then renames it over the target, which POSIX
and Windows do in one step; :func:`replacing_folder` does the same for a
whole folder (a benchmark report). On any exception, Ctrl-C included, the
temporary file or folder is removed and the target is left as it was.
"""

import contextlib
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path

__all__ = ["atomic_file", "deferred_interrupts", "replacing_folder", "write_atomically"]


@contextlib.contextmanager
def deferred_interrupts():
    """Hold Ctrl-C (SIGINT) back until the block is done, then raise it.

    For the few renames that must happen together. Outside the main thread,
    where Python cannot install signal handlers, the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGINT) is None  # a handler installed from C
    ):
        yield
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda *_: received.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


def _default_mode(directory):
    """Permissions a plain ``open`` would give: 0o666 (0o777) less the umask."""
    # mkstemp / mkdtemp create private files (0o600 / 0o700); the result
    # must be as readable as a file written in place.
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if directory else 0o666) & ~umask


def _sync_folder(folder):
    """Make a rename in ``folder`` durable (POSIX; a no-op elsewhere)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


@contextlib.contextmanager
def atomic_file(path, mode="wb", **open_kwargs):
    """Open a temporary file that replaces ``path`` when the block succeeds.

    Parameters
    ----------
    path : str or path-like
        The file to write. Its folder must exist.
    mode : {"wb", "w"}, default="wb"
        Binary or text.
    **open_kwargs
        Passed to :func:`open` (``encoding``, ``newline``).

    Yields
    ------
    handle : file object
        Write the whole content to it. When the block ends normally the file
        is flushed, synced to the disk and renamed to ``path`` (replacing a
        file there); when it raises, Ctrl-C included, the temporary file is
        removed and ``path`` is untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn_lipnet.utils import atomic_file
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
    >>> with atomic_file(path, "w") as handle:
    ...     _ = handle.write("first")
    >>> try:
    ...     with atomic_file(path, "w") as handle:
    ...         _ = handle.write("sec")
    ...         raise RuntimeError("disk full")
    ... except RuntimeError:
    ...     pass
    >>> path.read_text(), sorted(p.name for p in path.parent.iterdir())
    ('first', ['notes.txt'])
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"mode must be 'wb' or 'w', got {mode!r}.")
    with _replacing_file(path, suffix=".partial") as temporary:
        with open(temporary, mode, **open_kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())


def write_atomically(path, write):
    """Call ``write(temporary_path)``, then move that file to ``path``.

    For writers that take a path rather than an open file, or that choose the
    format by the path's suffix (images, TIFF): the temporary file sits
    beside ``path`` with the same suffix. Like :func:`atomic_file`, ``path``
    is replaced only when ``write`` succeeds.

    Parameters
    ----------
    path : str or path-like
        Where the file ends up. Its folder must exist.
    write : callable
        Writes the file's whole content to the path it is given.

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from sklearn_lipnet.utils import write_atomically
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "table.csv"
    >>> write_atomically(path, lambda target: target.write_text("a,b\\n")).name
    'table.csv'
    >>> [p.name for p in path.parent.iterdir()]  # no temporary file left
    ['table.csv']
    """
    path = Path(path)
    with _replacing_file(path, suffix=f".partial{path.suffix}") as temporary:
        write(temporary)
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
    return path


@contextlib.contextmanager
def _replacing_file(path, suffix):
    """A temporary path beside ``path``, renamed to it when the block succeeds."""
    path = Path(path)
    if not path.parent.is_dir():
        # mkstemp would name its hidden temporary file, not the folder.
        raise FileNotFoundError(
            f"Cannot write {path}: the folder {path.parent} does not exist."
        )
    try:
        descriptor, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=suffix
        )
    except OSError as error:
        raise type(error)(
            error.errno, f"Cannot write {path}: {error.strerror} in {path.parent}"
        ) from None
    os.close(descriptor)  # reopened by name: writers such as tifffile read it
    temporary = Path(temporary)
    try:
        yield temporary
        os.chmod(temporary, _default_mode(directory=False))
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(path.parent)


@contextlib.contextmanager
def replacing_folder(path):
    """A temporary folder that replaces the folder ``path`` when the block succeeds.

    Parameters
    ----------
    path : str or path-like
        The folder to write; its parent is created if needed. An existing
        folder at ``path`` is replaced as a whole (with everything in it)
        when the block succeeds and left untouched when it raises.

    Yields
    ------
    folder : pathlib.Path
        An empty folder beside ``path`` to write the new content into.

    Notes
    -----
    Two renames put the new folder in place (the old one aside, the new one
    in); Ctrl-C is held back between them, so only a kill or a power cut at
    that instant can leave the old folder under a hidden ``.<name>.old-*``
    name instead of ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn_lipnet.utils import replacing_folder
    >>> report = pathlib.Path(tempfile.mkdtemp()) / "report"
    >>> with replacing_folder(report) as folder:
    ...     _ = (folder / "old.txt").write_text("old")
    >>> with replacing_folder(report) as folder:
    ...     _ = (folder / "new.txt").write_text("new")
    >>> sorted(p.name for p in report.parent.iterdir()), sorted(
    ...     p.name for p in report.iterdir())
    (['report'], ['new.txt'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.partial-"))
    try:
        yield temporary
        os.chmod(temporary, _default_mode(directory=True))
        if path.exists():
            aside = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.old-"))
            with deferred_interrupts():
                os.replace(path, aside)
                try:
                    os.replace(temporary, path)
                except BaseException:
                    os.replace(aside, path)
                    raise
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.replace(temporary, path)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    _sync_folder(path.parent)
