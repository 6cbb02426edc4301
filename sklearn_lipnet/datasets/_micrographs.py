"""Synthetic cryo-TEM micrographs: many liposomes in one field, with the truth.

The particles are the scenes of :func:`make_liposomes` (same classes, sizes
and artefacts) placed side by side in a large field of ice, which then gets
what a cut-out only shows a corner of: a gradient of ice thickness, the edge
of the carbon film, ice grains, and one exposure (optics, background, shot
noise) for the whole micrograph.
"""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ._liposomes import _check_weights, _seed_sequence
from ._render import _EXTENT_ANGLES, Outline, add_body, add_film_edge, expose, inside
from ._scenes import SCENES
from ._thesis import CLASSES

__all__ = ["make_micrographs"]

# Random positions tried for a particle before the micrograph counts as full.
_PLACEMENT_TRIES = 60
_ICE_GRAIN_NM = (8.0, 24.0)  # radius of the ice grains lying around


def _check_shape(shape):
    if isinstance(shape, Integral):
        shape = (shape, shape)
    try:
        height, width = (int(side) for side in shape)
        valid = all(isinstance(side, Integral) for side in shape)
    except (TypeError, ValueError):
        valid = False
    if not valid or height < 64 or width < 64:
        raise ValueError(
            f"shape must be an int or a (height, width) pair of ints of at least "
            f"64 pixels, got {shape!r}."
        )
    return height, width


def _check_fraction(name, value, upper=1.0):
    if not isinstance(value, Real) or not 0 <= value <= upper:
        raise ValueError(f"{name} must be a number in [0, {upper:g}], got {value!r}.")


def _enclosing_radius(outlines):
    """Radius around ``(0, 0)`` of a circle holding every outline."""
    return max(
        np.hypot(outline.row, outline.col)
        + float(outline.radius_at(_EXTENT_ANGLES).max())
        for outline in outlines
    )


class _Field:
    """Where particles may go in one micrograph, and where they went."""

    def __init__(self, shape, rng, overlap, film):
        self.shape = shape
        self.rng = rng
        self.overlap = overlap
        self.film = film  # (angle, offset, margin) of the film edge, or None
        self.centres = np.empty((0, 2))
        self.radii = np.empty(0)

    def _on_ice(self, rows, cols, radius):
        """Whether discs at the positions lie clear of the carbon film."""
        if self.film is None:
            return np.ones(len(rows), dtype=bool)
        angle, offset, margin = self.film
        height, width = self.shape
        distance = (cols - width / 2) * np.cos(angle) + (rows - height / 2) * np.sin(
            angle
        )
        return distance < offset - radius - margin

    def _clear(self, rows, cols, radius):
        """Whether discs at the positions keep their distance to the others."""
        if not len(self.radii):
            return np.ones(len(rows), dtype=bool)
        gaps = np.hypot(
            rows[:, None] - self.centres[:, 0], cols[:, None] - self.centres[:, 1]
        )
        allowed = radius + self.radii - self.overlap * np.minimum(radius, self.radii)
        return np.all(gaps >= allowed, axis=1)

    def place(self, radius, *, keep_clear=True):
        """A free centre ``(row, col)`` for a disc of ``radius``, or None.

        Centres lie inside the micrograph, so a particle is cut by the
        border by at most half.
        """
        height, width = self.shape
        rows = self.rng.uniform(0, height - 1, _PLACEMENT_TRIES)
        cols = self.rng.uniform(0, width - 1, _PLACEMENT_TRIES)
        ok = self._on_ice(rows, cols, radius) & self._clear(rows, cols, radius)
        if not ok.any():
            return None
        first = int(np.argmax(ok))
        if keep_clear:
            self.centres = np.vstack([self.centres, [rows[first], cols[first]]])
            self.radii = np.append(self.radii, radius)
        return rows[first], cols[first]


