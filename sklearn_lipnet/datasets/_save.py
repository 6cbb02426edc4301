"""Writing a particle table to the folder-per-class layout."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ..utils import as_particle_table, atomic_file
from ._image_io import write_image


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
        write_image(root / image_file, image)
        if mask_file is not None:
            write_image(root / mask_file, mask)

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
    with atomic_file(root / "index.csv", "w", newline="", encoding="utf-8") as handle:
        index.to_csv(handle, index=False)
    return root
