"""Find the particles of micrographs and cut them out as a particle table."""

from numbers import Real

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import ndimage as ndi

from ..utils import check_image, is_missing
from ._candidates import band_pass, block_mean, candidate_regions, working_factor
from ._outline import trace_outline

__all__ = ["PARTICLE_COLUMNS", "find_particles"]

#: Columns of the particle table :func:`find_particles` returns, in order.
PARTICLE_COLUMNS = (
    "id",
    "micrograph",
    "image",
    "mask",
    "pixel_size_nm",
    "y",
    "x",
    "y0",
    "x0",
    "y1",
    "x1",
    "diameter_nm",
    "score",
    "cut_by_border",
    "cutout_y0",
    "cutout_x0",
)
# Width of the membrane band-pass at full resolution: a lipid head-group
# layer (~1 nm) blurred by the optics.
_MEMBRANE_SIGMA_NM = 1.3
DEFAULTS = {
    "surrounding_nm": 50.0,
    "min_diameter_nm": 25.0,
    "max_diameter_nm": 400.0,
    "min_score": 1.0,
}


def as_micrograph_table(micrographs, pixel_size_nm=None):
    """Micrographs as a table with ``id``, ``image`` and ``pixel_size_nm``.

    Accepts a table with an ``image`` column, one 2-D array, or a sequence
    of 2-D arrays (or a 3-D stack). ``pixel_size_nm`` fills rows without a
    pixel size (1 nm if None). Images are checked; the table is a copy.
    """
    if isinstance(micrographs, pd.DataFrame):
        if "image" not in micrographs.columns:
            raise ValueError(
                "A micrograph table needs an 'image' column; the columns are "
                f"{list(map(str, micrographs.columns))}."
            )
        table = micrographs.copy(deep=False)
    elif isinstance(micrographs, np.ndarray) and micrographs.ndim == 2:
        table = pd.DataFrame({"image": [micrographs]})
    elif isinstance(micrographs, (str, bytes)) or not hasattr(micrographs, "__len__"):
        raise TypeError(
            "Expected micrographs as a DataFrame with an 'image' column, a 2-D "
            f"array or a sequence of 2-D arrays; got {type(micrographs).__name__}."
        )
    else:
        table = pd.DataFrame({"image": list(micrographs)})
    if len(table) == 0:
        raise ValueError("There are no micrographs.")
    if "id" not in table.columns:
        width = len(str(len(table) - 1))
        table["id"] = [f"micrograph-{i:0{width}d}" for i in range(len(table))]
    default = 1.0 if pixel_size_nm is None else pixel_size_nm
    if not isinstance(default, Real) or not np.isfinite(default) or default <= 0:
        raise ValueError(
            f"pixel_size_nm must be a positive number, got {pixel_size_nm!r}."
        )
    sizes = (
        table["pixel_size_nm"].tolist()
        if "pixel_size_nm" in table.columns
        else [None] * len(table)
    )
    checked_sizes = []
    for micrograph_id, image, size in zip(table["id"], table["image"], sizes):
        size = default if is_missing(size) else size
        try:
            check_image(image, finite_where="all")
            if min(np.shape(image)) < 32:
                raise ValueError(
                    f"image of shape {np.shape(image)} is too small to be a "
                    "micrograph (at least 32 x 32 pixels)."
                )
            if not isinstance(size, Real) or not np.isfinite(size) or size <= 0:
                raise ValueError(f"pixel_size_nm must be positive, got {size!r}.")
        except ValueError as exc:
            raise ValueError(f"micrograph {str(micrograph_id)!r}: {exc}") from None
        checked_sizes.append(float(size))
    table["pixel_size_nm"] = checked_sizes
    return table


