"""Training and prediction throughput of LipNet-4, against a plain PyTorch loop.

For each batch size (32, 256, 1024, 4096 by default) and precision (fp32,
bf16), ``LipNetClassifier.fit`` and a minimal hand-written loop train the
same LipNet-4 on the same device-resident tensors with the same optimizer,
loss, memory layout (channels-last) and arithmetic; the like-for-like runs
switch augmentation and rebalancing off, which the plain loop does not do.
The classifier with its defaults (augmentation, oversampling) is timed too,
and ``predict_proba``. Every rate is also given as a fraction of the
device's peak: the network's floating-point operations per image (counted
by :class:`torch.utils.flop_counter.FlopCounterMode`, forward and backward)
times images per second, over the throughput of a large matrix product in
the same precision measured on the same device.

Run::

    python -m benchmarks.bench_training_throughput            # CPU
    python -m benchmarks.bench_training_throughput --device cuda

Writes ``benchmarks/results/training_throughput_<device>.{json,md}``.
"""

import argparse
import statistics
import time
from functools import partial

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from sklearn_lipnet import LipNetClassifier
from sklearn_lipnet.experiments import scaled_learning_rate
from sklearn_lipnet.neural_network import LipNet4
from sklearn_lipnet.neural_network._execution import PRECISIONS, Execution

from ._environment import machine_info, machine_markdown, write_result


