"""ONNX export of the five LipNets: export time, file size, inference speed.

For each architecture at its default size (32 channels, dense 128, 28 x 28
input, 32 x 32 for LipNet-6), trained for one epoch on synthetic images (the
weights do not change the timings): the time ``to_onnx`` takes, the size of
the file, and the time per call of ONNX Runtime's ``session.run`` against
``LipNetClassifier.predict_proba`` for batches of 1 and 256 images, both on
the CPU with the same number of threads, plus the largest difference of
their probabilities.

Run::

    OMP_NUM_THREADS=1 python -m benchmarks.bench_onnx_export   # 1 thread each
    python -m benchmarks.bench_onnx_export --threads 2

Writes ``benchmarks/results/onnx_export.{json,md}``.
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime
import torch

from sklearn_lipnet import LipNetClassifier
from sklearn_lipnet.export import to_onnx
from sklearn_lipnet.neural_network import ARCHITECTURES

from ._environment import machine_info, machine_markdown, write_result


def make_images(n_samples, side, seed=0):
    """Noisy discs and rings of random radii, two classes."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:side, :side] - (side - 1) / 2
    distance = np.hypot(yy, xx)
    y = np.arange(n_samples) % 2
    radius = rng.uniform(0.2, 0.4, size=n_samples)[:, None, None] * side
    rings = np.abs(distance[None] - radius) < 1.5
    discs = distance[None] <= radius
    images = np.where(y[:, None, None] == 1, rings, discs).astype(np.float32)
    images += rng.normal(0, 0.4, size=images.shape).astype(np.float32)
    return images.reshape(n_samples, -1), y


def median_seconds(function, repeats, *args):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_architecture(architecture, threads, repeats, folder):
    side = 32 if architecture == "lipnet6" else 28
    X, y = make_images(512, side)
    clf = LipNetClassifier(
        architecture, max_epochs=1, device="cpu", random_state=0, augment=False
    ).fit(X, y)
    path = Path(folder) / f"{architecture}.onnx"
    export_seconds = median_seconds(to_onnx, repeats, clf, path)

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        str(path), options, providers=["CPUExecutionProvider"]
    )
    row = {
        "architecture": architecture,
        "input": f"{side}x{side}",
        "parameters": sum(p.numel() for p in clf.module_.parameters()),
        "export_s": export_seconds,
        "file_bytes": path.stat().st_size,
    }
    for batch, calls in ((1, 20 * repeats), (256, repeats)):
        images = X[:batch]
        graph_input = {"images": images.reshape(-1, 1, side, side)}
        session.run(None, graph_input)  # warm-up: memory arenas, kernels
        clf.predict_proba(images)
        row[f"onnxruntime_batch{batch}_s"] = median_seconds(
            session.run, calls, None, graph_input
        )
        row[f"predict_proba_batch{batch}_s"] = median_seconds(
            clf.predict_proba, calls, images
        )
        (proba,) = session.run(None, graph_input)
        row[f"max_abs_difference_batch{batch}"] = float(
            np.abs(proba - clf.predict_proba(images)).max()
        )
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads of torch and ONNX Runtime (default: torch's)",
    )
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    threads = args.threads or torch.get_num_threads()
    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as folder:
        rows = [
            bench_architecture(name, threads, args.repeats, folder)
            for name in ARCHITECTURES
        ]
    info = machine_info()
    info["onnxruntime"] = onnxruntime.__version__
    settings = {
        "threads": threads,
        "repeats": args.repeats,
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
    }
    lines = [
        "| network | input | parameters | export (ms) | file (kB) "
        "| batch 1: ORT / predict_proba (ms) | batch 256: ORT / predict_proba (ms) "
        "| max abs difference |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        difference = max(
            row["max_abs_difference_batch1"], row["max_abs_difference_batch256"]
        )
        lines.append(
            f"| {row['architecture']} | {row['input']} | {row['parameters']} "
            f"| {1e3 * row['export_s']:.0f} | {row['file_bytes'] / 1e3:.0f} "
            f"| {1e3 * row['onnxruntime_batch1_s']:.2f} / "
            f"{1e3 * row['predict_proba_batch1_s']:.2f} "
            f"| {1e3 * row['onnxruntime_batch256_s']:.1f} / "
            f"{1e3 * row['predict_proba_batch256_s']:.1f} "
            f"| {difference:.1e} |"
        )
    table = "\n".join(lines)
    markdown = f"""# ONNX export of the LipNets

`to_onnx` on each network at its default size, trained for one epoch on
synthetic images; ONNX Runtime (CPU provider) against
`LipNetClassifier.predict_proba`, both with {threads} thread(s), median time
per call over {args.repeats} repeats (x20 for batch 1) after a warm-up.
`predict_proba` includes input validation and standardisation; the graph
does the standardisation too. Times on a shared machine are noisy.

{table}

## Machine

{machine_markdown(info)}
"""
    result = {"machine": info, "settings": settings, "rows": rows}
    paths = write_result("onnx_export", result, markdown)
    print(markdown)
    print("written:", *paths)
    return result


if __name__ == "__main__":
    main()
