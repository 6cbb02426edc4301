"""How well and how fast the automatic segmentation finds the particle.

On ``make_liposomes`` cut-outs, whose true masks are known, it measures the
intersection over union (IoU) of ``segment_particle`` with the true mask per
problem and class, with the default noise and without noise, and the time
per image. It then times ``ParticlePreprocessor.transform`` in each mode,
with the expert (true) masks and with segmentation instead.

Run::

    python -m benchmarks.bench_segmentation

Writes ``benchmarks/results/segmentation.{json,md}``. Target (issue 3): IoU
above 0.8 on clean particles, i.e. every class but "uncertain".
"""

import argparse
import time

import numpy as np

from sklearn_lipnet import ParticlePreprocessor
from sklearn_lipnet.datasets import CLASSES, make_liposomes
from sklearn_lipnet.segmentation import segment_particle

from ._environment import machine_info, machine_markdown, write_result


def overlap(problem, noise, n_per_class, seed):
    table, y = make_liposomes(
        n_per_class * 3,
        problem=problem,
        weights=[1, 1, 1],
        noise=noise,
        random_state=seed,
    )
    scores, seconds = [], 0.0
    for image, mask in zip(table["image"], table["mask"]):
        start = time.perf_counter()
        found = segment_particle(image)
        seconds += time.perf_counter() - start
        scores.append((found & mask).sum() / (found | mask).sum())
    scores = np.array(scores)
    rows = []
    for label in CLASSES[problem]:
        iou = scores[y == label]
        rows.append(
            {
                "problem": problem,
                "noise": noise,
                "class": label,
                "n": len(iou),
                "iou_median": float(np.median(iou)),
                "iou_mean": float(iou.mean()),
                "iou_p05": float(np.percentile(iou, 5)),
                "fraction_above_0.8": float((iou > 0.8).mean()),
            }
        )
    return rows, 1000 * seconds / len(scores)


def preprocessing_rates(n_samples, seed):
    table, _ = make_liposomes(n_samples, random_state=seed)
    rates = {}
    for mode in ("surrounding", "cropped", "masked"):
        for masks in ("expert", "segmented"):
            if mode == "surrounding" and masks == "segmented":
                continue  # the surrounding mode uses no mask
            data = table if masks == "expert" else table.drop(columns="mask")
            pre = ParticlePreprocessor(mode).fit(data)
            start = time.perf_counter()
            pre.transform(data)
            rates[f"{mode}, {masks} masks"] = n_samples / (time.perf_counter() - start)
    return rates


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-per-class", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    info = machine_info()
    rows, milliseconds = [], {}
    for problem in CLASSES:
        for noise in (1.0, 0.0):
            found, ms = overlap(problem, noise, args.n_per_class, args.seed)
            rows += found
            milliseconds[f"{problem}, noise={noise}"] = ms
    rates = preprocessing_rates(200, args.seed)
    result = {
        "machine": info,
        "iou": rows,
        "ms_per_image": milliseconds,
        "preprocessor_per_s": rates,
    }

    lines = [
        "# Automatic segmentation on make_liposomes",
        "",
        f"`python -m benchmarks.bench_segmentation` ({args.n_per_class} cut-outs "
        f"per class, seed {args.seed}). IoU of `segment_particle` with the true "
        "mask. Target: IoU > 0.8 on clean (not 'uncertain') particles.",
        "",
        "| problem | noise | class | IoU median | IoU mean | IoU 5th pct | IoU > 0.8 |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {r['problem']} | {r['noise']:g} | {r['class']} | {r['iou_median']:.3f} "
        f"| {r['iou_mean']:.3f} | {r['iou_p05']:.3f} | "
        f"{100 * r['fraction_above_0.8']:.0f} % |"
        for r in rows
    ]
    lines += ["", "Time per image (one process):", ""]
    lines += [f"- {key}: {ms:.1f} ms" for key, ms in milliseconds.items()]
    lines += [
        "",
        "`ParticlePreprocessor(mode).transform`, 200 lamellarity cut-outs, "
        "size 28, n_jobs=None:",
        "",
    ]
    lines += [f"- {key}: {rate:.0f} cut-outs/s" for key, rate in rates.items()]
    lines += ["", "## Machine", "", machine_markdown(info)]
    markdown = "\n".join(lines)
    paths = write_result("segmentation", result, markdown)
    print(markdown)
    print("wrote", *paths)


if __name__ == "__main__":
    main()
