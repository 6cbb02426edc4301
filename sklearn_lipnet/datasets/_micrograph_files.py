"""Micrographs on disk: a folder per sample, or an index file with a sample column.

Micrographs are large, so :func:`list_micrographs` only lists them (file,
sample, pixel size); whoever processes them reads one at a time with
:func:`~sklearn_lipnet.datasets._image_io.read_image`.
"""

from numbers import Real
from pathlib import Path

import numpy as np
import pandas as pd

from ..utils._files import write_atomically
from ._image_io import is_image_file, write_image
from ._index import _IMAGE_NAMES, _find_column, _read_index
from ._save import _file_name

__all__ = ["INDEX_NAME", "list_micrographs", "save_micrographs"]

#: The index file :func:`save_micrographs` writes and a folder is read by.
INDEX_NAME = "micrographs.csv"
#: The ground truth :func:`save_micrographs` writes beside it.
TRUTH_NAME = "particles.csv"
_SAMPLE_NAMES = ("sample", "batch", "group")


def _images_in(folder):
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file() and not path.name.startswith(".") and is_image_file(path)
    )


def _from_folder(root):
    rows = [(path, root.name) for path in _images_in(root)]
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        if not sub.name.startswith("."):
            rows += [(path, sub.name) for path in _images_in(sub)]
    if not rows:
        raise ValueError(
            f"{root} holds no micrographs (image files in it or in one level of "
            "sub-folders, one per sample)."
        )
    return pd.DataFrame(
        {
            "id": [path.stem for path, _ in rows],
            "sample": [sample for _, sample in rows],
            "path": [str(path) for path, _ in rows],
        }
    )


def _from_index(path):
    index = _read_index(path, _SAMPLE_NAMES)
    if len(index) == 0:
        raise ValueError(f"{path}: the index lists no micrographs.")
    image_col = _find_column(index, None, _IMAGE_NAMES, "image", path, True)
    sample_col = _find_column(index, None, _SAMPLE_NAMES, "sample", path, False)
    lower = {str(column).lower(): column for column in index.columns}
    files = []
    for position, cell in enumerate(index[image_col]):
        if not isinstance(cell, str) or not cell.strip():
            raise ValueError(
                f"{path}, line {position + 2}: no micrograph file in column "
                f"{image_col!r}."
            )
        file = Path(cell)
        files.append(file if file.is_absolute() else path.parent / file)
    table = pd.DataFrame(
        {
            "id": (
                index[lower["id"]].astype(str).to_numpy()
                if "id" in lower
                else [file.stem for file in files]
            ),
            "sample": (
                index[sample_col].astype(str).to_numpy()
                if sample_col is not None
                else path.stem
            ),
            "path": [str(file) for file in files],
        }
    )
    if "pixel_size_nm" in lower:
        table["pixel_size_nm"] = pd.to_numeric(
            index[lower["pixel_size_nm"]], errors="coerce"
        ).to_numpy()
    return table


