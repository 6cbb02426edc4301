"""Synthetic cryo-TEM liposome cut-outs: lamellarity and encapsulation problems."""

from collections.abc import Mapping
from functools import partial
from numbers import Integral, Real

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from ._scenes import SCENES
from ._thesis import CLASSES, THESIS_COUNTS


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
    noise=1.0,
    pixel_size_nm=1.0,
    surrounding=50,
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
    ``"multilamellar"`` (2-4 nested bilayers, larger vesicles; in some of them
    the inner lamellae are faint) and ``"uncertain"`` (overlapping vesicles,
    ice, low contrast or a film edge over the particle).
    ``problem="encapsulation"``: ``"empty"`` (interior like the background),
    ``"full"`` (the rod-like crystal of liposomal doxorubicin inside) and
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
        the thesis's proportions (87.3/12.1/0.6 % and 0.6/97.3/2.0 %).
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
    n_jobs : int, default=None
        Processes drawing the cut-outs (joblib semantics: ``None`` is 1,
        ``-1`` every core). Every cut-out has its own seed, so the result
        does not depend on ``n_jobs``.

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
    draw = partial(
        _draw_cutouts,
        problem=problem,
        pixel_size_nm=pixel_size_nm,
        surrounding=surrounding,
        noise=noise,
    )
    n_workers = min(effective_n_jobs(n_jobs), n_samples)
    if n_workers == 1:
        images, masks = draw(labels, sample_seeds)
    else:
        # A few chunks per worker: balanced load, little dispatch overhead.
        bounds = np.linspace(0, n_samples, 4 * n_workers + 1).astype(int)
        chunks = Parallel(n_jobs=n_workers)(
            delayed(draw)(labels[start:stop], sample_seeds[start:stop])
            for start, stop in zip(bounds[:-1], bounds[1:])
            if stop > start
        )
        images = [image for chunk_images, _ in chunks for image in chunk_images]
        masks = [mask for _, chunk_masks in chunks for mask in chunk_masks]
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
