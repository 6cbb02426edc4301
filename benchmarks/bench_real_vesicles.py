"""Real cryo-EM vesicles: the automatic detection and masks against annotations.

The data are ``benchmarks/real_data/jensen_vesicles``: six real cryo-EM
micrographs of lipid vesicles (1024 x 1024 px) with the centre and radius of
698 vesicles annotated by the source's authors, and our by-eye lamellarity
classes of every vesicle annotated or found (see its ``SOURCE.md``):

- **Detection.** ``find_particles`` on the micrographs, matched with the
  annotations by ``match_particles`` (a detection's centre within the
  annotated radius of the annotated centre): recall, overall and by
  vesicle size, and the diameter error. Precision cannot be measured: the
  authors left large vesicles and multilamellar ones unannotated (see the
  overlay), so detections without an annotation are counted by size
  instead, against the annotated size range.
- **Masks.** Each annotated vesicle is cut out as a particle picker would
  (a square of ``2 * context`` radii about the annotated centre; those the
  micrograph's border would cut are left out and counted), segmented by
  ``checked_masks`` (the automatic masks of ``make_svm_pipeline()`` and
  ``ParticlePreprocessor`` without masks) and compared with the annotated
  disc: intersection over union (IoU) and the error of the equivalent
  radius, for all masks and split by the segmentation check, as
  ``bench_mask_check`` does on the hard regime.
- **Detection by lamellarity.** Against our by-eye classes
  (``jensen_vesicles/lamellarity.csv``): how many unilamellar,
  multilamellar and uncertain vesicles a detection measures whole (centred
  inside the circle, at least 80% of its radius), how many only in part
  (an inner lamella or an enclosed vesicle found instead), how many not at
  all.
- **Classification by models trained on synthetic particles only.**
  LipNet-4 as ``bench_micrographs`` trains it, without and with
  oversampling, and ``make_svm_pipeline()``, all on ``make_liposomes``
  cut-outs, classify the detections that measure a labelled vesicle whole:
  per by-eye class, the share called each class (the diagonal is the
  recall of that class on real particles, which synthetic data alone
  cannot show). Once per ``--seeds`` seed (three by default): how well
  such models transfer varies much with the seed.

The source gives no pixel size, so sizes are in pixels and the finder runs
at ``--pixel-size-nm`` (1 by default: its nanometre settings then read as
pixels; its default size range, 25-400, covers the annotated diameters of
28-113 px). Run from the repository root::

    python -m benchmarks.bench_real_vesicles

Writes ``benchmarks/results/real_vesicles.{json,md}`` and
``real_vesicles_overlay.png`` (``--suffix`` is appended to the three
names; the overlay shows the first micrograph: annotated vesicles,
detections that match one, and detections that do not).
"""

import argparse
import time

import numpy as np
import pandas as pd
from PIL import Image

from sklearn_lipnet import make_svm_pipeline
from sklearn_lipnet.datasets import CLASSES
from sklearn_lipnet.detection import find_particles, match_particles
from sklearn_lipnet.experiments import class_colours, draw_overlay
from sklearn_lipnet.segmentation import checked_masks

from ._environment import (
    RESULTS,
    git_commit,
    machine_info,
    machine_markdown,
    write_result,
)
from ._jensen_vesicles import (
    annotated_disc,
    load,
    load_lamellarity,
    vesicle_cut_outs,
)
from .bench_mask_check import _summary
from .bench_micrographs import train, training_data

#: Radius bins of the recall table, in pixels (the annotated radii are 14-57).
RADIUS_BINS = (0, 18, 22, 28, np.inf)
COLOURS = {
    "annotated, not found": (255, 60, 60),
    "annotated and found": (60, 200, 255),
    "found, not annotated": (255, 220, 0),
}


