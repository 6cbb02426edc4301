"""Loading particle cut-outs from disk into a particle table."""

import warnings
from numbers import Real
from pathlib import Path

import numpy as np
import pandas as pd

from ..utils import as_particle_table, is_missing
from ._folder import load_folder
from ._image_io import ImageReader
from ._index import INDEX_SUFFIXES, load_index

# How many skipped files a warning lists by name.
_NAMED_FILES = 10


class SkippedParticlesWarning(UserWarning):
    """Particles left out by ``on_error="skip"``.

    Parameters
    ----------
    message : str
        The warning's text, naming the first few problems.
    skipped : list of str
        Why each particle was left out, naming its file.
    total : int
        How many particles there were.

    Attributes
    ----------
    skipped : list of str
        Why each was left out, naming its file.
    total : int
        How many particles there were.
    """

    def __init__(self, message, skipped, total):
        super().__init__(message)
        self.skipped = skipped
        self.total = total


class Problems:
    """Per-particle problems: raised at once, or collected and warned about."""

    def __init__(self, on_error):
        if on_error not in ("raise", "skip"):
            raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}.")
        self.skip = on_error == "skip"
        self.skipped = []

    def report(self, exc):
        if not self.skip:
            raise exc
        self.skipped.append(str(exc))

    def warn(self, total):
        if not self.skipped:
            return
        listed = "\n  ".join(self.skipped[:_NAMED_FILES])
        more = len(self.skipped) - _NAMED_FILES
        message = (
            f"Skipped {len(self.skipped)} of {total} particles (on_error='skip'):"
            f"\n  {listed}" + (f"\n  ... and {more} more" if more > 0 else "")
        )
        warnings.warn(
            SkippedParticlesWarning(message, list(self.skipped), total), stacklevel=3
        )


