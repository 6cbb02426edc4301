"""Synthetic cryo-TEM liposome cut-outs: lamellarity and encapsulation problems."""

from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from ._render import (
    Outline,
    add_bilayer,
    add_body,
    add_film_edge,
    add_rods,
    form_image,
    inside,
)

CLASSES = {
    "lamellarity": ("unilamellar", "multilamellar", "uncertain"),
    "encapsulation": ("full", "empty", "uncertain"),
}

# Expert-labelled counts of the thesis (tables 1 and 2), in the order of CLASSES.
THESIS_COUNTS = {
    "lamellarity": (12368, 1717, 84),
    "encapsulation": (24255, 161, 502),
}

# Physical sizes in nanometres.
_BILAYER_NM = 5.0  # outer to inner surface; the two dark lines ~4 nm apart
_HEAD_NM = 1.0  # electron-dense head-group layer
_LAMELLA_GAP_NM = (2.0, 12.0)  # water between lamellae of an onion-like MLV
_FIBRE_PERIOD_NM = 2.7  # stacking of doxorubicin-sulfate fibres
_MIN_RADIUS_NM = 12.0


def _class_counts(n_samples, weights):
    """Split ``n_samples`` by ``weights`` (largest remainders, exact total)."""
    exact = n_samples * np.asarray(weights) / np.sum(weights)
    counts = np.floor(exact).astype(int)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: n_samples - counts.sum()]] += 1
    return counts


def _check_weights(weights, problem):
    classes = CLASSES[problem]
    if weights is None:
        return np.asarray(THESIS_COUNTS[problem], dtype=float)
    if isinstance(weights, Mapping):
        unknown = set(weights) - set(classes)
        if unknown:
            raise ValueError(
                f"weights names unknown classes {sorted(map(str, unknown))} for "
                f"problem={problem!r}; the classes are {list(classes)}."
            )
        weights = [weights.get(label, 0.0) for label in classes]
    weights = np.asarray(weights, dtype=float)
    if weights.shape != (len(classes),):
        raise ValueError(
            f"weights must give one value per class {list(classes)}, got "
            f"{weights.tolist()}."
        )
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
        raise ValueError(
            f"weights must be finite, non-negative and not all zero, got "
            f"{weights.tolist()}."
        )
    return weights


def _seed_sequence(random_state):
    if isinstance(random_state, np.random.Generator):
        entropy = random_state.integers(2**32, size=4)
    else:
        entropy = check_random_state(random_state).randint(
            2**32, size=4, dtype=np.uint64
        )
    return np.random.SeedSequence([int(e) for e in entropy])