def detection(micrographs, vesicles, pixel_size_nm, n_jobs):
    """Recall by size, diameter error and unannotated detections by size."""
    start = time.perf_counter()
    found = find_particles(micrographs, pixel_size_nm=pixel_size_nm, n_jobs=n_jobs)
    seconds = time.perf_counter() - start
    truth = vesicles.assign(diameter_nm=2 * vesicles["radius_px"] * pixel_size_nm)
    matches = match_particles(found, truth)
    matched = truth.index.isin(matches["truth"])
    bins = pd.cut(truth["radius_px"], RADIUS_BINS, right=False)
    by_size = [
        {
            "radius_px": f"{interval.left:g}-{interval.right:g}",
            "n": int((bins == interval).sum()),
            "recall": float(matched[bins == interval].mean()),
        }
        for interval in bins.cat.categories
        if (bins == interval).any()
    ]
    unannotated = found.drop(index=matches["found"])
    diameters = unannotated["diameter_nm"] / pixel_size_nm
    low, high = 2 * truth["radius_px"].min(), 2 * truth["radius_px"].max()
    result = {
        "n_annotated": len(truth),
        "n_found": len(found),
        "n_matched": len(matches),
        "recall": float(matched.mean()),
        "recall_by_radius": by_size,
        "median_abs_diameter_error": float(matches["diameter_error"].abs().median()),
        "mean_diameter_error": float(matches["diameter_error"].mean()),
        "median_centre_distance_px": float(
            matches["distance_nm"].median() / pixel_size_nm
        ),
        "unannotated": {
            "larger than any annotated": int((diameters > high).sum()),
            "in the annotated size range": int(diameters.between(low, high).sum()),
            "smaller than any annotated": int((diameters < low).sum()),
            "of these, cut by the border": int(unannotated["cut_by_border"].sum()),
        },
        "seconds": seconds,
    }
    return result, found, matches


def masks(table, n_jobs):
    """IoU and radius error of the automatic masks, split by the check."""
    start = time.perf_counter()
    automatic, qualities = checked_masks(table[["id", "image"]], n_jobs=n_jobs)
    seconds = time.perf_counter() - start
    iou = np.array(
        [(m & a).sum() / (m | a).sum() for m, a in zip(automatic, table["annotated"])]
    )
    radius_error = (
        np.array([np.sqrt(m.sum() / np.pi) for m in automatic])
        / table["radius_px"].to_numpy()
        - 1
    )
    trusted = np.array([quality.trusted for quality in qualities])

    def summary(keep):
        return {
            **_summary(iou[keep]),
            "median_abs_radius_error": float(np.median(np.abs(radius_error[keep])))
            if keep.any()
            else None,
            "median_radius_error": float(np.median(radius_error[keep]))
            if keep.any()
            else None,
        }

    everything = np.ones(len(iou), dtype=bool)
    return {
        "n_cut_outs": len(table),
        "trusted_fraction": float(trusted.mean()),
        "all": summary(everything),
        "trusted": summary(trusted),
        "not_trusted": summary(~trusted),
        "iou_at_least_0.8": float((iou >= 0.8).mean()),
        "seconds": seconds,
    }


#: A detection measures a labelled vesicle whole when its centre lies
#: inside the labelled circle and its radius is at least this share of the
#: circle's; a smaller one inside it is a part (an inner lamella, an
#: enclosed vesicle).
WHOLE_RADIUS_SHARE = 0.8


def whole_matches(found, labelled, pixel_size_nm):
    """For each labelled vesicle: the detection that measures it whole (its
    index in ``found``, or -1) and whether some smaller detection lies inside
    it instead."""
    whole = np.full(len(labelled), -1)
    part = np.zeros(len(labelled), dtype=bool)
    radius = found["diameter_nm"].to_numpy() / 2 / pixel_size_nm
    for k, vesicle in enumerate(labelled.itertuples()):
        same = (found["micrograph"] == vesicle.micrograph).to_numpy()
        distance = np.hypot(found["y"] - vesicle.y, found["x"] - vesicle.x)
        inside = same & (distance.to_numpy() < vesicle.radius_px)
        large = inside & (radius >= WHOLE_RADIUS_SHARE * vesicle.radius_px)
        if large.any():
            # The closest in size, should a larger neighbour also qualify.
            candidates = np.flatnonzero(large)
            best = np.argmin(np.abs(np.log(radius[candidates] / vesicle.radius_px)))
            whole[k] = found.index[candidates[best]]
        part[k] = inside.any() and not large.any()
    return whole, part


