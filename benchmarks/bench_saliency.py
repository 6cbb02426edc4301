"""Localisation of the saliency methods: a known answer, per method and network.

Every LipNet is trained on :func:`~sklearn_lipnet.inspection.make_spot_images`:
noise images whose class is decided by a bright spot in the top-left quadrant
(no spot: the other class). On held-out "spot" images each saliency method's
maps are scored by

- quadrant share: the maps' mass in the top-left quadrant (chance: 0.25, the
  quadrant's share of the area; every pixel outside it is class-independent
  noise, so a faithful map puts its mass there);
- spot share: the mass within 2.5 spot widths of the spot's centre (chance:
  that disc's share of the area, about 0.06);
- pointing game: how often the map's maximum lies within that disc;
- zero maps: how many maps are zero everywhere (no score).

A second task adds a class-independent "distractor" spot in another quadrant
to every image, so that a map that merely highlights bright spots scores
about 0.5, not 1.

Run::

    python -m benchmarks.bench_saliency                  # CPU, a few minutes
    python -m benchmarks.bench_saliency --device cuda
    # the spread over network seeds, on the GPU test's data and training:
    python -m benchmarks.bench_saliency --architectures lipnet4 --n-train 200 \
        --n-test 40 --epochs 5 --no-distractor --model-seeds 0 1 2 3 4 5

Writes ``benchmarks/results/bench_saliency_<device>.{json,md}``.
"""

import argparse
import time

import numpy as np

from sklearn_lipnet import LipNetClassifier
from sklearn_lipnet.inspection import (
    METHODS,
    localisation_score,
    make_spot_images,
    saliency_maps,
)
from sklearn_lipnet.neural_network import ARCHITECTURES

from ._environment import machine_info, machine_markdown, write_result

SIDE = 28
SPOT_SIGMA = 1.5
#: The spot disc: 2.5 spot widths around the centre.
SPOT_RADIUS = 2.5 * SPOT_SIGMA


def _spot_discs(centres):
    rows, cols = np.mgrid[:SIDE, :SIDE]
    distance = np.hypot(
        rows[None] - centres[:, 0, None, None], cols[None] - centres[:, 1, None, None]
    )
    return distance <= SPOT_RADIUS


