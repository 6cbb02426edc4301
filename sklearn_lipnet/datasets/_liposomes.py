"""Synthetic cryo-TEM liposome cut-outs: lamellarity and encapsulation problems."""

from collections.abc import Mapping
from functools import partial
from numbers import Integral, Real

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from ._acquisition import (
    HARD_REGIME,
    draw_micrographs,
    render_cutout,
    render_scene_pixel_size,
)
from ._scenes import SCENES, TYPICAL_DIAMETER_NM
from ._thesis import CLASSES, THESIS_COUNTS

#: The regimes of ``make_liposomes``.
REGIMES = ("default", "hard")


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
        weights = THESIS_COUNTS[problem]
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


def _check_range(name, value, minimum, maximum=None):
    """``value`` (a number or a ``(low, high)`` pair) as a float pair."""
    pair = (value, value) if isinstance(value, Real) else value
    try:
        low, high = (float(bound) for bound in pair)
    except (TypeError, ValueError):
        low = high = np.nan
    upper = np.inf if maximum is None else maximum
    if not (minimum <= low <= high <= upper) or isinstance(value, bool):
        within = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ValueError(
            f"{name} must be a number or a (low, high) pair with low <= high, "
            f"both {within}; got {value!r}."
        )
    return low, high


def _check_regime(regime, problem, pixel_size_nm, imaging):
    """The hard regime's condition ranges, or None for the default regime."""
    if regime not in REGIMES:
        raise ValueError(f"regime must be one of {list(REGIMES)}, got {regime!r}.")
    given = sorted(name for name, value in imaging.items() if value is not None)
    if regime == "default":
        if given:
            raise ValueError(
                f"{', '.join(given)} only apply to regime='hard'; the default "
                "regime draws the thesis's large, clean cut-outs."
            )
        return None
    if pixel_size_nm is not None and imaging["particle_size_px"] is not None:
        raise ValueError(
            "Give pixel_size_nm (one pixel size for every micrograph) or "
            "particle_size_px (each micrograph's pixel size drawn so that a "
            "typical particle spans that many pixels), not both."
        )
    bounds = {
        "particle_size_px": (4.0, None),
        "dose": (1e-3, None),
        "blur_px": (0.0, None),
        "jpeg_quality": (1.0, 100.0),
    }
    return {
        name: _check_range(
            name,
            HARD_REGIME[name] if imaging[name] is None else imaging[name],
            *bounds[name],
        )
        for name in HARD_REGIME
    }


def _draw_cutouts(labels, seeds, *, problem, pixel_size_nm, surrounding, noise):
    """Render one cut-out per (label, seed); returns (images, masks)."""
    scene_for = SCENES[problem]
    images, masks = [], []
    # The noise fields are small matrix products: BLAS threads only add
    # synchronisation, which costs a factor of 5 on a busy machine.
    with threadpool_limits(limits=1, user_api="blas"):
        for label, seed in zip(labels, seeds):
            scene = scene_for(label, np.random.default_rng(seed), pixel_size_nm)
            image, mask = scene.render(surrounding, noise)
            images.append(image)
            masks.append(mask)
    return images, masks