def check_finder_settings(surrounding_nm, min_diameter_nm, max_diameter_nm, min_score):
    """The settings as a dict, or a ValueError naming the wrong one."""
    settings = {
        "surrounding_nm": surrounding_nm,
        "min_diameter_nm": min_diameter_nm,
        "max_diameter_nm": max_diameter_nm,
        "min_score": min_score,
    }
    for name, value in settings.items():
        if not isinstance(value, Real) or not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a non-negative number, got {value!r}.")
    if not 0 < min_diameter_nm < max_diameter_nm:
        raise ValueError(
            "min_diameter_nm must be positive and below max_diameter_nm, got "
            f"{min_diameter_nm!r} and {max_diameter_nm!r}."
        )
    return settings


def _wide_blur(working, factor, sigma, shape):
    """The full-resolution image blurred by ``4 * sigma``, from ``working``.

    Blurring the smaller working image and enlarging the smooth result
    costs a fraction of blurring the micrograph; None where there is no
    working image (factor 1).
    """
    if factor == 1:
        return None
    wide = ndi.gaussian_filter(working, 4 * sigma / factor)
    wide = ndi.zoom(wide, factor, order=1, mode="nearest", grid_mode=True)
    pad = [(0, full - part) for full, part in zip(shape, wide.shape)]
    return np.pad(wide, pad, mode="edge")


def _drop_nested(outlines):
    """Drop outlines lying mostly inside a larger one: its content.

    Inner vesicles, lamellae or crystals belong to the particle around them.
    """
    radius = [np.sqrt(outline.area / np.pi) for outline in outlines]
    order = sorted(range(len(outlines)), key=lambda i: -radius[i])
    kept = []
    for i in order:
        row, col = outlines[i].centre
        if all(
            np.hypot(row - outlines[j].centre[0], col - outlines[j].centre[1])
            >= radius[j] - 0.5 * radius[i]
            for j in kept
        ):
            kept.append(i)
    return [outlines[i] for i in sorted(kept)]


def find_outlines(image, pixel_size_nm, settings):
    """The outlines of the particles in one micrograph.

    Returns the outlines of membrane-bounded particles in the size range
    with at least ``min_score``; then those lying inside another are dropped
    (after the score, so that a faint outline cannot hide a clear one).
    """
    image = np.asarray(image, dtype=np.float32)
    factor = working_factor(pixel_size_nm)
    working = block_mean(image, factor)
    working_nm = pixel_size_nm * factor
    min_radius = settings["min_diameter_nm"] / 2
    max_radius = settings["max_diameter_nm"] / 2
    regions = candidate_regions(
        working,
        min_radius=0.7 * min_radius / working_nm,
        max_radius=max_radius / working_nm,
    )
    sigma = max(1.0, _MEMBRANE_SIGMA_NM / pixel_size_nm)
    darkness, smooth = band_pass(
        image, sigma, _wide_blur(working, factor, sigma, image.shape)
    )
    labels = np.arange(1, regions.max() + 1)
    if not len(labels):
        return []
    areas = ndi.sum_labels(np.ones(regions.shape), regions, labels)
    centres = ndi.center_of_mass(np.ones(regions.shape), regions, labels)
    outlines = []
    for label, area, (row, col) in zip(labels, areas, centres):
        radius = np.sqrt(area / np.pi) * factor
        if not 0.6 * min_radius <= radius * pixel_size_nm <= 1.2 * max_radius:
            continue
        origin = ((row + 0.5) * factor - 0.5, (col + 0.5) * factor - 0.5)
        outline = trace_outline(
            darkness,
            smooth,
            regions,
            label,
            factor,
            origin,
            radius,
            sigma,
            pixel_size_nm,
            min_score=settings["min_score"],
        )
        diameter_nm = 2 * np.sqrt(outline.area / np.pi) * pixel_size_nm
        if not 2 * min_radius <= diameter_nm <= 2 * max_radius:
            continue
        if outline.rejected or outline.score < settings["min_score"]:
            continue
        outlines.append(outline)
    return _drop_nested(outlines)