def load_particles(
    path,
    *,
    mask_dir=None,
    mask_suffix="_mask",
    pixel_size_nm=None,
    image_column=None,
    label_column=None,
    mask_column=None,
    on_error="raise",
):
    """Load particle cut-outs from a folder per class or an index file.

    Two layouts are read:

    * **a folder** ``path/<class>/<image>`` (torchvision's ``ImageFolder``
      layout; class folders may have subfolders). Masks are found in a
      parallel tree ``mask_dir/<class>/<same name>``, or beside the image as
      ``<stem><mask_suffix>.<ext>``. Files that are not images and hidden
      files are ignored. A folder holding images but no class folders gives
      unlabelled particles (``y`` is None).
    * **an index file** (``.csv``, ``.json`` or ``.jsonl``), one row per
      particle: a column naming the image file (``image``, ``path``,
      ``file``...; relative to the index file) or holding the pixels as
      nested lists, optionally the class (``class``, ``label``...), the mask
      file (``mask``...), ``id``, ``pixel_size_nm`` and any other columns
      (e.g. precomputed ``Area``, ``Circularity``), which are kept. Column
      names are matched case-insensitively (the thesis's JSON rows have
      ``Id``, ``Image``, ``Class``). Ids, file names and classes are read
      as text, never guessed to be numbers (``007`` stays ``"007"``, a
      JSON ``7`` becomes ``"7"``); the other columns are read as pandas
      reads them.

    Images can be PNG, JPEG, BMP, TIFF (8-bit, 16-bit, float) or MRC (with
    the optional package ``mrcfile``). Colour images become grayscale (luma),
    with one warning. Masks are read as ``pixel > 0``. Files are only read.
    A file holding more than one image (a stack, an animation), complex or
    NaN pixels, or more pixels than ``PIL.Image.MAX_IMAGE_PIXELS`` is a
    problem of that file. Links to folders are followed, but no folder or
    file is read twice (a class folder linking to the root is a problem).

    Parameters
    ----------
    path : str or path-like
        The root folder, or the index file.
    mask_dir : str or path-like, default=None
        Root of a parallel tree of masks, for the folder layout.
    mask_suffix : str or None, default="_mask"
        Suffix of mask files stored beside their image; such files are never
        taken for particles. ``None`` disables the lookup.
    pixel_size_nm : float, default=None
        Pixel size of every image in nanometres, stored in the column
        ``pixel_size_nm`` (an index file's own column takes precedence).
    image_column, label_column, mask_column : str, default=None
        Column names of an index file, when they are not recognised.
    on_error : {"raise", "skip"}, default="raise"
        What to do with a particle that cannot be loaded (unreadable or
        missing file, NaN pixels, mask of another shape or empty, a bad
        ``pixel_size_nm`` in its index row, an empty or unreadable folder, a
        link to a folder or file read already): raise an error naming the
        file and the problem, or skip it and warn once
        (:class:`SkippedParticlesWarning`, whose ``skipped`` lists every
        problem).

    Returns
    -------
    table : pandas.DataFrame
        The particle table: ``id``, ``image`` (2-D arrays in their stored
        dtype), ``mask`` (2-D bool arrays, or None where a particle has no
        mask; only if some mask was found), ``pixel_size_nm`` (if known),
        ``path`` (the image file) and the index's other columns.
    y : ndarray of shape (n_particles,) or None
        Class labels: the class folder names, or the index's label column.

    Raises
    ------
    FileNotFoundError
        If ``path`` or a file that an index row names does not exist.
    ValueError
        If an image cannot be read, a mask does not fit its image, a class
        folder is empty, or the index cannot be read (with ``on_error="raise"``).

    See Also
    --------
    save_particles : Write a table back to the folder layout.
    make_liposomes : Synthetic particles in the same table.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from sklearn_lipnet.datasets import load_particles, make_liposomes
    >>> from sklearn_lipnet.datasets import save_particles
    >>> table, y = make_liposomes(12, random_state=0)
    >>> root = save_particles(table, y, tempfile.mkdtemp())
    >>> sorted(p.name for p in root.iterdir())
    ['index.csv', 'multilamellar', 'unilamellar']
    >>> loaded, labels = load_particles(root)
    >>> len(loaded), np.unique(labels).tolist()
    (12, ['multilamellar', 'unilamellar'])
    >>> list(loaded.columns)
    ['id', 'image', 'mask', 'path']
    """
    if pixel_size_nm is not None and not (
        isinstance(pixel_size_nm, Real) and 0 < pixel_size_nm < np.inf
    ):
        raise ValueError(
            f"pixel_size_nm must be a positive number of nanometres, got "
            f"{pixel_size_nm!r}."
        )
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder.")
    if mask_dir is not None and not Path(mask_dir).is_dir():
        raise FileNotFoundError(f"mask_dir {mask_dir}: no such folder.")
    problems = Problems(on_error)
    reader = ImageReader()
    if path.is_dir():
        rows, y, total = load_folder(
            path,
            mask_dir=mask_dir,
            mask_suffix=mask_suffix,
            problems=problems,
            reader=reader,
        )
    elif path.suffix.lower() in INDEX_SUFFIXES:
        rows, y, total = load_index(
            path,
            image_column=image_column,
            label_column=label_column,
            mask_column=mask_column,
            problems=problems,
            reader=reader,
        )
    else:
        raise ValueError(
            f"{path}: expected a folder or an index file "
            f"({', '.join(INDEX_SUFFIXES)}), got a {path.suffix or 'plain'} file."
        )
    reader.warn()
    problems.warn(total)
    if not rows:
        raise ValueError(f"{path}: no particle could be loaded.")
    table = pd.DataFrame(rows)
    if table["mask"].map(is_missing).all():
        table = table.drop(columns="mask")
    if pixel_size_nm is not None and "pixel_size_nm" not in table.columns:
        table.insert(len(table.columns), "pixel_size_nm", float(pixel_size_nm))
    order = [c for c in ("id", "image", "mask", "pixel_size_nm", "path") if c in table]
    table = table[order + [c for c in table.columns if c not in order]]
    return as_particle_table(table), y
