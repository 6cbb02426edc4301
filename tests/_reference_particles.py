"""Particles whose features and automatic masks are pinned by a fixture.

``reference_particles.npz`` (next to this module) holds a dozen cut-outs and
masks, the automatic masks ``segment_particle`` found in them, and the
``ParticleFeatures`` matrices of several settings, all computed by the code
of commit c4c4838, before the feature extraction and the segmentation were
made faster (issue 14). The tests in ``tests/features`` and
``tests/segmentation`` check that today's code still gives these numbers,
so a speed-up cannot change a result unnoticed.

The cut-outs are ``make_liposomes`` particles of both problems and every
class, and variants that reach the special cases: a mask with a hole, a
particle cut by the image border, a mask of 20 pixels, float and uint16
images. Regenerate (only on purpose, when a result is meant to change) with
``python -m tests._reference_particles``.
"""

from pathlib import Path

import numpy as np
import pandas as pd

FIXTURE = Path(__file__).with_name("reference_particles.npz")

#: The ParticleFeatures settings whose output the fixture pins.
SETTINGS = {
    "all": {},
    "small_bins_fixed_depth_dtype_range": {
        "n_histogram_bins": 7,
        "n_profile_bins": 5,
        "edge_profile_depth": 6.0,
        "intensity_range": "dtype",
    },
    "fixed_range": {"intensity_range": (20.0, 230.0), "n_profile_bins": 24},
}


def _build_particles():
    from sklearn_lipnet.datasets import make_liposomes

    images, masks, sizes = [], [], []
    for problem in ("lamellarity", "encapsulation"):
        table, _ = make_liposomes(
            3,
            problem=problem,
            weights=[1, 1, 1],
            pixel_size_nm=2.0,
            surrounding=25,
            random_state=3,
        )
        images += list(table["image"])
        masks += list(table["mask"])
        sizes += list(table["pixel_size_nm"])
    # A mask with a hole: the hole's outline is outline too, and its pixels
    # are at depth 0.
    rows, cols = np.indices(images[0].shape)
    hole = np.hypot(rows - 70, cols - 80) < 6
    images.append(images[0])
    masks.append(masks[0] & ~hole)
    # A particle cut by the image border.
    top = int(np.flatnonzero(masks[1].any(axis=1))[0]) + 12
    images.append(images[1][top:])
    masks.append(masks[1][top:])
    # A mask of 20 pixels: empty radial and edge bins are interpolated.
    small = np.zeros(images[2].shape, bool)
    small[40:44, 40:45] = True
    images.append(images[2])
    masks.append(small)
    # Float and 16-bit versions of uint8 cut-outs.
    images.append((images[5] / 255 * 3 - 1).astype(np.float32))
    masks.append(masks[5])
    images.append(images[2].astype(np.uint16) * 257 + 3)
    masks.append(masks[2])
    sizes += [2.0, 1.5, 0.5, 2.0, 3.0]
    return images, masks, sizes


def reference_table(with_masks=True):
    """The fixture's particle table (``image``, ``pixel_size_nm``, ``mask``)."""
    data = np.load(FIXTURE)
    n = int(data["n_particles"])
    table = pd.DataFrame(
        {
            "image": [data[f"image_{i:02d}"] for i in range(n)],
            "pixel_size_nm": data["pixel_size_nm"],
        }
    )
    if with_masks:
        table["mask"] = [data[f"mask_{i:02d}"] for i in range(n)]
    return table


def reference_segmentation():
    """The automatic masks of the fixture's cut-outs, as computed at c4c4838."""
    data = np.load(FIXTURE)
    n = int(data["n_particles"])
    return [data[f"segmented_{i:02d}"] for i in range(n)]


def reference_features(name):
    """The pinned feature matrix of ``SETTINGS[name]`` (masks given)."""
    return np.load(FIXTURE)[f"features_{name}"]


def reference_features_segmented():
    """The pinned ``ParticleFeatures()`` matrix without masks."""
    return np.load(FIXTURE)["features_segmented"]


def _write_fixture():
    import warnings

    from sklearn_lipnet import ParticleFeatures
    from sklearn_lipnet.segmentation import segment_particle

    images, masks, sizes = _build_particles()
    arrays = {"n_particles": np.array(len(images)), "pixel_size_nm": sizes}
    for i, (image, mask) in enumerate(zip(images, masks)):
        arrays[f"image_{i:02d}"] = image
        arrays[f"mask_{i:02d}"] = mask
        arrays[f"segmented_{i:02d}"] = segment_particle(image)
    table = pd.DataFrame({"image": images, "mask": masks, "pixel_size_nm": sizes})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the cut particle touches the border
        for name, settings in SETTINGS.items():
            features = ParticleFeatures(**settings).fit(table)
            arrays[f"features_{name}"] = features.transform(table)
        unmasked = table.drop(columns="mask")
        arrays["features_segmented"] = ParticleFeatures().fit_transform(unmasked)
    np.savez_compressed(FIXTURE, **arrays)
    return FIXTURE


if __name__ == "__main__":
    print("wrote", _write_fixture())