def _cut_out(image, outline, surrounding):
    """The particle's visible mask, its box and its cut-out, or None."""
    height, width = image.shape
    rows, cols = outline.points
    box = (
        max(int(np.floor(rows.min())) - 1, 0),
        max(int(np.floor(cols.min())) - 1, 0),
        min(int(np.ceil(rows.max())) + 2, height),
        min(int(np.ceil(cols.max())) + 2, width),
    )
    if box[0] >= box[2] or box[1] >= box[3]:
        return None
    mask = outline.mask(box)
    if not mask.any():
        return None
    hit_rows = np.flatnonzero(mask.any(axis=1))
    hit_cols = np.flatnonzero(mask.any(axis=0))
    y0, y1 = box[0] + hit_rows[0], box[0] + hit_rows[-1] + 1
    x0, x1 = box[1] + hit_cols[0], box[1] + hit_cols[-1] + 1
    mask = mask[y0 - box[0] : y1 - box[0], x0 - box[1] : x1 - box[1]]
    top, left = max(y0 - surrounding, 0), max(x0 - surrounding, 0)
    bottom, right = min(y1 + surrounding, height), min(x1 + surrounding, width)
    cutout_mask = np.zeros((bottom - top, right - left), dtype=bool)
    cutout_mask[y0 - top : y1 - top, x0 - left : x1 - left] = mask
    cut = y0 == 0 or x0 == 0 or y1 == height or x1 == width
    return {
        "image": image[top:bottom, left:right].copy(),
        "mask": cutout_mask,
        "y0": int(y0),
        "x0": int(x0),
        "y1": int(y1),
        "x1": int(x1),
        "cut_by_border": bool(cut),
        "cutout_y0": int(top),
        "cutout_x0": int(left),
    }


def find_in_micrograph(image, pixel_size_nm, settings):
    """Particle records (dicts) of one micrograph, in table order."""
    image = np.asarray(image)
    outlines = find_outlines(image, pixel_size_nm, settings)
    surrounding = int(round(settings["surrounding_nm"] / pixel_size_nm))
    records = []
    for outline in outlines:
        cut = _cut_out(image, outline, surrounding)
        if cut is None:
            continue
        records.append(
            {
                **cut,
                "pixel_size_nm": pixel_size_nm,
                "y": outline.centre[0],
                "x": outline.centre[1],
                "diameter_nm": 2 * np.sqrt(outline.area / np.pi) * pixel_size_nm,
                "score": outline.score,
            }
        )
    return records


def particle_table(micrographs, found):
    """The particle table of ``micrographs`` from their records ``found``.

    Columns :data:`PARTICLE_COLUMNS`, then the micrograph table's other
    columns (its ``path`` as ``micrograph_path``) repeated for each particle.
    """
    extra = [
        column
        for column in micrographs.columns
        if column not in ("id", "image", "pixel_size_nm")
    ]
    rows = []
    for (_, micrograph), records in zip(micrographs.iterrows(), found):
        for k, record in enumerate(records):
            row = {"id": f"{micrograph['id']}-p{k:03d}", "micrograph": micrograph["id"]}
            row.update(record)
            for column in extra:
                row["micrograph_path" if column == "path" else column] = micrograph[
                    column
                ]
            rows.append(row)
    columns = list(PARTICLE_COLUMNS) + [
        "micrograph_path" if column == "path" else column for column in extra
    ]
    table = pd.DataFrame.from_records(rows, columns=columns)
    for column in ("image", "mask"):
        table[column] = table[column].astype(object)
    return table