def make_images(n_samples, side=28, n_classes=3, seed=0):
    """Noisy centred rings with 1-3 lamellae: one class per lamella count."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:side, :side] - (side - 1) / 2
    distance = np.hypot(yy, xx)
    y = np.arange(n_samples) % n_classes
    radius = rng.uniform(6, 11, size=n_samples)
    images = np.zeros((n_samples, side, side), dtype=np.float32)
    for lamella in range(n_classes):
        ring = np.abs(distance[None] - (radius - 2.5 * lamella)[:, None, None]) < 1
        images += ring * (y > lamella - 1)[:, None, None]
    images += rng.normal(0, 0.5, size=images.shape).astype(np.float32)
    return images.reshape(n_samples, -1), y


def sync(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _tensors(X, y, device):
    X = torch.from_numpy((X - X.mean()) / X.std()).view(-1, 1, 28, 28).to(device)
    return X, torch.from_numpy(y).to(device)


def plain_fit(X, y, device, epochs, batch_size, precision, seed=0):
    """The minimal loop: tensors on the device, shuffled slices, Adam."""
    torch.manual_seed(seed)
    X, y = _tensors(X, y, device)
    execution = Execution(device, precision=precision, channels_last=True)
    model = execution.prepare_module(LipNet4(n_classes=int(y.max()) + 1).to(device))
    fused = {"fused": True} if device.startswith("cuda") else {}
    optimizer = torch.optim.Adam(
        model.parameters(), lr=scaled_learning_rate(batch_size), **fused
    )
    criterion = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    scaler = execution.grad_scaler()
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(X), device=device)
        for start in range(0, len(X), batch_size):
            batch = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = criterion(execution.forward(model, X[batch]), y[batch])
            if scaler is None:
                loss.backward()
                optimizer.step()
            else:
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
    sync(device)
    return model


def training_flops_per_image(device, precision):
    """Floating-point operations of one LipNet-4 training step, per image."""
    model = LipNet4(n_classes=3).to(device)
    execution = Execution(device, precision=precision)
    X = torch.randn(16, 1, 28, 28, device=device)
    counter = FlopCounterMode(display=False)
    with counter:
        execution.forward(model, X).sum().backward()
    return counter.get_total_flops() / len(X)


def matmul_peak(device, precision, repeats=5):
    """Measured floating-point operations per second of a large matmul."""
    side = 8192 if device.startswith("cuda") else 2048
    dtype = PRECISIONS[precision] or torch.float32
    a = torch.randn(side, side, device=device, dtype=dtype)
    b = torch.randn(side, side, device=device, dtype=dtype)
    a @ b
    sync(device)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        sync(device)
        best = min(best, time.perf_counter() - start)
    return 2 * side**3 / best


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def measure(X, y, device, epochs, batch_size, precision, repeats):
    """Median images/s of plain fit, our fit, our fit with defaults, predict."""

    def ours(**params):
        return LipNetClassifier(
            max_epochs=epochs,
            batch_size=batch_size,
            lr=scaled_learning_rate(batch_size),
            precision=precision,
            device=device,
            random_state=0,
            iterator_valid__batch_size=max(batch_size, 1024),
            **params,
        )

    like_for_like = {"augment": False, "balance": None}
    # Warm-up: CUDA context, cuDNN algorithm choice, allocator, thread pools.
    warm = min(len(X), 4 * batch_size)
    plain_fit(X[:warm], y[:warm], device, 1, batch_size, precision)
    ours(**like_for_like).set_params(max_epochs=1).fit(X[:warm], y[:warm])
    times = {"plain_fit": [], "ours_fit": [], "ours_fit_defaults": [], "predict": []}
    for _ in range(repeats):
        seconds, _ = timed(
            lambda: plain_fit(X, y, device, epochs, batch_size, precision)
        )
        times["plain_fit"].append(seconds)
        seconds, clf = timed(lambda: ours(**like_for_like).fit(X, y))
        times["ours_fit"].append(seconds)
        seconds, _ = timed(lambda: ours().fit(X, y))
        times["ours_fit_defaults"].append(seconds)
        seconds, _ = timed(partial(clf.predict_proba, X))
        times["predict"].append(seconds)
    median = {key: statistics.median(values) for key, values in times.items()}
    return {
        key: (len(X) if key == "predict" else len(X) * epochs) / seconds
        for key, seconds in median.items()
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--n-samples", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--batch-sizes", type=int, nargs="+", default=[32, 256, 1024, 4096]
    )
    parser.add_argument("--precisions", nargs="+", default=["fp32", "bf16"])
    args = parser.parse_args(argv)
    device = args.device
    on_gpu = device.startswith("cuda")
    n_samples = args.n_samples or (131072 if on_gpu else 8192)
    epochs = args.epochs or (2 if on_gpu else 1)
    X, y = make_images(n_samples)

    rows, result_rows = [], []
    peaks = {p: matmul_peak(device, p) for p in args.precisions}
    flops = {p: training_flops_per_image(device, p) for p in args.precisions}
    for precision in args.precisions:
        for batch_size in args.batch_sizes:
            rate = measure(X, y, device, epochs, batch_size, precision, args.repeats)
            ratio = rate["ours_fit"] / rate["plain_fit"]
            # Prediction is the forward pass alone: a third of a training step.
            peak_fit = rate["ours_fit"] * flops[precision] / peaks[precision]
            peak_predict = rate["predict"] * flops[precision] / 3 / peaks[precision]
            result_rows.append(
                {
                    "precision": precision,
                    "batch_size": batch_size,
                    "images_per_second": rate,
                    "ratio_ours_over_plain": ratio,
                    "fraction_of_peak_fit": peak_fit,
                    "fraction_of_peak_predict": peak_predict,
                }
            )
            rows.append(
                f"| {precision} | {batch_size} | {rate['plain_fit']:.0f} "
                f"| {rate['ours_fit']:.0f} | {ratio:.2f} "
                f"| {rate['ours_fit_defaults']:.0f} | {100 * peak_fit:.1f} % "
                f"| {rate['predict']:.0f} | {100 * peak_predict:.1f} % |"
            )
            print(rows[-1], flush=True)

    info = machine_info()
    kind = "cuda" if on_gpu else "cpu"
    settings = {
        "device": device,
        "network": "LipNet-4, 28x28, 3 classes, channels-last",
        "n_samples": n_samples,
        "epochs": epochs,
        "repeats": args.repeats,
        "learning_rate": "1e-3 * sqrt(batch / 32)",
        "torch_threads": torch.get_num_threads(),
    }
    result = {
        "machine": info,
        "settings": settings,
        "training_flops_per_image": flops,
        "matmul_peak_flops": peaks,
        "rows": result_rows,
    }
    peak_lines = "\n".join(
        f"- {p}: {peaks[p] / 1e12:.2f} TFLOP/s measured matmul peak; "
        f"{flops[p] / 1e6:.1f} MFLOP per training image"
        for p in args.precisions
    )
    markdown = f"""# Training and prediction throughput, LipNet-4 on {kind}

Median of {args.repeats} runs; {n_samples} images x {epochs} epoch(s) per fit;
learning rate 1e-3 x sqrt(batch / 32). "plain" is a minimal PyTorch loop with
the same arithmetic; "ours" is `LipNetClassifier(augment=False,
balance=None)`; "defaults" adds augmentation and oversampling (the data are
balanced, so oversampling adds no images). "% peak" is FLOP/s achieved over
the device's measured matmul throughput in that precision.

{peak_lines}

| precision | batch | plain fit img/s | ours fit img/s | ours / plain | defaults img/s | fit % peak | predict img/s | predict % peak |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
{chr(10).join(rows)}

## Machine

{machine_markdown(info)}
"""  # noqa: E501
    paths = write_result(f"training_throughput_{kind}", result, markdown)
    print(markdown)
    print("written:", *paths)
    return result


if __name__ == "__main__":
    main()
