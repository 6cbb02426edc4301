"""Loading particle cut-outs from disk into a particle table, and saving them."""

import functools
import json
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .._table import _is_missing, as_particle_table
from ._image_io import IMAGE_SUFFIXES, ImageReadError, is_image_file, read_image
from ._image_io import write_image as _write_image

INDEX_SUFFIXES = (".csv", ".json", ".jsonl")
# Column names recognised in an index file, compared case-insensitively.
_IMAGE_NAMES = ("image", "image_path", "path", "file", "filename")
_LABEL_NAMES = ("class", "label", "y", "target")
_MASK_NAMES = ("mask", "mask_path", "mask_file")
# How many skipped files a warning lists by name.
_NAMED_FILES = 10


class _Problems:
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
        warnings.warn(
            f"Skipped {len(self.skipped)} of {total} particles (on_error='skip'):"
            f"\n  {listed}" + (f"\n  ... and {more} more" if more > 0 else ""),
            UserWarning,
            stacklevel=3,
        )


class _Colour:
    """Counts colour images converted to grayscale, to say so once."""

    def __init__(self):
        self.count = 0
        self.example = None

    def note(self, converted, path):
        if converted:
            self.count += 1
            self.example = self.example or path

    def warn(self):
        if self.count:
            warnings.warn(
                f"{self.count} colour image(s) were converted to grayscale "
                f"(0.299 R + 0.587 G + 0.114 B), e.g. {self.example}.",
                UserWarning,
                stacklevel=3,
            )


def _read_mask(path, image, image_path, colour):
    mask, converted = read_image(path)
    colour.note(converted, path)
    if mask.shape != image.shape:
        raise ValueError(
            f"{path}: mask shape {mask.shape} differs from the shape "
            f"{image.shape} of its image {image_path}."
        )
    mask = mask > 0
    if not mask.any():
        raise ValueError(f"{path}: mask is empty (no pixel is set).")
    return mask


def _visible(entries):
    return sorted(
        (entry for entry in entries if not entry.name.startswith(".")),
        key=lambda entry: entry.name,
    )


def _image_files(folder, mask_suffix):
    """Image files under ``folder`` (recursively, sorted), masks excluded."""
    found = []
    for directory, subdirectories, files in os.walk(folder):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        for name in sorted(files):
            path = Path(directory) / name
            if name.startswith(".") or not is_image_file(path):
                continue
            if mask_suffix and path.stem.endswith(mask_suffix):
                continue
            found.append(path)
    return found


def _listing(folder):
    """Image files of one folder by stem (empty if the folder does not exist)."""
    if not folder.is_dir():
        return {}
    return {path.stem: path for path in sorted(folder.iterdir()) if is_image_file(path)}


def _find_mask(image_path, relative, mask_dir, mask_suffix, listing):
    """The mask file of an image: in the parallel tree, else beside it."""
    suffixed = image_path.stem + mask_suffix if mask_suffix else None
    if mask_dir is not None:
        masks = listing(Path(mask_dir) / relative.parent)
        for stem in (image_path.stem, suffixed):
            if stem in masks:
                return masks[stem]
    if suffixed:
        return listing(image_path.parent).get(suffixed)
    return None


