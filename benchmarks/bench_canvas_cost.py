"""What the fixed-scale canvas costs: time per epoch at each canvas size.

The thesis could not afford inputs larger than 28 x 28 (64 x 64 took about 24
hours, section 10.1). Here synthetic lamellarity liposomes are put on
fixed-scale canvases of 28 to 96 pixels (``ParticlePreprocessor(scale=
"fixed")``, one canvas width in nanometres for all sizes) and the fully
convolutional LipNet-4c, which has the same weights at every size, trains a
few epochs on each; LipNet-4 at the default 28 x 28 is the reference. Reports
seconds per epoch of 1000 images (the median epoch of ``--epochs``, the first
one excluded as warm-up), the CPU seconds per epoch (steadier on a shared
machine) and the preprocessing time per 1000 particles.

    OMP_NUM_THREADS=1 python -m benchmarks.bench_canvas_cost [--sizes 28 48 64 96]

Writes ``benchmarks/results/canvas_cost_<device>.{json,md}``.
"""

import argparse
import statistics
import time

from sklearn_lipnet import LipNetClassifier, ParticlePreprocessor
from sklearn_lipnet.datasets import make_liposomes

from ._environment import machine_info, machine_markdown, write_result


def epoch_seconds(classifier, X, y):
    """Seconds per epoch of 1000 images: wall clock and this process's CPU.

    Wall clock: the median epoch after the first (warm-up). CPU: the whole
    fit's processor time over the epochs; on a machine shared with other
    work it is the steadier measure of what an epoch costs (run with
    ``OMP_NUM_THREADS=1`` so that it counts one core's work).
    """
    start = time.process_time()
    classifier.fit(X, y)
    cpu = (time.process_time() - start) / len(classifier.history_)
    wall = statistics.median(classifier.history_[1:, "dur"])
    return wall * 1000 / len(X), cpu * 1000 / len(X)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[28, 48, 64, 80, 96])
    parser.add_argument("--n-samples", type=int, default=512)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--canvas-nm", type=float, default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    table, y = make_liposomes(
        args.n_samples,
        weights=[0.4, 0.4, 0.2],
        random_state=args.seed,
    )
    settings = dict(
        max_epochs=args.epochs,
        balance=None,  # every epoch the same n_samples images
        random_state=args.seed,
        device=args.device,
    )
    rows = []
    start = time.perf_counter()
    X = ParticlePreprocessor().fit_transform(table)
    preprocess = (time.perf_counter() - start) * 1000 / len(y)
    seconds = epoch_seconds(LipNetClassifier("lipnet4", **settings), X, y)
    rows.append(("LipNet-4, resized to fit", 28, None, preprocess, *seconds))
    print(rows[-1], flush=True)
    for size in args.sizes:
        preprocessor = ParticlePreprocessor(
            size=size, scale="fixed", canvas_nm=args.canvas_nm
        )
        start = time.perf_counter()
        X = preprocessor.fit_transform(table)
        preprocess = (time.perf_counter() - start) * 1000 / len(y)
        classifier = LipNetClassifier("lipnet4c", module__input_size=size, **settings)
        seconds = epoch_seconds(classifier, X, y)
        canvas_nm = preprocessor.canvas_nm_
        rows.append(("LipNet-4c, fixed scale", size, canvas_nm, preprocess, *seconds))
        print(rows[-1], flush=True)

    reference = rows[0][5]
    info = machine_info()
    lines = [
        f"# Cost of the fixed-scale canvas, {args.device}",
        "",
        f"{args.n_samples} synthetic lamellarity liposomes, batch size 32, "
        f"{args.epochs} epochs per size, augmentation on, no rebalancing. "
        "Seconds per epoch are scaled to 1000 images: wall clock (median "
        "epoch after the first) and this process's CPU time (whole fit over "
        "its epochs; with one thread, one core's work, the steadier measure "
        "on a shared machine). Preprocessing is the whole "
        "`ParticlePreprocessor` (masks, cut-out, resampling) per 1000 "
        "particles, wall clock. Produced by `python -m "
        "benchmarks.bench_canvas_cost` with the settings below.",
        "",
        "| network | canvas px | canvas nm | nm per pixel | wall s / epoch "
        "| CPU s / epoch | CPU x LipNet-4 at 28 | preprocessing s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, size, canvas_nm, preprocess, wall, cpu in rows:
        nm = "-" if canvas_nm is None else f"{canvas_nm:.0f}"
        per_pixel = "-" if canvas_nm is None else f"{canvas_nm / size:.1f}"
        lines.append(
            f"| {name} | {size} | {nm} | {per_pixel} | {wall:.2f} | {cpu:.2f} "
            f"| {cpu / reference:.1f} | {preprocess:.1f} |"
        )
    lines += [
        "",
        "The canvas spans the largest particle of the table (its bounding "
        "box) unless `--canvas-nm` is given, so every size shows the same "
        "field of view at a finer or coarser scale.",
        "",
        "## Settings",
        "",
        *(f"- {key}: {value}" for key, value in vars(args).items()),
        "",
        "## Machine",
        "",
        machine_markdown(info),
    ]
    markdown = "\n".join(lines)
    result = {
        "machine": info,
        "settings": vars(args),
        "rows": [
            {
                "network": name,
                "canvas_px": size,
                "canvas_nm": canvas_nm,
                "preprocess_s_per_1000": preprocess,
                "epoch_wall_s_per_1000": wall,
                "epoch_cpu_s_per_1000": cpu,
            }
            for name, size, canvas_nm, preprocess, wall, cpu in rows
        ],
    }
    write_result(f"canvas_cost_{args.device}", result, markdown)
    print(markdown)


if __name__ == "__main__":
    main()