class _Scene:
    """Everything drawn in one cut-out, in particle-centred coordinates.

    ``particle`` holds the outlines of the object the expert segmented (one
    vesicle, or two overlapping ones); the canvas is its bounding box plus the
    surrounding. Other drawing steps are deferred until the canvas exists.
    """

    def __init__(self, rng, px):
        self.rng = rng
        self.px = px  # nanometres per pixel
        self.particle = []
        self.steps = []
        self.contrast_scale = 1.0
        self.noise_scale = 1.0

    def bilayer_kwargs(self):
        return {
            "thickness": _BILAYER_NM / self.px,
            "head": max(_HEAD_NM / self.px, 0.7),
        }

    def vesicle(
        self,
        outline,
        n_lamellae=1,
        *,
        contrast,
        inner_contrast=None,
        onion=True,
        in_particle=False,
    ):
        """Queue a vesicle of ``n_lamellae`` nested bilayers; return inner outline."""
        rng = self.rng
        if in_particle:
            self.particle.append(outline)
        lamellae = [(outline, contrast)]
        thickness = _BILAYER_NM / self.px
        current = outline
        for _ in range(n_lamellae - 1):
            if onion:
                gap = rng.uniform(*_LAMELLA_GAP_NM) / self.px
            else:
                gap = rng.uniform(0.08, 0.3) * current.radius
            radius = current.radius - thickness - gap
            if radius * self.px < _MIN_RADIUS_NM:
                break
            # Room to move the inner lamella off-centre without touching.
            slack = max(0.45 * (current.radius - radius) * (1 - 0.3), 0) - thickness
            shift = rng.uniform(0, max(slack, 0))
            direction = rng.uniform(0, 2 * np.pi)
            current = current.scaled(
                radius / current.radius,
                row=current.row + shift * np.sin(direction),
                col=current.col + shift * np.cos(direction),
            )
            faint = contrast if inner_contrast is None else inner_contrast
            lamellae.append((current, faint * rng.uniform(0.8, 1.1)))
        for lamella, strength in lamellae:
            self.steps.append(("bilayer", lamella, strength))
        return current

    def extent(self):
        boxes = np.array([outline.extent() for outline in self.particle])
        return (
            boxes[:, 0].min(),
            boxes[:, 1].max(),
            boxes[:, 2].min(),
            boxes[:, 3].max(),
        )

    def render(self, surrounding, noise):
        rng = self.rng
        top, bottom, left, right = self.extent()
        shape = (
            int(np.ceil(bottom) - np.floor(top)) + 1 + 2 * surrounding,
            int(np.ceil(right) - np.floor(left)) + 1 + 2 * surrounding,
        )
        row0 = surrounding - np.floor(top)
        col0 = surrounding - np.floor(left)

        def moved(outline):
            return outline.scaled(1.0, row=outline.row + row0, col=outline.col + col0)

        density = np.zeros(shape, dtype=np.float32)
        bilayer = self.bilayer_kwargs()
        for kind, *args in self.steps:
            if kind == "bilayer":
                outline, strength = args
                add_bilayer(
                    density, moved(outline), strength * self.contrast_scale, **bilayer
                )
            elif kind == "body":
                outline, depth = args
                add_body(density, moved(outline), depth)
            elif kind == "rods":
                params = dict(args[0])
                add_rods(
                    density,
                    row=params.pop("row") + row0,
                    col=params.pop("col") + col0,
                    rng=rng,
                    **params,
                )
            elif kind == "film":
                (params,) = args
                add_film_edge(density, rng, **params)
        mask = np.zeros(shape, dtype=bool)
        for outline in self.particle:
            mask |= inside(shape, moved(outline))
        intensity = form_image(
            density,
            rng,
            psf_sigma=rng.uniform(0.5, 0.8),
            fringe=rng.uniform(0.15, 0.45),
            background=noise * rng.uniform(0.03, 0.09),
            noise=noise * self.noise_scale * rng.uniform(0.07, 0.14),
        )
        level = rng.uniform(115, 160)
        gain = rng.uniform(100, 130)
        image = np.clip(level + gain * (intensity - 1) + 0.5, 0, 255).astype(np.uint8)
        return image, mask


def _vesicle_outline(
    rng, radius, *, irregularity=(0.01, 0.05), elongation=0.0, angle=None
):
    return Outline.random(
        0.0,
        0.0,
        radius,
        rng,
        irregularity=rng.uniform(*irregularity),
        elongation=elongation,
        angle=angle,
    )


def _membrane_contrast(rng):
    return rng.uniform(0.45, 0.85)