def find_particles(
    micrographs,
    *,
    pixel_size_nm=None,
    surrounding_nm=DEFAULTS["surrounding_nm"],
    min_diameter_nm=DEFAULTS["min_diameter_nm"],
    max_diameter_nm=DEFAULTS["max_diameter_nm"],
    min_score=DEFAULTS["min_score"],
    n_jobs=None,
):
    """Find the particles of micrographs and cut them out as a particle table.

    Made for membrane-bounded particles (liposomes, vesicles) in bright-field
    TEM: thin dark closed outlines on a brighter background. At about 2 nm
    per pixel, membranes (and the thicker bands of closely stacked
    lamellae) are picked out by band-pass filters at two widths and a
    hysteresis threshold; the regions they enclose (with the micrograph's
    border, for particles it cuts) are candidates, and touching particles
    are split where their joint region narrows. At full resolution, rays
    from each candidate's centre then find the outer edge of its outermost
    closed membrane, which gives the outline, the mask, the centre and the
    diameter. Dense bodies darker in their core than at their rim (ice
    grains, debris) are dropped, and so are outlines whose membrane
    contrast (``score``) is below ``min_score``.

    Parameters
    ----------
    micrographs : pandas.DataFrame, 2-D array or sequence of 2-D arrays
        Grayscale micrographs, dark particles on a bright background. A
        table has an ``image`` column and optionally ``id`` and
        ``pixel_size_nm``; other columns (a ``sample``, say) are copied to
        each particle found.
    pixel_size_nm : float, default=None
        Nanometres per pixel of micrographs without a ``pixel_size_nm``
        column or value. None: 1 nm, the pixel size of
        :func:`~sklearn_lipnet.datasets.make_liposomes` cut-outs (sizes in
        nm are then sizes in pixels).
    surrounding_nm : float, default=50.0
        Context kept around each particle's bounding box in its cut-out (the
        thesis's cut-outs have 50 px), less where the micrograph ends.
    min_diameter_nm, max_diameter_nm : float, default=25.0, 400.0
        Size range of the particles sought.
    min_score : float, default=1.0
        Lowest membrane contrast of a particle, in noise standard deviations
        of the band-pass (the 25th percentile along its outline). Closely
        stacked lamellae score lower than a lone membrane: their neighbours
        darken the band-pass's surround.
    n_jobs : int, default=None
        Micrographs searched in parallel (joblib semantics).

    Returns
    -------
    particles : pandas.DataFrame
        One row per particle, ready for
        :class:`~sklearn_lipnet.ParticlePreprocessor` and the pipelines:
        ``id`` (``"<micrograph>-p<k>"``), ``micrograph`` (its id),
        ``image`` (the cut-out), ``mask`` (the particle in the cut-out),
        ``pixel_size_nm``, ``y``, ``x`` (centre in the micrograph, pixels),
        ``y0``, ``x0``, ``y1``, ``x1`` (bounding box of the visible
        particle, end exclusive), ``diameter_nm`` (of the disc of the
        particle's area; where the border cuts it, of the outline continued
        across the border), ``score``, ``cut_by_border``, ``cutout_y0``,
        ``cutout_x0`` (where the cut-out starts in the micrograph), then the
        micrograph table's other columns.

    See Also
    --------
    ParticleFinder : The same as a transformer for pipelines.
    match_particles : Compare the particles found with the truth.
    sklearn_lipnet.datasets.make_micrographs : Micrographs with known particles.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lipnet import find_particles
    >>> rows, cols = np.mgrid[:300, :300]
    >>> image = np.full((300, 300), 150.0)
    >>> for row, col, radius in [(80, 90, 40), (200, 190, 55)]:
    ...     ring = np.abs(np.hypot(rows - row, cols - col) - radius) < 2
    ...     image[ring] = 90
    >>> image += np.random.default_rng(0).normal(0, 8, image.shape)
    >>> particles = find_particles(image)
    >>> particles[["y", "x", "diameter_nm"]].round(-1)
           y      x  diameter_nm
    0   80.0   90.0         80.0
    1  200.0  190.0        110.0
    >>> particles["image"][0].shape == particles["mask"][0].shape
    True
    """
    settings = check_finder_settings(
        surrounding_nm, min_diameter_nm, max_diameter_nm, min_score
    )
    table = as_micrograph_table(micrographs, pixel_size_nm)
    found = Parallel(n_jobs=n_jobs)(
        delayed(find_in_micrograph)(image, size, settings)
        for image, size in zip(table["image"], table["pixel_size_nm"])
    )
    return particle_table(table, found)
