"""How well the segmentation check tells good automatic masks from bad ones.

On cut-outs of the hard regime of ``make_liposomes`` (drawn with their true
masks), every particle is segmented automatically and checked with
``segmentation_quality``; the intersection over union (IoU) of the automatic
mask with the true one is compared between the masks the check trusts and
those it does not, and for the closed-outline test alone. Run::

    python -m benchmarks.bench_mask_check

Writes ``benchmarks/results/real_data_segmentation.{json,md}``.
"""

import argparse

import numpy as np

from sklearn_lipnet.datasets import make_liposomes
from sklearn_lipnet.segmentation import checked_masks

from ._environment import machine_info, machine_markdown, write_result


def _summary(iou):
    if iou.size == 0:
        return {"n": 0}
    return {
        "n": int(iou.size),
        "median": float(np.median(iou)),
        "p10": float(np.quantile(iou, 0.1)),
        "mean": float(iou.mean()),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-samples", type=int, default=200, help="per problem")
    p.add_argument("--seed", type=int, default=5)
    args = p.parse_args()

    rows = []
    for problem in ("lamellarity", "encapsulation"):
        table, _ = make_liposomes(
            args.n_samples,
            problem=problem,
            regime="hard",
            weights=[1, 1, 1],
            masks=True,
            random_state=args.seed,
        )
        truth = table.pop("mask")
        masks, qualities = checked_masks(table)
        for mask, true, quality in zip(masks, truth, qualities):
            iou = (mask & true).sum() / (mask | true).sum()
            rows.append((problem, iou, quality.closed, quality.trusted))
    iou = np.array([row[1] for row in rows])
    closed = np.array([row[2] for row in rows])
    trusted = np.array([row[3] for row in rows])
    result = {
        "settings": vars(args),
        "trusted_fraction": float(trusted.mean()),
        "closed_fraction": float(closed.mean()),
        "trusted": _summary(iou[trusted]),
        "not_trusted": _summary(iou[~trusted]),
        "closed": _summary(iou[closed]),
        "not_closed": _summary(iou[~closed]),
        "all": _summary(iou),
    }
    lines = [
        "# The segmentation check on the hard regime",
        "",
        f"`python -m benchmarks.bench_mask_check`: {len(rows)} cut-outs "
        f"({args.n_samples} per problem, equal class shares, seed {args.seed}) of "
        "`make_liposomes(regime='hard', masks=True)`; automatic masks "
        "(`segment_particle`) checked with `segmentation_quality`, compared with "
        "the true masks by intersection over union (IoU).",
        "",
        "| masks | share | IoU median | IoU 10th percentile | IoU mean |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for key, label, share in [
        ("all", "all", 1.0),
        ("trusted", "trusted by the check", result["trusted_fraction"]),
        ("not_trusted", "not trusted", 1 - result["trusted_fraction"]),
        ("closed", "closed outline found (the test alone)", result["closed_fraction"]),
        ("not_closed", "no closed outline", 1 - result["closed_fraction"]),
    ]:
        s = result[key]
        if s["n"]:
            lines.append(
                f"| {label} | {share:.0%} | {s['median']:.2f} | {s['p10']:.2f} | "
                f"{s['mean']:.2f} |"
            )
    info = machine_info()
    lines += ["", "## Machine", "", machine_markdown(info)]
    result["machine"] = info
    write_result("real_data_segmentation", result, "\n".join(lines))
    print("\n".join(lines[:12]))


if __name__ == "__main__":
    main()