def _load_folder(root, *, mask_dir, mask_suffix, problems, colour):
    root = Path(root)
    mask_root = Path(mask_dir).resolve() if mask_dir is not None else None
    with os.scandir(root) as entries:
        entries = _visible(entries)
    class_dirs = [
        Path(entry.path)
        for entry in entries
        if entry.is_dir() and Path(entry.path).resolve() != mask_root
    ]
    loose = [Path(entry.path) for entry in entries if entry.is_file()]
    loose = [
        path
        for path in loose
        if is_image_file(path) and not (mask_suffix and path.stem.endswith(mask_suffix))
    ]
    if class_dirs:
        if loose:
            warnings.warn(
                f"{len(loose)} image file(s) directly in {root} were ignored: with "
                "class folders present, images must be inside a folder per class.",
                UserWarning,
                stacklevel=3,
            )
        groups = []
        for folder in class_dirs:
            files = _image_files(folder, mask_suffix)
            if not files:
                problems.report(
                    ValueError(
                        f"{folder}: class folder {folder.name!r} contains no images "
                        f"(looked for {', '.join(IMAGE_SUFFIXES)})."
                    )
                )
            groups.append((folder.name, files))
    elif loose:
        groups = [(None, sorted(loose))]
    else:
        raise ValueError(
            f"{root}: no images found, neither in class folders nor directly "
            f"(looked for {', '.join(IMAGE_SUFFIXES)})."
        )

    listing = functools.cache(_listing)
    rows, labels, total = [], [], 0
    for label, files in groups:
        for path in files:
            total += 1
            relative = path.relative_to(root)
            try:
                image, converted = read_image(path)
                colour.note(converted, path)
                mask_path = _find_mask(path, relative, mask_dir, mask_suffix, listing)
                mask = (
                    None
                    if mask_path is None
                    else _read_mask(mask_path, image, path, colour)
                )
            except (ImageReadError, ValueError) as exc:
                problems.report(exc)
                continue
            rows.append(
                {"id": path.stem, "image": image, "mask": mask, "path": str(path)}
            )
            labels.append(label)
    y = None if groups[0][0] is None else np.asarray(labels)
    return rows, y, total


def _read_index(path):
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(path)
        if suffix == ".jsonl":
            return pd.read_json(path, lines=True)
        with open(path, encoding="utf-8") as handle:
            content = json.load(handle)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise ValueError(f"{path}: cannot read the index ({exc}).") from None
    if isinstance(content, dict) and not all(
        isinstance(value, list) for value in content.values()
    ):
        # {"particles": [...]} style: the single list of records inside.
        lists = [value for value in content.values() if isinstance(value, list)]
        if len(lists) != 1:
            raise ValueError(
                f"{path}: expected a list of particle records or a mapping of "
                "columns to lists."
            )
        content = lists[0]
    try:
        return pd.DataFrame(content)
    except ValueError as exc:
        raise ValueError(f"{path}: cannot read the index ({exc}).") from None


def _find_column(index, given, names, what, path, required):
    lower = {str(column).lower(): column for column in index.columns}
    if given is not None:
        if given in index.columns:
            return given
        if str(given).lower() in lower:
            return lower[str(given).lower()]
        raise ValueError(
            f"{path}: no {what} column {given!r}; the columns are "
            f"{[str(c) for c in index.columns]}."
        )
    for name in names:
        if name in lower:
            return lower[name]
    if required:
        raise ValueError(
            f"{path}: cannot tell which column names the {what}; looked for "
            f"{list(names)} (any case) among {[str(c) for c in index.columns]}. "
            f"Pass {what}_column=."
        )
    return None


def _load_index(path, *, image_column, label_column, mask_column, problems, colour):
    index = _read_index(path)
    if len(index) == 0:
        raise ValueError(f"{path}: the index lists no particles.")
    image_col = _find_column(index, image_column, _IMAGE_NAMES, "image", path, True)
    label_col = _find_column(index, label_column, _LABEL_NAMES, "label", path, False)
    mask_col = _find_column(index, mask_column, _MASK_NAMES, "mask", path, False)
    special = {image_col, label_col, mask_col} - {None}
    # Columns of the particle table's contract keep their contract names.
    renames = {
        column: str(column).lower()
        for column in index.columns
        if column not in special and str(column).lower() in ("id", "pixel_size_nm")
    }
    id_col = next((c for c, name in renames.items() if name == "id"), None)
    where = "line" if path.suffix.lower() == ".csv" else "record"
    base = path.parent

    rows, labels = [], []
    for position in range(len(index)):
        record = index.iloc[position]
        # Lines of a CSV file count the header; records of JSON count from 0.
        number = position + 2 if where == "line" else position
        name = f"{path}, {where} {number}"
        if id_col is not None:
            name += f" (id {record[id_col]!r})"
        try:
            if label_col is not None and _is_missing(record[label_col]):
                raise ValueError(f"{name}: no class in column {label_col!r}.")
            image, image_path = _index_image(record[image_col], base, name, colour)
            cell = None if mask_col is None else record[mask_col]
            mask = _index_mask(cell, image, image_path, base, name, colour)
        except (ImageReadError, ValueError, FileNotFoundError) as exc:
            problems.report(exc)
            continue
        row = {
            renames.get(column, column): record[column]
            for column in index.columns
            if column not in special
        }
        row.update(image=image, mask=mask)
        if image_path is not None:
            row["path"] = str(image_path)
        rows.append(row)
        if label_col is not None:
            labels.append(record[label_col])
    y = None if label_col is None else np.asarray(labels)
    return rows, y, len(index)