def make_liposomes(
    n_samples=100,
    *,
    problem="lamellarity",
    weights=None,
    regime="default",
    noise=1.0,
    pixel_size_nm=None,
    surrounding=None,
    particle_size_px=None,
    dose=None,
    blur_px=None,
    jpeg_quality=None,
    masks=None,
    shuffle=True,
    random_state=None,
    n_jobs=None,
):
    """Generate synthetic cryo-TEM cut-outs of liposomes with expert-style labels.

    Each cut-out shows one particle in its centre with ``surrounding`` pixels of
    context on each side, as the thesis's data do, and comes with the
    particle's true mask. Membranes are lipid bilayers seen in projection (two
    dark lines about 4 nm apart with a slightly irregular outline), the ice
    background varies smoothly (fractal noise) and carries shot noise;
    neighbouring vesicles and ice grains appear in the surrounding.

    ``problem="lamellarity"``: ``"unilamellar"`` (one bilayer),
    ``"multilamellar"`` (2-5 nested bilayers, larger vesicles; closely
    stacked or loosely nested, some holding a whole vesicle; in some of them
    the inner lamellae are faint) and ``"uncertain"`` (overlapping vesicles,
    ice, low contrast or a film edge over the particle).
    ``problem="encapsulation"``: ``"empty"`` (interior like the background),
    ``"full"`` (the rod-like crystal of liposomal doxorubicin inside) and
    ``"uncertain"`` (little or faint content, or the artefacts above).
    The classes overlap near their boundaries, so they are learnable but not
    perfectly separable.

    ``regime="hard"`` draws the same particles as real cut-outs often come:
    small (a typical particle spans ``particle_size_px``, 24-40 pixels),
    at a low ``dose``, blurred by defocus (``blur_px``), compressed with JPEG
    (``jpeg_quality``), without masks, and from micrographs that each have
    their own pixel size, dose, focus, exposure and JPEG quality (10-30
    particles each, named in a ``micrograph`` column, so that
    cross-validation can keep a micrograph's particles together). The
    cut-outs are square, 1.15-1.6 times the particle's extent, with the
    particle up to 6 % of its extent off-centre, as a particle picker
    leaves them. Each condition is drawn per micrograph, uniformly from its
    range; a single number fixes it. See the user guide
    (``docs/real_data.md``) for what this regime does to the classifiers.

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
        the thesis's proportions (87.3/12.1/0.6 % and 0.6/97.3/2.0 %).
    regime : {"default", "hard"}, default="default"
        The thesis-like large, clean cut-outs with masks, or the small,
        low-dose, blurred, JPEG-compressed ones described above.
    noise : float, default=1.0
        Scale of the shot noise and of the background variation; 0 gives
        noiseless images (in the hard regime: the dose is divided by
        ``noise**2``).
    pixel_size_nm : float, default=None
        Nanometres per pixel: sets how many pixels the vesicles (30-330 nm
        across) and membranes span. ``None``: 1.0 in the default regime; in
        the hard regime each micrograph's is drawn from
        ``particle_size_px``, and a number fixes it for all of them.
    surrounding : int, default=None
        Pixels of context around the particle's bounding box. ``None``: 50
        in the default regime; square cut-outs of 1.15-1.6 times the
        particle's extent in the hard regime.
    particle_size_px : float or (float, float), default=None
        Hard regime only: diameter in pixels of a particle of the problem's
        typical size (80 nm for lamellarity, 90 nm for encapsulation), which
        sets each micrograph's pixel size. ``None`` is (24, 40).
    dose : float or (float, float), default=None
        Hard regime only: electrons per pixel through empty ice; the shot
        noise's relative standard deviation is ``1 / sqrt(dose)``. ``None``
        is (10, 60).
    blur_px : float or (float, float), default=None
        Hard regime only: standard deviation in pixels of the Gaussian blur
        of the optics (defocus); a bright fringe surrounds dense edges.
        ``None`` is (0.6, 1.5).
    jpeg_quality : float or (float, float), default=None
        Hard regime only: JPEG quality (1-100, Pillow's scale) of the
        exported cut-outs. ``None`` is (30, 90).
    masks : bool, default=None
        Whether the table has a ``mask`` column with each particle's true
        mask. ``None``: masks in the default regime, none in the hard one
        (real cut-outs seldom come with expert masks).
    shuffle : bool, default=True
        Shuffle the samples; otherwise they are grouped by class.
    random_state : int, RandomState instance, Generator or None, default=None
        Controls everything drawn; the same seed gives the same images.
    n_jobs : int, default=None
        Processes drawing the cut-outs (joblib semantics: ``None`` is 1,
        ``-1`` every core). Every cut-out has its own seed, so the result
        does not depend on ``n_jobs``.

    Returns
    -------
    table : pandas.DataFrame
        One row per particle with columns ``id`` (str), ``image`` (2-D uint8
        array, sizes vary), ``mask`` (2-D bool array, the particle; when
        ``masks``), ``pixel_size_nm`` and, in the hard regime,
        ``micrograph`` (str).
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
    >>> hard, y = make_liposomes(20, regime="hard", random_state=0)
    >>> list(hard.columns)
    ['id', 'image', 'pixel_size_nm', 'micrograph']
    >>> bool(hard["image"].map(lambda image: image.shape[0] == image.shape[1]).all())
    True
    """
    if not isinstance(n_samples, Integral) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
    if problem not in CLASSES:
        raise ValueError(f"problem must be one of {sorted(CLASSES)}, got {problem!r}.")
    for name, value in [("noise", noise), ("pixel_size_nm", pixel_size_nm)]:
        if value is None and name == "pixel_size_nm":
            continue
        if not isinstance(value, Real) or not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a non-negative number, got {value!r}.")
    if pixel_size_nm is not None and pixel_size_nm <= 0:
        raise ValueError(f"pixel_size_nm must be positive, got {pixel_size_nm!r}.")
    if surrounding is not None and (
        not isinstance(surrounding, Integral) or surrounding < 0
    ):
        raise ValueError(
            f"surrounding must be a non-negative integer, got {surrounding!r}."
        )
    if masks is not None and not isinstance(masks, bool | np.bool_):
        raise ValueError(f"masks must be True, False or None, got {masks!r}.")
    imaging = _check_regime(
        regime,
        problem,
        pixel_size_nm,
        {
            "particle_size_px": particle_size_px,
            "dose": dose,
            "blur_px": blur_px,
            "jpeg_quality": jpeg_quality,
        },
    )
    if masks is None:
        masks = imaging is None
    classes = CLASSES[problem]
    counts = _class_counts(n_samples, _check_weights(weights, problem))

    seeds = _seed_sequence(random_state)
    order_seed, *sample_seeds = seeds.spawn(n_samples + 1)
    labels = np.repeat(np.array(classes), counts)
    if shuffle:
        np.random.default_rng(order_seed).shuffle(labels)
    if imaging is None:
        images, particle_masks = _default_regime(
            problem,
            labels,
            sample_seeds,
            noise=noise,
            pixel_size_nm=1.0 if pixel_size_nm is None else pixel_size_nm,
            surrounding=50 if surrounding is None else surrounding,
            n_jobs=n_jobs,
        )
        columns = {"pixel_size_nm": np.full(n_samples, float(pixel_size_nm or 1.0))}
    else:
        # Spawned after the particles' seeds: the default regime's stay as
        # they were.
        (micrograph_seed,) = seeds.spawn(1)
        images, particle_masks, columns = _hard_regime(
            problem,
            labels,
            sample_seeds,
            np.random.default_rng(micrograph_seed),
            noise=noise,
            pixel_size_nm=pixel_size_nm,
            surrounding=surrounding,
            masks=masks,
            imaging=imaging,
        )
    width = len(str(n_samples - 1))
    table = {
        "id": [f"{problem}-{i:0{width}d}" for i in range(n_samples)],
        "image": images,
    }
    if masks:
        table["mask"] = particle_masks
    table.update(columns)
    return pd.DataFrame(table), labels