def _add_neighbours(scene, diameter_nm, *, p_content=0.0, content=None):
    """Vesicles and ice grains lying in the surrounding, not touching the particle."""
    rng = scene.rng
    radius = scene.particle[0].radius
    for _ in range(rng.choice(4, p=[0.45, 0.3, 0.17, 0.08])):
        direction = rng.uniform(0, 2 * np.pi)
        other = rng.lognormal(np.log(diameter_nm / 2 / scene.px), 0.35)
        other = max(other, _MIN_RADIUS_NM / scene.px)
        distance = (
            scene.particle[0].radius_at(direction) + other * 1.15 + rng.uniform(4, 40)
        )
        outline = Outline.random(
            distance * np.sin(direction),
            distance * np.cos(direction),
            other,
            rng,
            irregularity=rng.uniform(0.01, 0.05),
        )
        scene.vesicle(
            outline, 1 + (rng.random() < 0.1), contrast=_membrane_contrast(rng)
        )
        if content is not None and rng.random() < p_content:
            content(scene, outline, full=True)
    if rng.random() < 0.12:
        direction = rng.uniform(0, 2 * np.pi)
        grain = rng.uniform(8, 24) / scene.px
        distance = radius * 1.1 + grain + rng.uniform(5, 40)
        scene.steps.append(
            (
                "body",
                Outline.random(
                    distance * np.sin(direction),
                    distance * np.cos(direction),
                    grain,
                    rng,
                    irregularity=0.25,
                ),
                rng.uniform(1.0, 2.0),
            )
        )


def _add_artefacts(scene, outline):
    """What makes an expert answer "uncertain": overlap, ice, low contrast, film."""
    rng = scene.rng
    kinds = ["overlap", "ice", "low contrast", "film edge"]
    n_kinds = 1 + (rng.random() < 0.3)
    for kind in rng.choice(
        kinds, size=n_kinds, replace=False, p=[0.35, 0.3, 0.2, 0.15]
    ):
        direction = rng.uniform(0, 2 * np.pi)
        edge = outline.radius_at(direction)
        if kind == "overlap":
            other = outline.radius * rng.uniform(0.5, 1.1)
            distance = edge + other * rng.uniform(-0.7, 0.2)
            partner = Outline.random(
                distance * np.sin(direction),
                distance * np.cos(direction),
                other,
                rng,
                irregularity=rng.uniform(0.01, 0.06),
            )
            scene.vesicle(
                partner,
                1 + (rng.random() < 0.3),
                contrast=_membrane_contrast(rng),
                in_particle=True,
            )
        elif kind == "ice":
            size = outline.radius * rng.uniform(0.25, 0.7)
            distance = edge + size * rng.uniform(-0.6, 0.4)
            blob = Outline.random(
                distance * np.sin(direction),
                distance * np.cos(direction),
                size,
                rng,
                irregularity=rng.uniform(0.1, 0.3),
            )
            scene.steps.append(("body", blob, rng.uniform(1.0, 3.0)))
        elif kind == "low contrast":
            scene.contrast_scale = rng.uniform(0.25, 0.45)
            scene.noise_scale = rng.uniform(1.2, 1.6)
        else:
            # The film edge covers the canvas centre offset by ``offset`` px.
            scene.steps.append(
                (
                    "film",
                    {
                        "optical_depth": rng.uniform(0.3, 0.8),
                        "angle": direction,
                        "offset": rng.uniform(-0.6, 0.3) * outline.radius,
                        "roughness": rng.uniform(2, 6),
                    },
                )
            )


def _lamellarity_scene(label, rng, px):
    scene = _Scene(rng, px)
    multilamellar = label == "multilamellar" or (
        label == "uncertain" and rng.random() < 0.3
    )
    median_nm = 150.0 if multilamellar else 80.0
    diameter_nm = np.clip(rng.lognormal(np.log(median_nm), 0.35), 30.0, 330.0)
    outline = _vesicle_outline(
        rng, diameter_nm / 2 / px, elongation=rng.uniform(0, 0.08)
    )
    contrast = _membrane_contrast(rng)
    if multilamellar:
        n_lamellae = rng.choice([2, 3, 4], p=[0.55, 0.3, 0.15])
        # A faint inner lamella is what makes some of them hard to call.
        if rng.random() < 0.3:
            inner = contrast * rng.uniform(0.12, 0.35)
        else:
            inner = contrast * rng.uniform(0.5, 1.0)
        scene.vesicle(
            outline,
            n_lamellae,
            contrast=contrast,
            inner_contrast=inner,
            onion=rng.random() < 0.6,
            in_particle=True,
        )
    else:
        scene.vesicle(outline, contrast=contrast, in_particle=True)
    _add_neighbours(scene, 80.0)
    if label == "uncertain":
        _add_artefacts(scene, outline)
    return scene