def score_maps(maps, centres):
    """The localisation scores of maps of "spot" images."""
    quadrant = np.zeros((SIDE, SIDE), dtype=bool)
    quadrant[: SIDE // 2, : SIDE // 2] = True
    discs = _spot_discs(centres)
    zero = maps.reshape(len(maps), -1).max(axis=1) == 0
    peak = maps.reshape(len(maps), -1).argmax(axis=1)
    hits = discs.reshape(len(maps), -1)[np.arange(len(maps)), peak]
    return {
        "quadrant_share": float(np.nanmean(localisation_score(maps, quadrant)))
        if not zero.all()
        else float("nan"),
        "spot_share": float(np.nanmean(localisation_score(maps, discs)))
        if not zero.all()
        else float("nan"),
        "pointing_game": float(hits[~zero].mean()) if not zero.all() else float("nan"),
        "zero_maps": int(zero.sum()),
        "n_maps": len(maps),
    }


def run_task(architecture, distractor, args, model_seed):
    X, y, _ = make_spot_images(
        args.n_train, distractor=distractor, random_state=args.seed
    )
    X_test, y_test, centres = make_spot_images(
        args.n_test, distractor=distractor, random_state=args.seed + 1
    )
    start = time.perf_counter()
    clf = LipNetClassifier(
        architecture,
        max_epochs=args.epochs,
        augment=False,  # flips and rotations would move the deciding quadrant
        device=args.device,
        random_state=model_seed,
    ).fit(X, y)
    fit_seconds = time.perf_counter() - start
    has_spot = y_test == "spot"
    row = {
        "architecture": architecture,
        "model_seed": model_seed,
        "distractor": distractor,
        "test_accuracy": float((clf.predict(X_test) == y_test).mean()),
        "fit_s": fit_seconds,
        "methods": {},
    }
    for method in METHODS:
        start = time.perf_counter()
        maps = saliency_maps(clf, X_test[has_spot], method=method, target="spot")
        scores = score_maps(maps, centres[has_spot])
        scores["seconds"] = time.perf_counter() - start
        row["methods"][method] = scores
    return row


def _cell(scores):
    if np.isnan(scores["quadrant_share"]):
        return f"all {scores['n_maps']} zero"
    cell = f"{scores['quadrant_share']:.2f} / {scores['spot_share']:.2f}"
    cell += f" / {scores['pointing_game']:.2f}"
    if scores["zero_maps"]:
        cell += f" ({scores['zero_maps']} zero)"
    return cell


def markdown(rows, args, info, wall):
    lines = [
        "# Saliency localisation: a known answer per method and network",
        "",
        "Produced by `python -m benchmarks.bench_saliency"
        + (f" --device {args.device}" if args.device != "cpu" else "")
        + f"` in {wall / 60:.1f} min. Each LipNet is trained on "
        f"{args.n_train} `make_spot_images` (top-left spot or none, "
        f"{args.epochs} epochs, no augmentation, data seed {args.seed}, network "
        f"seeds {', '.join(map(str, args.model_seeds))}); the maps "
        f"of the {rows[0]['methods'][METHODS[0]]['n_maps']} held-out 'spot' "
        "images (target 'spot') are scored.",
        "",
        "Cells: **quadrant share** (mass in the top-left quadrant; chance 0.25) "
        f"/ **spot share** (mass within {SPOT_RADIUS:g} px of the spot's "
        f"centre; chance {np.pi * SPOT_RADIUS**2 / SIDE**2:.2f}) / **pointing "
        "game** (the map's maximum within that disc); '(k zero)': maps that "
        "are zero everywhere, left out of the means.",
        "",
    ]
    for distractor in (False, True):
        subset = [r for r in rows if r["distractor"] == distractor]
        if not subset:
            continue
        lines += [
            "## With a class-independent distractor spot in another quadrant"
            if distractor
            else "## The spot alone",
            "",
            "| network | accuracy | " + " | ".join(METHODS) + " |",
            "| --- | ---: | " + " | ".join("---:" for _ in METHODS) + " |",
        ]
        for row in subset:
            cells = [_cell(row["methods"][m]) for m in METHODS]
            network = row["architecture"]
            if len(args.model_seeds) > 1:
                network += f", seed {row['model_seed']}"
            lines.append(
                f"| {network} | {row['test_accuracy']:.2f} | "
                + " | ".join(cells)
                + " |"
            )
        lines.append("")
    lines += ["## Machine", "", machine_markdown(info), ""]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--architectures", nargs="+", default=list(ARCHITECTURES))
    p.add_argument("--n-train", type=int, default=400)
    p.add_argument("--n-test", type=int, default=200)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--device", default="cpu")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--model-seeds",
        nargs="+",
        type=int,
        help="train each network once per seed on the same data (default: "
        "--seed); the results then go to bench_saliency_seeds_<device>",
    )
    p.add_argument(
        "--no-distractor", action="store_true", help="only the task without one"
    )
    args = p.parse_args()
    spread = args.model_seeds is not None
    args.model_seeds = args.model_seeds or [args.seed]
    start = time.perf_counter()
    rows = []
    for distractor in (False,) if args.no_distractor else (False, True):
        for architecture in args.architectures:
            for model_seed in args.model_seeds:
                row = run_task(architecture, distractor, args, model_seed)
                rows.append(row)
                summary = ", ".join(
                    f"{m} {row['methods'][m]['quadrant_share']:.2f}" for m in METHODS
                )
                print(
                    f"{architecture} seed {model_seed} distractor={distractor} "
                    f"accuracy {row['test_accuracy']:.2f}: {summary}",
                    flush=True,
                )
    wall = time.perf_counter() - start
    info = machine_info()
    settings = {k: v for k, v in vars(args).items()}
    result = {"settings": settings, "machine": info, "wall_s": wall, "rows": rows}
    kind = "cuda" if args.device.startswith("cuda") else "cpu"
    name = f"bench_saliency_seeds_{kind}" if spread else f"bench_saliency_{kind}"
    paths = write_result(name, result, markdown(rows, args, info, wall))
    print("wrote", *paths)


if __name__ == "__main__":
    main()