def _default_regime(
    problem, labels, sample_seeds, *, noise, pixel_size_nm, surrounding, n_jobs
):
    draw = partial(
        _draw_cutouts,
        problem=problem,
        pixel_size_nm=pixel_size_nm,
        surrounding=surrounding,
        noise=noise,
    )
    n_samples = len(labels)
    n_workers = min(effective_n_jobs(n_jobs), n_samples)
    if n_workers == 1:
        return draw(labels, sample_seeds)
    # A few chunks per worker: balanced load, little dispatch overhead.
    bounds = np.linspace(0, n_samples, 4 * n_workers + 1).astype(int)
    chunks = Parallel(n_jobs=n_workers)(
        delayed(draw)(labels[start:stop], sample_seeds[start:stop])
        for start, stop in zip(bounds[:-1], bounds[1:])
        if stop > start
    )
    images = [image for chunk_images, _ in chunks for image in chunk_images]
    masks = [mask for _, chunk_masks in chunks for mask in chunk_masks]
    return images, masks


def _hard_regime(
    problem,
    labels,
    sample_seeds,
    micrograph_rng,
    *,
    noise,
    pixel_size_nm,
    surrounding,
    masks,
    imaging,
):
    micrographs, assignment = draw_micrographs(
        len(labels),
        micrograph_rng,
        typical_diameter_nm=TYPICAL_DIAMETER_NM[problem],
        pixel_size_nm=pixel_size_nm,
        **imaging,
    )
    scene_for = SCENES[problem]
    images, particle_masks = [], []
    with threadpool_limits(limits=1, user_api="blas"):
        for label, seed, index in zip(labels, sample_seeds, assignment):
            micrograph = micrographs[index]
            rng = np.random.default_rng(seed)
            scene = scene_for(label, rng, render_scene_pixel_size(micrograph))
            image, mask = render_cutout(
                scene, micrograph, surrounding=surrounding, noise=noise, masks=masks
            )
            images.append(image)
            particle_masks.append(mask)
    columns = {
        "pixel_size_nm": np.array(
            [micrographs[index].pixel_size_nm for index in assignment]
        ),
        "micrograph": [micrographs[index].name for index in assignment],
    }
    return images, particle_masks, columns
