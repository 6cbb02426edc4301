"""The folder-per-class layout: ``root/<class>/<image>`` with optional masks."""

import functools
import os
import warnings
from pathlib import Path

import numpy as np

from ._image_io import IMAGE_SUFFIXES, ImageReadError, is_image_file


def _visible(entries):
    return sorted(
        (entry for entry in entries if not entry.name.startswith(".")),
        key=lambda entry: entry.name,
    )


def _image_files(folder, mask_suffix, problems, seen_folders):
    """Image files under ``folder`` (recursively, sorted), masks excluded.

    Links to folders are followed, but a folder reached a second time (a
    link loop, or two links to one folder) is read once and reported.
    Folders that cannot be read are reported too; nothing is dropped
    without a word.
    """

    def unreadable(error):
        problems.report(
            ValueError(
                f"{error.filename}: cannot read the folder ({error.strerror or error})."
            )
        )

    found = []
    for directory, subdirectories, files in os.walk(
        folder, onerror=unreadable, followlinks=True
    ):
        kept = []
        for name in sorted(d for d in subdirectories if not d.startswith(".")):
            target = os.path.realpath(os.path.join(directory, name))
            if target in seen_folders:
                problems.report(
                    ValueError(
                        f"{os.path.join(directory, name)}: links to {target}, which "
                        "is read already; its images would load twice."
                    )
                )
                continue
            seen_folders.add(target)
            kept.append(name)
        subdirectories[:] = kept
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


def load_folder(root, *, mask_dir, mask_suffix, problems, reader):
    """Rows of the particle table from a folder per class; see ``load_particles``.

    Returns ``(rows, y, n_found)``: a dict per loaded particle, the class
    folder names (None for a folder of loose images) and how many image
    files were found. Per-particle problems go to ``problems``; images are
    read by ``reader``.
    """
    root = Path(root)
    mask_root = Path(mask_dir).resolve() if mask_dir is not None else None
    try:
        with os.scandir(root) as entries:
            entries = _visible(entries)
    except OSError as exc:
        raise ValueError(f"{root}: cannot read the folder ({exc.strerror}).") from None
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
        real_root = os.path.realpath(root)
        seen_folders = {real_root}
        for folder in class_dirs:
            target = os.path.realpath(folder)
            if real_root == target or real_root.startswith(target + os.sep):
                problems.report(
                    ValueError(
                        f"{folder}: class folder {folder.name!r} is a link to "
                        f"{target}, which holds the root folder; its images would "
                        "load twice."
                    )
                )
                continue
            if target in seen_folders:
                problems.report(
                    ValueError(
                        f"{folder}: class folder {folder.name!r} links to {target}, "
                        "which is read already; its images would load twice."
                    )
                )
                continue
            seen_folders.add(target)
            n_skipped = len(problems.skipped)
            files = _image_files(folder, mask_suffix, problems, seen_folders)
            if not files and len(problems.skipped) == n_skipped:
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
    loaded = {}
    for label, files in groups:
        for path in files:
            total += 1
            relative = path.relative_to(root)
            try:
                target = os.path.realpath(path)
                if target in loaded:
                    raise ValueError(
                        f"{path}: is the same file as {loaded[target]} (a link); it "
                        "would load twice."
                    )
                loaded[target] = path
                image = reader.image(path)
                mask_path = _find_mask(path, relative, mask_dir, mask_suffix, listing)
                mask = (
                    None if mask_path is None else reader.mask(mask_path, image, path)
                )
            except (ImageReadError, ValueError) as exc:
                problems.report(exc)
                continue
            rows.append(
                {"id": path.stem, "image": image, "mask": mask, "path": str(path)}
            )
            labels.append(label)
    y = np.asarray(labels) if class_dirs else None
    return rows, y, total
