"""From synthetic micrographs to per-sample class fractions: errors and speed.

For each problem, ``--samples`` samples of ``--n-micrographs`` micrographs
(``make_micrographs`` defaults: thesis class proportions, ``--shape`` px at
1 nm) are generated and searched with ``find_particles`` (default
settings, one process). Measured against the ground truth:

- detection precision and recall (a detection matches a true particle when
  its centre lies within half the true diameter; one to one), overall, per
  class and for particles cut by the border;
- the relative diameter error of matched particles;
- per-sample class fractions (particles not cut by the border, as
  ``lipnet analyze`` counts them) of a LipNet-4 trained on ``make_liposomes``
  cut-outs, against the true fractions, in percentage points; one model per
  ``--sampling`` strategy (``none``: the cut-outs' own, thesis, proportions;
  ``oversample``: balanced epochs, as ``lipnet train`` does by default);
- micrographs and particles per second of generation, detection and
  classification.

Run::

    python -m benchmarks.bench_micrographs            # ~20 min on 2 cores
    python -m benchmarks.bench_micrographs --quick    # a smoke run

Writes ``benchmarks/results/micrographs.{json,md}`` and
``micrographs_overlay.png``. Targets (issue 13): recall and precision at
least 0.9, median diameter error under 5 %, class fractions within 5
percentage points of the truth.
"""

import argparse
import time

import numpy as np
import pandas as pd
from PIL import Image

from sklearn_lipnet import make_lipnet_pipeline
from sklearn_lipnet.datasets import (
    CLASSES,
    make_liposomes,
    make_micrographs,
    thesis_proportions,
)
from sklearn_lipnet.detection import detection_scores, find_particles, match_particles
from sklearn_lipnet.experiments import (
    THESIS_TRAINING,
    class_colours,
    class_order,
    draw_overlay,
)

from ._environment import RESULTS, machine_info, machine_markdown, write_result


class Timer:
    """Wall-clock and CPU seconds of a block: on a shared machine the wall
    clock includes waiting for a core, the CPU time does not."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def generate(problem, args):
    """``[(micrographs, truth)]`` per sample."""
    seeds = np.random.SeedSequence([args.seed, len(problem)]).spawn(args.samples)
    samples = [
        make_micrographs(
            args.n_micrographs,
            problem=problem,
            shape=args.shape,
            random_state=np.random.default_rng(seed),
        )
        for seed in seeds
    ]
    return samples


def detect(samples):
    """Particles found per sample."""
    return [find_particles(micrographs) for micrographs, _ in samples]


def detection_results(problem, samples, found):
    truth = pd.concat([t for _, t in samples], keys=range(len(samples)))
    hits = pd.concat(found, keys=range(len(samples)))
    # Micrograph ids repeat across samples: make them unique.
    for table in (truth, hits):
        table["micrograph"] = [
            f"{k}/{m}"
            for k, m in zip(table.index.get_level_values(0), table["micrograph"])
        ]
    truth, hits = truth.reset_index(drop=True), hits.reset_index(drop=True)
    scores = detection_scores(hits, truth)
    matches = match_particles(hits, truth)
    matched = truth.index.isin(matches["truth"])
    per_class = {
        label: float(matched[truth["class"] == label].mean())
        for label in CLASSES[problem]
        if (truth["class"] == label).any()
    }
    cut = truth["cut_by_border"].to_numpy()
    errors = matches.join(truth["cut_by_border"], on="truth")
    return {
        **scores,
        "recall_per_class": per_class,
        "recall_cut_by_border": float(matched[cut].mean()) if cut.any() else None,
        "n_cut_by_border": int(cut.sum()),
        "median_diameter_error_whole": float(
            errors.loc[~errors["cut_by_border"], "diameter_error"].abs().median()
        ),
        "median_diameter_error_cut": float(
            errors.loc[errors["cut_by_border"], "diameter_error"].abs().median()
        ),
        "mean_diameter_error_signed": float(errors["diameter_error"].mean()),
    }


def training_data(problem, args):
    """``args.n_train`` make_liposomes cut-outs with the thesis's proportions,
    without their expert masks: the pipelines segment them, as
    find_particles does in micrographs, so training masks are like test
    masks."""
    table, y = make_liposomes(args.n_train, problem=problem, random_state=args.seed)
    return table.drop(columns="mask"), y


def train(sampling, data, args):
    """LipNet-4 on ``data`` (from :func:`training_data`)."""
    table, y = data
    model = make_lipnet_pipeline(
        "lipnet4",
        mode="masked",
        **THESIS_TRAINING,  # the thesis's, with which the results were measured
        balance=None if sampling == "none" else sampling,
        max_epochs=args.epochs,
        device=args.device,
        random_state=args.seed,
        verbose=0,
    )
    with Timer() as timer:
        model.fit(table, y)
    return model, timer


def fraction_results(problem, model, samples, found):
    """Per sample and class: true, counted and expected fractions."""
    rows, seconds, n_particles = [], 0.0, 0
    classes = [str(label) for label in model.classes_]
    for k, ((_, truth), hits) in enumerate(zip(samples, found)):
        with Timer() as timer:
            proba = model.predict_proba(hits)
        seconds += timer.cpu
        n_particles += len(hits)
        whole = ~hits["cut_by_border"].to_numpy()
        counted = np.asarray(classes)[proba[whole].argmax(axis=1)]
        expected = proba[whole].mean(axis=0)
        true_classes = truth.loc[~truth["cut_by_border"], "class"]
        for label in CLASSES[problem]:
            true = np.mean(true_classes == label)
            ours = np.mean(counted == label)
            mean = expected[classes.index(label)] if label in classes else 0.0
            rows.append(
                {
                    "sample": k,
                    "class": label,
                    "true_fraction": float(true),
                    "counted_fraction": float(ours),
                    "expected_fraction": float(mean),
                    "counted_error_pp": float(100 * (ours - true)),
                    "expected_error_pp": float(100 * (mean - true)),
                    "n_true": int(len(true_classes)),
                    "n_counted": int(whole.sum()),
                }
            )
    return rows, n_particles / seconds if seconds else float("nan")


def majority_baseline(problem, samples):
    """Largest fraction error (pp) of calling every particle the majority class."""
    majority = max(
        CLASSES[problem], key=lambda label: thesis_proportions(problem)[label]
    )
    worst = 0.0
    for _, truth in samples:
        true_classes = truth.loc[~truth["cut_by_border"], "class"]
        for label in CLASSES[problem]:
            error = float(label == majority) - np.mean(true_classes == label)
            worst = max(worst, 100 * abs(error))
    return worst


def save_overlay(problem, model, samples, found, path):
    """The first micrograph with its particles' outlines coloured by class."""
    micrographs, _ = samples[0]
    hits = found[0][found[0]["micrograph"] == micrographs["id"][0]].copy()
    classes = class_order(model.classes_, problem) or list(model.classes_)
    hits["class"] = model.predict(hits) if len(hits) else []
    overlay = draw_overlay(micrographs["image"][0], hits, class_colours(classes))
    Image.fromarray(overlay).save(path)