def lamellarity_detection(found, labelled, pixel_size_nm):
    """Per by-eye class: vesicles found whole, found only in part, missed."""
    whole, part = whole_matches(found, labelled, pixel_size_nm)
    rows = []
    for label in CLASSES["lamellarity"]:
        of_class = (labelled["class"] == label).to_numpy()
        rows.append(
            {
                "class": label,
                "n": int(of_class.sum()),
                "whole": int((of_class & (whole >= 0)).sum()),
                "part": int((of_class & part).sum()),
                "missed": int((of_class & (whole < 0) & ~part).sum()),
            }
        )
    return rows, whole


def classification(found, labelled, whole, args):
    """Per seed, model and by-eye class: the share of each predicted class
    among the labelled vesicles found whole; the models of the first seed.

    A seed draws the synthetic training set, the networks' weights and the
    SVM's search for C and the kernel width; how far models trained on
    synthetic particles transfer to real ones varies much between seeds, so
    one seed can mislead.
    """
    rows, first = [], None
    for seed in args.seeds:
        seeded = argparse.Namespace(**{**vars(args), "seed": seed})
        data = training_data("lamellarity", seeded)
        models = []
        for sampling in ("none", "oversample"):
            model, _ = train(sampling, data, seeded)
            models.append(
                (
                    f"LipNet-4, {args.n_train} synthetic cut-outs, sampling {sampling}",
                    model,
                )
            )
        # Seeded too: its inner search for C and the kernel width draws a
        # subset and folds, and the models' transfer depends on what it picks.
        svm = make_svm_pipeline(random_state=seed).fit(*data)
        models.append(
            (
                f"SVM (make_svm_pipeline(random_state=seed)), {args.n_train} "
                "synthetic cut-outs",
                svm,
            )
        )
        first = first or dict(models)
        for name, model in models:
            for which in CLASSES["lamellarity"]:
                of_class = whole[(labelled["class"] == which).to_numpy()]
                particles = found.loc[of_class[of_class >= 0]]
                shares = pd.Series(model.predict(particles)).value_counts(
                    normalize=True
                )
                rows.append(
                    {
                        "model": name,
                        "seed": seed,
                        "particles": which,
                        "n": len(particles),
                        **{
                            label: float(shares.get(label, 0.0))
                            for label in CLASSES["lamellarity"]
                        },
                    }
                )
    return rows, first