def list_micrographs(path, *, pixel_size_nm=None):
    """List micrographs on disk with their samples, without reading them.

    Parameters
    ----------
    path : str or path-like
        A folder, or an index file (CSV or JSON). A folder holds image
        files (PNG, TIFF, MRC, ...) of one sample, or one sub-folder per
        sample; images directly in it belong to a sample named after it. A
        folder that holds ``micrographs.csv`` (as :func:`save_micrographs`
        writes) is read through that index. An index has a column naming
        the files (``image``, ``path``, ``file``...; relative to the index),
        and optionally ``sample`` (or ``batch``, ``group``; else the index's
        name is the sample), ``id`` and ``pixel_size_nm``.
    pixel_size_nm : float, default=None
        Pixel size of micrographs whose index gives none. None leaves it
        missing (NaN).

    Returns
    -------
    micrographs : pandas.DataFrame
        One row per micrograph, in order of sample and file: ``id``
        (unique: the file's stem, prefixed with the sample where stems
        repeat), ``sample``, ``path`` and ``pixel_size_nm``.

    Raises
    ------
    ValueError
        If the path holds no micrographs, or an index lacks a file column.
    FileNotFoundError
        If ``path`` does not exist.

    See Also
    --------
    save_micrographs : Write micrographs in this layout.
    make_micrographs : Synthetic micrographs.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_lipnet.datasets import (make_micrographs, save_micrographs,
    ...                                      list_micrographs)
    >>> micrographs, _ = make_micrographs(2, shape=128, random_state=0)
    >>> root = save_micrographs(micrographs, tempfile.mkdtemp(), sample="batch-1")
    >>> listed = list_micrographs(root)
    >>> listed[["id", "sample", "pixel_size_nm"]]
                 id   sample  pixel_size_nm
    0  micrograph-0  batch-1            1.0
    1  micrograph-1  batch-1            1.0
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No such file or folder: {path}")
    if path.is_dir() and (path / INDEX_NAME).is_file():
        path = path / INDEX_NAME
    table = _from_folder(path) if path.is_dir() else _from_index(path)
    if pixel_size_nm is not None:
        if not isinstance(pixel_size_nm, Real) or not pixel_size_nm > 0:
            raise ValueError(
                f"pixel_size_nm must be a positive number, got {pixel_size_nm!r}."
            )
    if "pixel_size_nm" not in table.columns:
        table["pixel_size_nm"] = np.nan
    if pixel_size_nm is not None:
        table["pixel_size_nm"] = table["pixel_size_nm"].fillna(float(pixel_size_nm))
    repeated = table["id"].duplicated(keep=False)
    table.loc[repeated, "id"] = table["sample"][repeated] + "/" + table["id"][repeated]
    if table["id"].duplicated().any():
        twice = table["id"][table["id"].duplicated()].iloc[0]
        raise ValueError(f"{path}: micrograph {twice!r} is listed twice.")
    return table.reset_index(drop=True)


def save_micrographs(
    micrographs, path, *, particles=None, sample=None, overwrite=False
):
    """Write micrographs as TIFF files in a folder per sample, with an index.

    Writes ``path/<sample>/<id>.tif`` for each micrograph, ``path/
    micrographs.csv`` (file, sample, id, pixel size) and, if ``particles``
    is given, ``path/particles.csv`` (the ground truth without masks). Each
    file appears whole or not at all.

    Parameters
    ----------
    micrographs : pandas.DataFrame
        ``id``, ``image`` and optionally ``pixel_size_nm`` and ``sample``,
        as :func:`make_micrographs` returns.
    path : str or path-like
        Root folder; created if needed.
    particles : pandas.DataFrame, default=None
        Ground truth, as :func:`make_micrographs` returns.
    sample : str, default=None
        The sample of micrographs without a ``sample`` column; None names it
        after the folder.
    overwrite : bool, default=False
        Replace files that already exist instead of raising.

    Returns
    -------
    root : pathlib.Path
        The root folder.

    See Also
    --------
    list_micrographs : List the micrographs written.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_lipnet.datasets import make_micrographs, save_micrographs
    >>> micrographs, truth = make_micrographs(2, shape=128, random_state=0)
    >>> root = save_micrographs(micrographs, tempfile.mkdtemp(), particles=truth,
    ...                         sample="batch-1")
    >>> sorted(p.relative_to(root).as_posix() for p in root.rglob("*.*"))
    ... # doctest: +NORMALIZE_WHITESPACE
    ['batch-1/micrograph-0.tif', 'batch-1/micrograph-1.tif', 'micrographs.csv',
     'particles.csv']
    """
    root = Path(path)
    if "id" not in micrographs.columns or "image" not in micrographs.columns:
        raise ValueError("micrographs needs 'id' and 'image' columns.")
    default = _file_name(sample if sample is not None else root.name, "sample")
    samples = (
        [_file_name(value, "sample") for value in micrographs["sample"]]
        if "sample" in micrographs.columns
        else [default] * len(micrographs)
    )
    names = [_file_name(value, "id") for value in micrographs["id"]]
    files = [Path(s) / f"{name}.tif" for s, name in zip(samples, names)]
    if len(set(files)) < len(files):
        raise ValueError("micrograph ids repeat within a sample.")
    targets = [root / INDEX_NAME, *(root / file for file in files)]
    if particles is not None:
        targets.append(root / TRUTH_NAME)
    if not overwrite:
        existing = [str(target) for target in targets if target.exists()]
        if existing:
            raise FileExistsError(
                f"{len(existing)} file(s) already exist, e.g. {existing[0]}; "
                "pass overwrite=True to replace them."
            )
    for file, image in zip(files, micrographs["image"]):
        (root / file).parent.mkdir(parents=True, exist_ok=True)
        write_atomically(
            root / file, lambda target, image=image: write_image(target, image)
        )
    index = pd.DataFrame(
        {
            "path": [file.as_posix() for file in files],
            "sample": samples,
            "id": micrographs["id"].astype(str).to_numpy(),
        }
    )
    if "pixel_size_nm" in micrographs.columns:
        index["pixel_size_nm"] = micrographs["pixel_size_nm"].to_numpy()
    write_atomically(
        root / INDEX_NAME, lambda target: index.to_csv(target, index=False)
    )
    if particles is not None:
        truth = particles.drop(columns=["mask"], errors="ignore").copy()
        by_id = dict(zip(micrographs["id"].astype(str), samples))
        truth.insert(1, "sample", truth["micrograph"].astype(str).map(by_id))
        write_atomically(
            root / TRUTH_NAME, lambda target: truth.to_csv(target, index=False)
        )
    return root