def _add_crystal(scene, outline, *, full):
    """Doxorubicin crystal: one or a few parallel rods along the long axis.

    ``full=False`` draws the little or faint content of doubtful cases.
    """
    rng = scene.rng
    px = scene.px
    axis = 0.5 * np.arctan2(outline.sin_coef[1], outline.cos_coef[1])
    reach = outline.radius_at(axis) - _BILAYER_NM / px - 1.0
    if full:
        length = reach * rng.uniform(0.55, 0.95)
        depth = rng.uniform(0.35, 0.8) if rng.random() > 0.2 else rng.uniform(0.15, 0.3)
    else:
        length = reach * rng.uniform(0.15, 0.45)
        depth = rng.uniform(0.08, 0.3)
    half_width = rng.uniform(4.0, 9.0) / px
    count = rng.choice([1, 2, 3], p=[0.7, 0.2, 0.1])
    shift = rng.uniform(-0.15, 0.15) * reach
    scene.steps.append(
        (
            "rods",
            {
                "row": outline.row + shift * np.cos(axis),
                "col": outline.col - shift * np.sin(axis),
                "angle": axis + rng.normal(0, 0.08),
                "half_length": max(length, half_width * 1.2),
                "half_width": half_width,
                "bend": rng.normal(0, 0.3) / max(reach, 1.0) ** 2 * half_width,
                "optical_depth": depth,
                "count": count,
                "spacing": 2.2 * half_width,
                "striation": rng.uniform(0.1, 0.4),
                "period": _FIBRE_PERIOD_NM / px,
            },
        )
    )


def _encapsulation_scene(label, rng, px):
    scene = _Scene(rng, px)
    diameter_nm = np.clip(rng.lognormal(np.log(90.0), 0.25), 35.0, 250.0)
    # The crystal stretches the vesicle along its axis.
    elongation = rng.uniform(0.04, 0.2) if label != "empty" else rng.uniform(0, 0.08)
    outline = _vesicle_outline(rng, diameter_nm / 2 / px, elongation=elongation)
    scene.vesicle(
        outline,
        1 + (rng.random() < 0.05),
        contrast=_membrane_contrast(rng),
        in_particle=True,
    )
    if label == "full":
        _add_crystal(scene, outline, full=True)
    elif label == "uncertain":
        if rng.random() < 0.6:
            _add_crystal(scene, outline, full=False)
        else:
            if rng.random() < 0.5:
                _add_crystal(scene, outline, full=rng.random() < 0.5)
            _add_artefacts(scene, outline)
    _add_neighbours(scene, 90.0, p_content=0.9, content=_add_crystal)
    return scene


_SCENES = {"lamellarity": _lamellarity_scene, "encapsulation": _encapsulation_scene}