def _truth(scene, row, col, shape):
    """The particle's mask on its own bounding box; its box in the micrograph."""
    outlines = [outline.moved(row, col) for outline in scene.particle]
    boxes = np.array([outline.extent() for outline in outlines])
    top, left = int(np.floor(boxes[:, 0].min())), int(np.floor(boxes[:, 2].min()))
    bottom = int(np.ceil(boxes[:, 1].max())) + 1
    right = int(np.ceil(boxes[:, 3].max())) + 1
    local = (bottom - top, right - left)
    mask = np.zeros(local, dtype=bool)
    for outline in outlines:
        mask |= inside(local, outline.moved(-top, -left))
    return mask, (top, left, bottom, right)


def _particle_record(mask, box, shape, pixel_size_nm):
    """Ground-truth row of one particle: centre, clipped box, size, mask."""
    top, left, bottom, right = box
    height, width = shape
    rows, cols = np.nonzero(mask)
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(bottom, height), min(right, width)
    clipped = mask[y0 - top : y1 - top, x0 - left : x1 - left]
    return {
        "y": float(rows.mean() + top),
        "x": float(cols.mean() + left),
        "y0": y0,
        "x0": x0,
        "y1": y1,
        "x1": x1,
        "diameter_nm": float(2 * np.sqrt(mask.sum() / np.pi) * pixel_size_nm),
        # Cut when part of the particle lies outside the micrograph.
        "cut_by_border": bool(clipped.sum() < mask.sum()),
        "mask": clipped.copy(),
    }


def _micrograph(draw_label, carried, rng, *, problem, shape, pixel_size_nm, settings):
    """Render one micrograph holding particles of labels from ``draw_label()``.

    ``carried`` is the label that did not fit into the previous micrograph
    (or None): it comes first. Returns the image, the ground-truth records
    with their labels, and the label that did not fit into this one (it
    goes to the next, so that the class proportions do not depend on which
    particles are large).
    """
    height, width = shape
    noise = settings["noise"]
    film = None
    if rng.random() < settings["film_edge"]:
        film_params = {
            "optical_depth": rng.uniform(0.3, 0.8),
            "angle": rng.uniform(0, 2 * np.pi),
            "offset": rng.uniform(0.2, 0.45) * min(shape),
            "roughness": rng.uniform(3, 10),
        }
        film = (
            film_params["angle"],
            film_params["offset"],
            3 * film_params["roughness"],
        )
    field = _Field(shape, rng, settings["overlap"], film)
    ice_area = height * width
    if film is not None:  # roughly: the film covers a band along one side
        ice_area *= min(1.0, 0.5 + film[1] / min(shape))
    covered, target = 0.0, settings["crowding"] * ice_area
    scene_for = SCENES[problem]
    placed, left_over = [], carried
    while covered < target:
        label = draw_label() if left_over is None else left_over
        scene_rng = np.random.default_rng(rng.integers(2**63))
        scene = scene_for(label, scene_rng, pixel_size_nm, context=False)
        position = field.place(_enclosing_radius(scene.particle))
        if position is None:
            left_over = label
            break
        placed.append((label, scene, position))
        covered += np.pi * scene.particle[0].radius ** 2
        left_over = None

    density = np.zeros(shape, dtype=np.float32)
    for _, scene, position in placed:
        for step in scene.steps:
            step(density, position)
    area_um2 = height * width * (pixel_size_nm / 1000) ** 2
    for _ in range(rng.poisson(settings["ice_grains"] * area_um2)):
        radius = rng.uniform(*_ICE_GRAIN_NM) / pixel_size_nm
        position = field.place(1.3 * radius, keep_clear=False)
        if position is not None:
            grain = Outline.random(
                *position, radius, rng, irregularity=rng.uniform(0.2, 0.3)
            )
            add_body(density, grain, rng.uniform(1.0, 2.0))
    if film is not None:
        add_film_edge(density, rng, **film_params)
    if noise:
        # Thicker ice towards one side: a ramp of optical depth.
        angle = rng.uniform(0, 2 * np.pi)
        ramp = np.float32(noise * rng.uniform(0.05, 0.3) / max(shape))
        density += (
            (
                np.arange(height, dtype=np.float32)[:, None] * (ramp * np.sin(angle))
                + np.arange(width, dtype=np.float32)[None, :] * (ramp * np.cos(angle))
            )
            - min(0.0, ramp * np.sin(angle) * height)
            - min(0.0, ramp * np.cos(angle) * width)
        )
    image = expose(density, rng, noise=noise)

    records = []
    for label, scene, (row, col) in placed:
        mask, box = _truth(scene, row, col, shape)
        records.append(
            {**_particle_record(mask, box, shape, pixel_size_nm), "class": label}
        )
    return image, records, left_over