def _index_mask(cell, image, image_path, base, name, colour):
    if _is_missing(cell) or (isinstance(cell, str) and not cell.strip()):
        return None
    if isinstance(cell, str):
        mask_path = _resolve(cell, base, name, "mask")
        return _read_mask(mask_path, image, image_path or name, colour)
    mask = np.asarray(cell) > 0
    if mask.shape != image.shape:
        raise ValueError(
            f"{name}: mask shape {mask.shape} differs from image shape {image.shape}."
        )
    if not mask.any():
        raise ValueError(f"{name}: mask is empty (no pixel is set).")
    return mask


def _resolve(cell, base, name, what):
    path = Path(cell)
    if not path.is_absolute():
        path = base / path
    if not path.is_file():
        raise FileNotFoundError(f"{name}: {what} file {path} does not exist.")
    return path


def _index_image(cell, base, name, colour):
    if isinstance(cell, str):
        image_path = _resolve(cell, base, name, "image")
        image, converted = read_image(image_path)
        colour.note(converted, image_path)
        return image, image_path
    if _is_missing(cell):
        raise ValueError(f"{name}: no image.")
    # The pixels themselves, as nested lists (JSON) or an array.
    image = np.asarray(cell)
    if image.ndim != 2 or image.dtype.kind not in "iuf":
        raise ValueError(
            f"{name}: the image cell is neither a file name nor a 2-D array of "
            f"numbers (got shape {image.shape}, dtype {image.dtype})."
        )
    return image, None


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
      ``Id``, ``Image``, ``Class``).

    Images can be PNG, JPEG, BMP, TIFF (8-bit, 16-bit, float) or MRC (with
    the optional package ``mrcfile``). Colour images become grayscale (luma),
    with one warning. Masks are read as ``pixel > 0``. Files are only read.

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
        missing file, mask of another shape or empty, empty class folder):
        raise an error naming the file and the problem, or skip it and warn
        once with the list of what was skipped.

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
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder.")
    if mask_dir is not None and not Path(mask_dir).is_dir():
        raise FileNotFoundError(f"mask_dir {mask_dir}: no such folder.")
    problems = _Problems(on_error)
    colour = _Colour()
    if path.is_dir():
        rows, y, total = _load_folder(
            path,
            mask_dir=mask_dir,
            mask_suffix=mask_suffix,
            problems=problems,
            colour=colour,
        )
    elif path.suffix.lower() in INDEX_SUFFIXES:
        rows, y, total = _load_index(
            path,
            image_column=image_column,
            label_column=label_column,
            mask_column=mask_column,
            problems=problems,
            colour=colour,
        )
    else:
        raise ValueError(
            f"{path}: expected a folder or an index file "
            f"({', '.join(INDEX_SUFFIXES)}), got a {path.suffix or 'plain'} file."
        )
    colour.warn()
    problems.warn(total)
    if not rows:
        raise ValueError(f"{path}: no particle could be loaded.")
    table = pd.DataFrame(rows)
    if table["mask"].map(_is_missing).all():
        table = table.drop(columns="mask")
    if pixel_size_nm is not None and "pixel_size_nm" not in table.columns:
        table.insert(len(table.columns), "pixel_size_nm", float(pixel_size_nm))
    order = [c for c in ("id", "image", "mask", "pixel_size_nm", "path") if c in table]
    table = table[order + [c for c in table.columns if c not in order]]
    return as_particle_table(table), y