def make_liposomes(
    n_samples=100,
    *,
    problem="lamellarity",
    weights=None,
    noise=1.0,
    pixel_size_nm=1.0,
    surrounding=50,
    shuffle=True,
    random_state=None,
):
    """Generate synthetic cryo-TEM cut-outs of liposomes with expert-style labels.

    Each cut-out shows one particle in its centre with ``surrounding`` pixels of
    context on each side, as the thesis's data do, and comes with the
    particle's true mask. Membranes are lipid bilayers seen in projection (two
    dark lines about 4 nm apart with a slightly irregular outline), the ice
    background varies smoothly (fractal noise) and carries shot noise;
    neighbouring vesicles and ice grains appear in the surrounding.

    ``problem="lamellarity"``: ``"unilamellar"`` (one bilayer),
    ``"multilamellar"`` (2-4 nested bilayers, larger vesicles; in some of them
    the inner lamellae are faint) and ``"uncertain"`` (overlapping vesicles,
    ice, low contrast or a film edge over the particle).
    ``problem="encapsulation"``: ``"full"`` (the rod-like crystal of liposomal
    doxorubicin inside), ``"empty"`` (interior like the background) and
    ``"uncertain"`` (little or faint content, or the artefacts above).
    The classes overlap near their boundaries, so they are learnable but not
    perfectly separable.

    Parameters
    ----------
    n_samples : int, default=100
        Number of cut-outs.
    problem : {"lamellarity", "encapsulation"}, default="lamellarity"
        Which labelling to simulate.
    weights : sequence of 3 floats or dict, default=None
        Class proportions, in the order of the classes listed above or as a
        ``{label: weight}`` mapping (missing labels get 0). Normalised to sum
        to one; the counts per class are exact up to rounding. ``None`` uses
        the thesis's proportions (87.3/12.1/0.6 % and 97.3/0.6/2.0 %).
    noise : float, default=1.0
        Scale of the shot noise and of the background variation; 0 gives
        noiseless images.
    pixel_size_nm : float, default=1.0
        Nanometres per pixel: sets how many pixels the vesicles (30-330 nm
        across) and membranes span.
    surrounding : int, default=50
        Pixels of context around the particle's bounding box.
    shuffle : bool, default=True
        Shuffle the samples; otherwise they are grouped by class.
    random_state : int, RandomState instance, Generator or None, default=None
        Controls everything drawn; the same seed gives the same images.

    Returns
    -------
    table : pandas.DataFrame
        One row per particle with columns ``id`` (str), ``image`` (2-D uint8
        array, sizes vary), ``mask`` (2-D bool array, the particle) and
        ``pixel_size_nm``.
    y : ndarray of str of shape (n_samples,)
        Class labels.

    See Also
    --------
    load_particles : Read real cut-outs into the same table.
    save_particles : Write a table to a folder per class.

    Examples
    --------
    >>> from collections import Counter
    >>> from sklearn_lipnet.datasets import make_liposomes
    >>> table, y = make_liposomes(20, weights=[0.5, 0.4, 0.1], random_state=0)
    >>> sorted(Counter(y.tolist()).items())
    [('multilamellar', 8), ('uncertain', 2), ('unilamellar', 10)]
    >>> list(table.columns)
    ['id', 'image', 'mask', 'pixel_size_nm']
    >>> table["image"][0].dtype, table["mask"][0].shape == table["image"][0].shape
    (dtype('uint8'), True)
    """
    if not isinstance(n_samples, Integral) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
    if problem not in CLASSES:
        raise ValueError(f"problem must be one of {sorted(CLASSES)}, got {problem!r}.")
    for name, value in [("noise", noise), ("pixel_size_nm", pixel_size_nm)]:
        if not isinstance(value, Real) or not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a non-negative number, got {value!r}.")
    if pixel_size_nm <= 0:
        raise ValueError(f"pixel_size_nm must be positive, got {pixel_size_nm!r}.")
    if not isinstance(surrounding, Integral) or surrounding < 0:
        raise ValueError(
            f"surrounding must be a non-negative integer, got {surrounding!r}."
        )
    classes = CLASSES[problem]
    counts = _class_counts(n_samples, _check_weights(weights, problem))

    seeds = _seed_sequence(random_state)
    order_seed, *sample_seeds = seeds.spawn(n_samples + 1)
    labels = np.repeat(np.array(classes), counts)
    if shuffle:
        np.random.default_rng(order_seed).shuffle(labels)
    scene_for = _SCENES[problem]
    images, masks = [], []
    for label, seed in zip(labels, sample_seeds):
        rng = np.random.default_rng(seed)
        image, mask = scene_for(label, rng, pixel_size_nm).render(surrounding, noise)
        images.append(image)
        masks.append(mask)
    width = len(str(n_samples - 1))
    table = pd.DataFrame(
        {
            "id": [f"{problem}-{i:0{width}d}" for i in range(n_samples)],
            "image": images,
            "mask": masks,
            "pixel_size_nm": np.full(n_samples, float(pixel_size_nm)),
        }
    )
    return table, labels
