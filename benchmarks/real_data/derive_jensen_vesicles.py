"""Derive ``jensen_vesicles/`` from the source repository's MATLAB files.

The source, https://github.com/KatrineHommelhoffJensen/vesicle-model-repo
(BSD-2-Clause, commit 6b5eb59), holds six cryo-EM micrographs of lipid
vesicles (``Data/TIP/MicData_1.mat`` to ``MicData_6.mat``: a 1024 x 1024
float32 micrograph ``mMicrograph`` and the centre ``dVesicleCntX``,
``dVesicleCntY`` and radius ``dVesicleR`` of each annotated vesicle, in
pixels). This script writes, for each, an 8-bit PNG and the annotations in
the layout ``sklearn_lipnet.datasets.list_micrographs`` reads:

- ``MicData_<k>.png``: the micrograph's values from their 0.01th to their
  99.99th percentile mapped linearly onto 0-255 (the step, about 0.03 of
  the micrograph's standard deviation, is far below its noise), the
  outermost 0.01 % clipped. ``micrographs.csv`` records the two values that
  map to 0 and 255, so the source's values can be recovered up to the
  rounding.
- ``particles.csv``: one row per annotated vesicle, ``micrograph``, ``y``,
  ``x`` (centre, 0-based pixels: row, column) and ``radius_px``. The
  source's coordinates are MATLAB's (1-based; ``dVesicleCntX`` is the
  column): 1 is subtracted. The mean radial profile about the annotated
  centres (all vesicles) is darkest 2.5 px inside the annotated radius: the
  circle lies on the outer part of the membrane's dark band.

Usage (writes next to this file, each file whole or not at all)::

    git clone https://github.com/KatrineHommelhoffJensen/vesicle-model-repo
    python benchmarks/real_data/derive_jensen_vesicles.py vesicle-model-repo
"""

import argparse
import hashlib
import io
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from scipy.io import loadmat

from sklearn_lipnet.utils import write_atomically

SOURCE_FILES = [f"Data/TIP/MicData_{k}.mat" for k in range(1, 7)]
CLIP_PERCENTILES = (0.01, 99.99)
HERE = Path(__file__).resolve().parent / "jensen_vesicles"


def to_uint8(micrograph):
    """The micrograph on 0-255 and the values that map to 0 and 255."""
    low, high = np.percentile(micrograph, CLIP_PERCENTILES)
    scaled = np.round((micrograph - low) / (high - low) * 255)
    return np.clip(scaled, 0, 255).astype(np.uint8), float(low), float(high)


def derive(source, out=HERE):
    micrographs, particles = [], []
    for name in SOURCE_FILES:
        path = Path(source) / name
        data = path.read_bytes()
        content = loadmat(io.BytesIO(data))
        image, low, high = to_uint8(content["mMicrograph"].astype(np.float64))
        micrograph = Path(name).stem
        file = f"{micrograph}.png"
        png = Image.fromarray(image)
        write_atomically(
            out / file,
            lambda target, png=png: png.save(target, format="PNG", optimize=True),
        )
        micrographs.append(
            {
                "file": file,
                "id": micrograph,
                "sample": "TIP",
                "source_file": name,
                "source_sha256": hashlib.sha256(data).hexdigest(),
                "value_at_0": low,
                "value_at_255": high,
            }
        )
        particles.append(
            pd.DataFrame(
                {
                    "micrograph": micrograph,
                    "y": content["dVesicleCntY"].ravel() - 1.0,
                    "x": content["dVesicleCntX"].ravel() - 1.0,
                    "radius_px": content["dVesicleR"].ravel(),
                }
            )
        )
    write_atomically(
        out / "micrographs.csv",
        lambda target: pd.DataFrame(micrographs).to_csv(target, index=False),
    )
    write_atomically(
        out / "particles.csv",
        lambda target: pd.concat(particles).to_csv(
            target, index=False, float_format="%.4f"
        ),
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="a checkout of vesicle-model-repo")
    derive(parser.parse_args(argv).source)


if __name__ == "__main__":
    main()