def _file_name(value, what):
    name = str(value)
    if not name or name in (".", "..") or any(sep in name for sep in "/\\\0"):
        raise ValueError(f"{what} {name!r} cannot be used as a file or folder name.")
    return name


def save_particles(table, y, path, *, image_format="png", overwrite=False):
    """Write a particle table to the folder layout that :func:`load_particles` reads.

    Writes ``path/<class>/<id>.<format>`` for each particle,
    ``path/<class>/<id>_mask.<format>`` where it has a mask, and
    ``path/index.csv`` with the relative file names, the classes and the
    other one-value-per-cell columns (``pixel_size_nm`` and the like), so
    that either layout reads the set back.

    Parameters
    ----------
    table : pandas.DataFrame or sequence of 2-D arrays
        The particle table. Particles are named by ``id`` (or their
        position when there is none); ids must be unique per class.
    y : array-like of shape (n_particles,) or None
        Class labels, used as folder names; None writes the images directly
        into ``path`` (unlabelled).
    path : str or path-like
        Root folder; created if needed.
    image_format : {"png", "tiff"}, default="png"
        PNG for 8- and 16-bit images, TIFF for any numeric dtype.
    overwrite : bool, default=False
        Replace files that already exist instead of raising.

    Returns
    -------
    root : pathlib.Path
        The root folder.

    See Also
    --------
    load_particles : Read the folder or its index back.
    """
    table = as_particle_table(table)
    if image_format not in ("png", "tiff"):
        raise ValueError(f"image_format must be 'png' or 'tiff', got {image_format!r}.")
    if y is not None:
        y = np.asarray(y)
        if y.shape != (len(table),):
            raise ValueError(
                f"y must hold one label per particle ({len(table)}), got shape "
                f"{y.shape}."
            )
    root = Path(path)
    ids = (
        [str(value) for value in table["id"]]
        if "id" in table.columns
        else [f"particle-{i:05d}" for i in range(len(table))]
    )
    folders = [""] * len(table) if y is None else [_file_name(v, "label") for v in y]
    names = [_file_name(i, "id") for i in ids]
    seen = set()
    for folder, name in zip(folders, names):
        if (folder, name) in seen:
            raise ValueError(f"id {name!r} occurs twice in class {folder!r}.")
        seen.add((folder, name))

    suffix = ".png" if image_format == "png" else ".tif"
    masks = table["mask"] if "mask" in table.columns else [None] * len(table)
    plan = []
    for folder, name, image, mask in zip(folders, names, table["image"], masks):
        image_file = Path(folder) / (name + suffix)
        mask_file = None if mask is None else Path(folder) / (name + "_mask" + suffix)
        plan.append((image_file, image, mask_file, mask))
    targets = [root / "index.csv"] + [
        root / f
        for image_file, _, mask_file, _ in plan
        for f in (image_file, mask_file)
        if f
    ]
    if not overwrite:
        existing = [str(t) for t in targets if t.exists()]
        if existing:
            raise FileExistsError(
                f"{len(existing)} file(s) already exist, e.g. {existing[0]}; "
                "pass overwrite=True to replace them."
            )
    for image_file, image, mask_file, mask in plan:
        (root / image_file).parent.mkdir(parents=True, exist_ok=True)
        _write_image(root / image_file, image)
        if mask_file is not None:
            _write_image(root / mask_file, mask)

    index = pd.DataFrame({"id": ids, "image": [p[0].as_posix() for p in plan]})
    if y is not None:
        index["class"] = y
    if "mask" in table.columns:
        index["mask"] = [p[2].as_posix() if p[2] is not None else "" for p in plan]
    dropped = []
    for column in table.columns:
        if column in ("id", "image", "mask", "path"):
            continue
        values = table[column]
        if values.map(lambda v: np.ndim(v) == 0).all():
            index[column] = values.to_numpy()
        else:
            dropped.append(str(column))
    if dropped:
        warnings.warn(
            f"Columns {dropped} hold more than one value per cell and were not "
            "written to index.csv.",
            UserWarning,
            stacklevel=2,
        )
    index.to_csv(root / "index.csv", index=False)
    return root