def make_micrographs(
    n_micrographs=8,
    *,
    problem="lamellarity",
    weights=None,
    shape=1024,
    pixel_size_nm=1.0,
    crowding=0.2,
    overlap=0.1,
    film_edge=0.3,
    ice_grains=2.0,
    noise=1.0,
    random_state=None,
):
    """Generate synthetic cryo-TEM micrographs of liposomes and their ground truth.

    Each micrograph is a field of vitreous ice with liposomes side by side,
    drawn like the cut-outs of :func:`make_liposomes` (the same classes,
    sizes, membranes, content and artefacts) until they cover ``crowding``
    of the field. Neighbours may touch and overlap slightly in projection;
    particles near the border are cut by it (their centres stay inside).
    Around them the micrograph shows what real ones do: a gradient of ice
    thickness, in some the ragged edge of the carbon film (particles lie on
    the ice, clear of it), a few dense ice grains, a background varying on
    several scales, and one exposure (blur, Fresnel fringe, shot noise) for
    the whole field. The class of each particle is drawn independently with
    probabilities ``weights``; a particle that does not fit in one micrograph
    goes into the next, so large ones are not under-represented.

    Unlike a cut-out, a micrograph has one noise level, so the "low
    contrast" uncertain particles have their weaker membranes but not the
    extra noise of their cut-outs, and the film-edge artefact of uncertain
    cut-outs is the micrograph's film edge here.

    Parameters
    ----------
    n_micrographs : int, default=8
        Number of micrographs.
    problem : {"lamellarity", "encapsulation"}, default="lamellarity"
        Which labelling to simulate (see :func:`make_liposomes`).
    weights : sequence of 3 floats or dict, default=None
        Class probabilities, as for :func:`make_liposomes`. ``None`` uses the
        thesis's proportions (:func:`thesis_proportions`).
    shape : int or (int, int), default=1024
        Side, or ``(height, width)``, of each micrograph in pixels.
    pixel_size_nm : float, default=1.0
        Nanometres per pixel; liposomes are 30-330 nm across.
    crowding : float, default=0.2
        Fraction of the ice's area the particles cover.
    overlap : float, default=0.1
        How far neighbours may overlap in projection, as a fraction of the
        smaller one's radius; 0 lets them touch at most.
    film_edge : float, default=0.3
        Probability that a micrograph shows the edge of the carbon film.
    ice_grains : float, default=2.0
        Mean number of ice grains (8-24 nm dense blobs, not particles) per
        square micrometre.
    noise : float, default=1.0
        Scale of the shot noise, of the background variation and of the ice
        gradient; 0 gives noiseless micrographs.
    random_state : int, RandomState instance, Generator or None, default=None
        Controls everything drawn; the same seed gives the same micrographs.

    Returns
    -------
    micrographs : pandas.DataFrame
        One row per micrograph: ``id`` (str), ``image`` (2-D uint8 array of
        ``shape``) and ``pixel_size_nm``.
    particles : pandas.DataFrame
        The ground truth, one row per particle: ``id``, ``micrograph`` (its
        micrograph's id), ``y``, ``x`` (centre of the particle's area, in
        pixels), ``y0``, ``x0``, ``y1``, ``x1`` (bounding box in the
        micrograph, end exclusive, clipped to it), ``diameter_nm`` (diameter
        of the disc of the particle's whole area), ``class``,
        ``cut_by_border`` (part of it lies outside the micrograph) and
        ``mask`` (2-D bool array of the box's shape).

    See Also
    --------
    make_liposomes : Cut-outs of single particles, with their labels.
    sklearn_lipnet.find_particles : Find the particles of micrographs.

    Examples
    --------
    >>> from sklearn_lipnet.datasets import make_micrographs
    >>> micrographs, particles = make_micrographs(2, shape=256, random_state=0)
    >>> list(micrographs.columns)
    ['id', 'image', 'pixel_size_nm']
    >>> micrographs["image"][0].shape, micrographs["image"][0].dtype
    ((256, 256), dtype('uint8'))
    >>> list(particles.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['id', 'micrograph', 'y', 'x', 'y0', 'x0', 'y1', 'x1', 'diameter_nm',
     'class', 'cut_by_border', 'mask']
    >>> row = particles.iloc[0]
    >>> row["mask"].shape == (row["y1"] - row["y0"], row["x1"] - row["x0"])
    True
    """
    if not isinstance(n_micrographs, Integral) or n_micrographs < 1:
        raise ValueError(
            f"n_micrographs must be a positive integer, got {n_micrographs!r}."
        )
    if problem not in CLASSES:
        raise ValueError(f"problem must be one of {sorted(CLASSES)}, got {problem!r}.")
    probabilities = _check_weights(weights, problem)
    probabilities = probabilities / probabilities.sum()
    shape = _check_shape(shape)
    for name, value in [("noise", noise), ("ice_grains", ice_grains)]:
        if not isinstance(value, Real) or not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a non-negative number, got {value!r}.")
    if (
        not isinstance(pixel_size_nm, Real)
        or not np.isfinite(pixel_size_nm)
        or pixel_size_nm <= 0
    ):
        raise ValueError(f"pixel_size_nm must be positive, got {pixel_size_nm!r}.")
    _check_fraction("crowding", crowding, upper=0.6)
    _check_fraction("overlap", overlap, upper=0.5)
    _check_fraction("film_edge", film_edge)
    settings = {
        "crowding": crowding,
        "overlap": overlap,
        "film_edge": film_edge,
        "ice_grains": ice_grains,
        "noise": noise,
    }

    classes = np.array(CLASSES[problem])
    seeds = _seed_sequence(random_state).spawn(n_micrographs)
    width = len(str(n_micrographs - 1))
    ids = [f"micrograph-{i:0{width}d}" for i in range(n_micrographs)]
    images, records, carried = [], [], None
    # Small matrix products (noise fields): BLAS threads would only wait.
    with threadpool_limits(limits=1, user_api="blas"):
        for micrograph_id, seed in zip(ids, seeds):
            label_rng, rng = (np.random.default_rng(s) for s in seed.spawn(2))

            def draw_label(label_rng=label_rng):
                return str(classes[label_rng.choice(len(classes), p=probabilities)])

            image, found, carried = _micrograph(
                draw_label,
                carried,
                rng,
                problem=problem,
                shape=shape,
                pixel_size_nm=float(pixel_size_nm),
                settings=settings,
            )
            images.append(image)
            records += [{"micrograph": micrograph_id, **record} for record in found]
    micrographs = pd.DataFrame(
        {
            "id": ids,
            "image": images,
            "pixel_size_nm": np.full(n_micrographs, float(pixel_size_nm)),
        }
    )
    columns = ["micrograph", "y", "x", "y0", "x0", "y1", "x1", "diameter_nm"]
    columns += ["class", "cut_by_border", "mask"]
    particles = pd.DataFrame.from_records(records, columns=columns)
    particles.insert(
        0,
        "id",
        [
            f"{micrograph}-p{k:03d}"
            for micrograph, k in zip(
                particles["micrograph"], particles.groupby("micrograph").cumcount()
            )
        ],
    )
    return micrographs, particles