def markdown(result, args):
    lines = [
        "# Micrographs: detection, sizes and class fractions",
        "",
        f"`python -m benchmarks.bench_micrographs` ({args.samples} samples x "
        f"{args.n_micrographs} micrographs of {args.shape} px at 1 nm per problem, "
        f"thesis class proportions, `find_particles` defaults; LipNet-4 trained "
        f"on {args.n_train} `make_liposomes` cut-outs with the thesis's "
        f"proportions and automatic masks, {args.epochs} epochs, seed {args.seed}). "
        "Targets: recall and precision >= 0.9, median diameter error < 5 %, "
        "class fractions within 5 percentage points.",
        "",
        "## Detection",
        "",
        "| problem | true | found | precision | recall | recall, cut by border "
        "| median diameter error (whole / cut) | mean signed error |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for problem, d in result["detection"].items():
        lines.append(
            f"| {problem} | {d['n_true']} | {d['n_found']} | {d['precision']:.3f} | "
            f"{d['recall']:.3f} | {d['recall_cut_by_border']:.3f} "
            f"({d['n_cut_by_border']}) | {100 * d['median_diameter_error']:.2f} % "
            f"({100 * d['median_diameter_error_whole']:.2f} / "
            f"{100 * d['median_diameter_error_cut']:.2f} %) | "
            f"{100 * d['mean_diameter_error_signed']:+.2f} % |"
        )
    lines += ["", "Recall per class:", ""]
    for problem, d in result["detection"].items():
        parts = ", ".join(f"{k} {v:.3f}" for k, v in d["recall_per_class"].items())
        lines.append(f"- {problem}: {parts}")
    lines += [
        "",
        "## Class fractions per sample",
        "",
        "Particles not cut by the border (as `lipnet analyze` counts them). "
        "Counted: share of particles classified into the class; expected: "
        "mean of the class's probability. Training `none`: the cut-outs' own "
        "(thesis) proportions; `oversample`: balanced epochs (the default of "
        "`lipnet train`). Errors in percentage points.",
        "",
        "Largest error over samples and classes:",
        "",
        "| problem | training | counted | expected |",
        "| --- | --- | ---: | ---: |",
    ]
    for key, rows in result["fractions"].items():
        problem, sampling = key.split("/")
        worst = {
            what: max(abs(r[f"{what}_error_pp"]) for r in rows)
            for what in ("counted", "expected")
        }
        lines.append(
            f"| {problem} | {sampling} | {worst['counted']:.1f} | "
            f"{worst['expected']:.1f} |"
        )
    for problem, worst in result["majority_baseline_pp"].items():
        lines.append(
            f"| {problem} | (every particle the majority class) | {worst:.1f} | |"
        )
    lines += [
        "",
        "| problem | training | sample | class | true | counted | expected |",
        "| --- | --- | ---: | --- | ---: | ---: | ---: |",
    ]
    for key, rows in result["fractions"].items():
        problem, sampling = key.split("/")
        for r in rows:
            shares = [
                f"{100 * r[f'{what}_fraction']:.1f} % ({r[f'{what}_error_pp']:+.1f})"
                for what in ("counted", "expected")
            ]
            lines.append(
                f"| {problem} | {sampling} | {r['sample']} | {r['class']} | "
                f"{100 * r['true_fraction']:.1f} % | {shares[0]} | {shares[1]} |"
            )
    lines += [
        "",
        "## Speed (one process)",
        "",
        "Wall-clock rates on a shared machine include waiting for a core (see "
        "the load average below); CPU-time rates do not, and are what one "
        "free core gives. Particles/s counts particles found.",
        "",
        "| step | rate |",
        "| --- | ---: |",
    ]
    for step, rate in result["speed"].items():
        lines.append(f"| {step} | {rate:.2f} |")
    lines += [
        "",
        "![overlay](micrographs_overlay.png)",
        "",
        "## Machine",
        "",
        machine_markdown(result["machine"]),
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--problem", nargs="+", choices=tuple(CLASSES), default=list(CLASSES)
    )
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--n-micrographs", type=int, default=6)
    parser.add_argument("--shape", type=int, default=2048)
    parser.add_argument("--n-train", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument(
        "--sampling",
        nargs="+",
        choices=("none", "oversample"),
        default=["none", "oversample"],
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.samples, args.n_micrographs, args.shape = 2, 2, 768
        args.n_train, args.epochs = 300, 2
    result = {
        "settings": vars(args),
        "detection": {},
        "fractions": {},
        "majority_baseline_pp": {},
        "speed": {},
    }
    for problem in args.problem:
        with Timer() as generation:
            samples = generate(problem, args)
        with Timer() as detection:
            found = detect(samples)
        n_micrographs = args.samples * args.n_micrographs
        n_found = sum(len(f) for f in found)
        speed = result["speed"]
        for what, timer in (
            ("make_micrographs", generation),
            ("find_particles", detection),
        ):
            for clock in ("wall", "cpu"):
                rate = n_micrographs / getattr(timer, clock)
                speed[f"{problem}: {what}, micrographs/s ({clock})"] = rate
        speed[f"{problem}: find_particles, particles/s (cpu)"] = n_found / detection.cpu
        result["detection"][problem] = detection_results(problem, samples, found)
        result["majority_baseline_pp"][problem] = majority_baseline(problem, samples)
        print(problem, result["detection"][problem], flush=True)
        data = training_data(problem, args)
        for sampling in args.sampling:
            model, fit = train(sampling, data, args)
            rows, rate = fraction_results(problem, model, samples, found)
            result["fractions"][f"{problem}/{sampling}"] = rows
            speed[f"{problem}: LipNet-4 ({sampling}) fit, s (wall)"] = fit.wall
            speed[f"{problem}: LipNet-4 ({sampling}) fit, s (cpu)"] = fit.cpu
            speed[f"{problem}: classification, particles/s (cpu)"] = rate
            worst = max(abs(r["expected_error_pp"]) for r in rows)
            print(problem, sampling, "expected, worst pp:", worst, flush=True)
            if problem == args.problem[0] and sampling == args.sampling[0]:
                path = RESULTS / "micrographs_overlay.png"
                save_overlay(problem, model, samples, found, path)
    result["machine"] = machine_info()
    text = markdown(result, args)
    paths = write_result("micrographs", result, text)
    print(text)
    print("wrote", *paths)


if __name__ == "__main__":
    main()
