"""The index-file layout: a CSV or JSON table naming one particle per row."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..utils import check_image, is_missing
from ._image_io import ImageReadError

INDEX_SUFFIXES = (".csv", ".json", ".jsonl")
# Column names recognised in an index file, compared case-insensitively.
_IMAGE_NAMES = ("image", "image_path", "path", "file", "filename")
_LABEL_NAMES = ("class", "label", "y", "target")
_MASK_NAMES = ("mask", "mask_path", "mask_file")


def _text_columns(columns, given):
    """Columns read as text: ids, file names, labels (never type-guessed)."""
    names = {*_IMAGE_NAMES, *_LABEL_NAMES, *_MASK_NAMES, "id", "path"}
    names |= {str(g).lower() for g in given if g is not None}
    return [column for column in columns if str(column).lower() in names]


def _as_text(value):
    """Numbers and booleans as their text; pixel lists and text as they are."""
    if isinstance(value, (bool, int, float)) and not is_missing(value):
        return str(value)
    return value


def _read_index(path, given):
    """The index as a DataFrame; ids, file names and labels as strings.

    ``given`` holds the column names the caller passed (or None).
    """
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            header = pd.read_csv(path, nrows=0).columns
            # pandas would turn the id "007" into 7.0 and the label "01" into 1.
            text = {column: str for column in _text_columns(header, given)}
            return pd.read_csv(path, dtype=text)
        with open(path, encoding="utf-8") as handle:
            if suffix == ".jsonl":
                content = [json.loads(line) for line in handle if line.strip()]
            else:
                content = json.load(handle)
    except (ValueError, OSError, RecursionError, pd.errors.ParserError) as exc:
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
        index = pd.DataFrame(content)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path}: cannot read the index ({exc}).") from None
    # JSON numbers as ids or labels become their text: 7 -> "7".
    for column in _text_columns(index.columns, given):
        index[column] = index[column].map(_as_text).astype(object)
    return index


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


def load_index(path, *, image_column, label_column, mask_column, problems, reader):
    """Rows of the particle table from an index file; see ``load_particles``.

    Returns ``(rows, y, n_listed)``: a dict per loaded particle, the labels
    (None without a label column) and how many particles the index lists.
    Per-particle problems go to ``problems``; images are read by ``reader``.
    """
    index = _read_index(path, (image_column, label_column, mask_column))
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
            if label_col is not None and is_missing(record[label_col]):
                raise ValueError(f"{name}: no class in column {label_col!r}.")
            image, image_path = _index_image(record[image_col], base, name, reader)
            cell = None if mask_col is None else record[mask_col]
            mask = _index_mask(cell, image, image_path, base, name, reader)
            row = {
                renames.get(column, column): record[column]
                for column in index.columns
                if column not in special
            }
            if "pixel_size_nm" in row:
                row["pixel_size_nm"] = _pixel_size(row["pixel_size_nm"], name)
        except (ImageReadError, ValueError, FileNotFoundError) as exc:
            problems.report(exc)
            continue
        row.update(image=image, mask=mask)
        if image_path is not None:
            row["path"] = str(image_path)
        rows.append(row)
        if label_col is not None:
            labels.append(record[label_col])
    y = None if label_col is None else np.asarray(labels)
    return rows, y, len(index)


def _pixel_size(value, name):
    """A row's pixel size as a float (NaN where missing), or a ValueError."""
    if is_missing(value):
        return np.nan
    try:
        size = float(value)
    except (TypeError, ValueError):
        size = np.nan
    if not 0 < size < np.inf:
        raise ValueError(
            f"{name}: pixel_size_nm must be a positive number of nanometres, "
            f"got {value!r}."
        )
    return size


def _index_mask(cell, image, image_path, base, name, reader):
    if is_missing(cell) or (isinstance(cell, str) and not cell.strip()):
        return None
    if isinstance(cell, str):
        mask_path = _resolve(cell, base, name, "mask")
        return reader.mask(mask_path, image, image_path or name)
    try:
        mask = np.asarray(cell)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"{name}: the mask cell is not an array ({exc}).") from None
    if mask.dtype.kind not in "biuf":
        raise ValueError(f"{name}: the mask cell holds {mask.dtype} values.")
    mask = mask > 0
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
    if path.is_dir():
        raise ValueError(f"{name}: {what} {path} is a folder, not an image file.")
    if not path.is_file():
        raise FileNotFoundError(f"{name}: {what} file {path} does not exist.")
    return path


def _index_image(cell, base, name, reader):
    if isinstance(cell, str):
        image_path = _resolve(cell, base, name, "image")
        return reader.image(image_path), image_path
    if is_missing(cell):
        raise ValueError(f"{name}: no image.")
    # The pixels themselves, as nested lists (JSON) or an array.
    try:
        image = check_image(cell, finite_where="all")
    except ValueError as exc:
        raise ValueError(
            f"{name}: the image cell is neither a file name nor a 2-D array of "
            f"finite numbers: {exc}"
        ) from None
    return image, None
