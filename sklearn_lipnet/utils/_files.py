"""Files that appear whole or not at all."""

import os
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(path, write):
    """Call ``write(temporary_path)``, then move the file to ``path``.

    The temporary file sits beside ``path`` (same folder, same suffix, so
    that writers choosing a format by suffix choose the same one) and is
    removed if ``write`` fails: a reader never sees a half-written file.

    Parameters
    ----------
    path : str or path-like
        Where the file ends up.
    write : callable
        Writes the file's content to the path it is given.

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from sklearn_lipnet.utils._files import write_atomically
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "table.csv"
    >>> write_atomically(path, lambda target: target.write_text("a,b\\n"))
    PosixPath(...table.csv')
    >>> [p.name for p in path.parent.iterdir()]  # no temporary file left
    ['table.csv']
    """
    path = Path(path)
    temporary = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()
    return path