def save_overlay(micrographs, vesicles, found, matches, path):
    """The first micrograph: annotations and detections in three colours."""
    first = micrographs["id"][0]
    matched_truth = set(matches["truth"])
    matched_found = set(matches["found"])
    image = micrographs["image"][0]
    rows = []
    for vesicle in vesicles[vesicles["micrograph"] == first].itertuples():
        half = int(np.ceil(vesicle.radius_px)) + 1
        top, left, disc = annotated_disc(vesicle, half, image.shape)
        found_it = vesicle.Index in matched_truth
        rows.append(
            {
                "mask": disc,
                "cutout_y0": top,
                "cutout_x0": left,
                "class": "annotated and found" if found_it else "annotated, not found",
            }
        )
    hits = found[(found["micrograph"] == first) & ~found.index.isin(matched_found)]
    for hit in hits.itertuples():
        rows.append(
            {
                "mask": hit.mask,
                "cutout_y0": hit.cutout_y0,
                "cutout_x0": hit.cutout_x0,
                "class": "found, not annotated",
            }
        )
    particles = pd.DataFrame(rows)
    # Half size: the outlines stay clear and the file stays small.
    overlay = draw_overlay(image, particles, COLOURS, max_side=max(image.shape) // 2)
    Image.fromarray(overlay).save(path, optimize=True)


def save_class_overlay(micrographs, found, model, path):
    """The first micrograph's detections coloured by ``model``'s class."""
    particles = found[found["micrograph"] == micrographs["id"][0]].copy()
    particles["class"] = model.predict(particles)
    image = micrographs["image"][0]
    colours = class_colours(list(CLASSES["lamellarity"]))
    overlay = draw_overlay(image, particles, colours, max_side=max(image.shape) // 2)
    Image.fromarray(overlay).save(path, optimize=True)


def markdown(result, args):
    d, m = result["detection"], result["masks"]
    lines = [
        "# Real cryo-EM vesicles: automatic detection and masks",
        "",
        f"`python -m benchmarks.bench_real_vesicles --pixel-size-nm "
        f"{args.pixel_size_nm:g} --context {args.context:g}` at commit "
        f"{result['machine']['commit']}. Data: "
        "`benchmarks/real_data/jensen_vesicles` (six real cryo-EM micrographs, "
        f"1024 x 1024 px, {d['n_annotated']} vesicles annotated by the source's "
        "authors with centre and radius; BSD-2-Clause; see its `SOURCE.md`). "
        "The source gives no pixel size: sizes are in pixels.",
        "",
        "## Detection (`find_particles`, default settings)",
        "",
        f"{d['n_found']} particles found, {d['n_matched']} of the "
        f"{d['n_annotated']} annotated vesicles matched: **recall "
        f"{d['recall']:.3f}**. Matched diameters: median absolute error "
        f"{d['median_abs_diameter_error']:.1%}, mean signed error "
        f"{d['mean_diameter_error']:+.1%}; median centre distance "
        f"{d['median_centre_distance_px']:.1f} px. "
        f"{d['seconds']:.1f} s for the six micrographs.",
        "",
        "| annotated radius (px) | vesicles | recall |",
        "| --- | ---: | ---: |",
    ]
    lines += [
        f"| {row['radius_px']} | {row['n']} | {row['recall']:.3f} |"
        for row in d["recall_by_radius"]
    ]
    lines += [
        "",
        "Detections without an annotation (precision cannot be measured: the "
        "authors annotated neither the large vesicles nor the multilamellar "
        f"ones; `real_vesicles{args.suffix}_overlay.png` shows the first micrograph, "
        "annotated vesicles found in blue, missed in red, detections without "
        "an annotation in yellow):",
        "",
        "| diameter | detections |",
        "| --- | ---: |",
    ]
    lines += [f"| {key} | {value} |" for key, value in d["unannotated"].items()]
    if result.get("lamellarity_detection"):
        lines += [
            "",
            "Detection by lamellarity, against our by-eye classes "
            "(`jensen_vesicles/lamellarity.csv`: every vesicle annotated or "
            "found at commit 5ccc78d, plus the multilamellar vesicles missed "
            "then, circled by eye). *Whole*: a detection centred inside the "
            f"vesicle's circle with at least {WHOLE_RADIUS_SHARE:.0%} of its "
            "radius; *in part*: only smaller detections inside it (an inner "
            "lamella or an enclosed vesicle).",
            "",
            "| class (by eye) | vesicles | found whole | found in part | missed |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {row['class']} | {row['n']} | {row['whole']} "
            f"({row['whole'] / max(row['n'], 1):.0%}) | {row['part']} | "
            f"{row['missed']} |"
            for row in result["lamellarity_detection"]
        ]
    lines += [
        "",
        "## Automatic masks (`checked_masks`) against the annotated discs",
        "",
        f"{m['n_cut_outs']} cut-outs (each vesicle in a square of "
        f"{2 * args.context:g} radii about its annotated centre; vesicles "
        "whose square the border cuts are left out: "
        f"{d['n_annotated'] - m['n_cut_outs']}). The check trusts "
        f"{m['trusted_fraction']:.0%} of the masks; "
        f"{m['iou_at_least_0.8']:.0%} of all masks reach an IoU of 0.8. "
        f"{m['seconds']:.1f} s.",
        "",
        "| masks | n | IoU median | IoU 10th percentile | IoU mean "
        "| median radius error | median absolute radius error |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, label in [
        ("all", "all"),
        ("trusted", "trusted by the check"),
        ("not_trusted", "not trusted"),
    ]:
        s = m[key]
        if s["n"]:
            lines.append(
                f"| {label} | {s['n']} | {s['median']:.2f} | {s['p10']:.2f} | "
                f"{s['mean']:.2f} | {s['median_radius_error']:+.1%} | "
                f"{s['median_abs_radius_error']:.1%} |"
            )
    if result.get("classification"):
        seeds = ", ".join(str(seed) for seed in args.seeds)
        lines += [
            "",
            "## Lamellarity, with models trained on synthetic particles only",
            "",
            f"Models trained on `make_liposomes(problem='lamellarity')` cut-outs "
            f"only ({args.n_train}, thesis proportions; LipNet-4 as "
            f"`bench_micrographs` trains it, {args.epochs} epochs, masks found "
            "automatically) classify the detections that measure a vesicle of "
            "our by-eye classes whole (the diagonal is each class's recall on "
            f"real particles). Each model is trained once per seed ({seeds}: "
            "the seed draws the synthetic cut-outs, the network's weights and "
            "the SVM's search for C and the kernel width); "
            "a cell gives the mean share over the seeds and, in brackets, each "
            "seed's, in per cent. "
            f"`real_vesicles{args.suffix}_classes.png` shows the first "
            "micrograph's detections coloured by the first model's class "
            "(first seed), as `lipnet analyze` colours them.",
            "",
            "| model | class (by eye) | n | called unilamellar | multilamellar "
            "| uncertain |",
            "| --- | --- | ---: | ---: | ---: | ---: |",
        ]
        table = pd.DataFrame(result["classification"])
        for (model, which), group in table.groupby(["model", "particles"], sort=False):
            cells = [
                f"{group[label].mean():.1%} ("
                + " / ".join(f"{share:.0%}".rstrip("%") for share in group[label])
                + ")"
                for label in CLASSES["lamellarity"]
            ]
            lines.append(
                f"| {model} | {which} | {group['n'].iloc[0]} | "
                + " | ".join(cells)
                + " |"
            )
    lines += ["", "## Machine", "", machine_markdown(result["machine"])]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pixel-size-nm",
        type=float,
        default=1.0,
        help="the finder's pixel size (the source gives none; default 1)",
    )
    parser.add_argument(
        "--context",
        type=float,
        default=1.4,
        help="half the cut-out's side, in vesicle radii (default 1.4, the "
        "middle of the hard regime's 1.15-1.6)",
    )
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument(
        "--no-classify",
        action="store_true",
        help="skip training the lamellarity models (about three minutes a seed)",
    )
    parser.add_argument("--n-train", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[0, 1, 2],
        help="train the models once per seed (default 0 1 2)",
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--suffix",
        default="",
        help="appended to the results' names, e.g. to keep a run of another "
        "version of the package beside the current one",
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    micrographs, vesicles = load()
    detected, found, matches = detection(
        micrographs, vesicles, args.pixel_size_nm, args.n_jobs
    )
    table = vesicle_cut_outs(micrographs, vesicles, args.context)
    labelled = load_lamellarity()
    by_class, whole = lamellarity_detection(found, labelled, args.pixel_size_nm)
    result = {
        "settings": vars(args),
        "detection": detected,
        "lamellarity_detection": by_class,
        "masks": masks(table, args.n_jobs),
        "classification": None,
        "machine": {**machine_info(), "commit": git_commit()},
    }
    models = {}
    if not args.no_classify:
        result["classification"], models = classification(found, labelled, whole, args)
    text = markdown(result, args)
    print(text)
    if not args.no_write:
        name = f"real_vesicles{args.suffix}"
        write_result(name, result, text)
        save_overlay(
            micrographs, vesicles, found, matches, RESULTS / f"{name}_overlay.png"
        )
        if models:
            first_model = next(iter(models.values()))
            save_class_overlay(
                micrographs, found, first_model, RESULTS / f"{name}_classes.png"
            )


if __name__ == "__main__":
    main()
