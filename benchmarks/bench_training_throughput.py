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
the same precision measured on the same device. Training rates are those of
the epochs after the first (warm-up, compilation), prediction is timed after a
first call.

Run::

    python -m benchmarks.bench_training_throughput            # CPU
    python -m benchmarks.bench_training_throughput --device cuda --compile

Writes ``benchmarks/results/training_throughput_<device>.{json,md}``.
"""

import argparse
import statistics
import time

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from sklearn_lipnet import LipNetClassifier
from sklearn_lipnet.experiments import scaled_learning_rate
from sklearn_lipnet.neural_network import LipNet4
from sklearn_lipnet.neural_network._execution import PRECISIONS, Execution

from ._environment import machine_info, machine_markdown, write_result

#: Images per epoch are capped at this many batches (and at --n-samples).
STEPS_PER_EPOCH = 256


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


def plain_fit(X, y, device, epochs, batch_size, precision, compile=False, seed=0):
    """The minimal loop: tensors on the device, shuffled slices, Adam.

    Returns the wall time of each epoch in seconds (the device synchronised
    at each epoch's end, as the classifier does when it records the losses).
    """
    torch.manual_seed(seed)
    X, y = _tensors(X, y, device)
    execution = Execution(
        device, precision=precision, channels_last=True, compile=compile
    )
    model = execution.prepare_module(LipNet4(n_classes=int(y.max()) + 1).to(device))
    fused = {"fused": True} if device.startswith("cuda") else {}
    optimizer = torch.optim.Adam(
        model.parameters(), lr=scaled_learning_rate(batch_size), **fused
    )
    criterion = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    scaler = execution.grad_scaler()
    model.train()
    durations = []
    for _ in range(epochs):
        sync(device)
        start = time.perf_counter()
        order = torch.randperm(len(X), device=device)
        for start_row in range(0, len(X), batch_size):
            batch = order[start_row : start_row + batch_size]
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
        durations.append(time.perf_counter() - start)
    return durations


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


def steady_rate(n_images, durations):
    """Images per second over the epochs after the first.

    The first epoch pays for what a longer run pays once: the compiler,
    cuDNN's choice of algorithms, the allocator's first requests.
    """
    steady = durations[1:] or durations
    return n_images * len(steady) / sum(steady)


def measure(X, y, device, epochs, batch_size, precision, repeats, compile=False):
    """Median images/s of plain fit, our fit, our fit with defaults, predict."""

    def ours(**params):
        return LipNetClassifier(
            max_epochs=epochs,
            batch_size=batch_size,
            lr=scaled_learning_rate(batch_size),
            precision=precision,
            compile=compile,
            device=device,
            random_state=0,
            iterator_valid__batch_size=max(batch_size, 4096),
            **params,
        )

    def ours_rate(**params):
        clf = ours(**params).fit(X, y)
        return steady_rate(len(X), clf.net_.history[:, "dur"]), clf

    def predict_rate(clf):
        clf.predict_proba(X[: 4 * 4096])  # the compiler's inference graph
        sync(device)
        start = time.perf_counter()
        clf.predict_proba(X)
        return len(X) / (time.perf_counter() - start)

    like_for_like = {"augment": False, "balance": None}
    # Warm-up: CUDA context, cuDNN algorithm choice, allocator, thread pools.
    warm = min(len(X), 4 * batch_size)
    plain_fit(X[:warm], y[:warm], device, 1, batch_size, precision, compile)
    ours(**like_for_like).set_params(max_epochs=1).fit(X[:warm], y[:warm])
    rates = {"plain_fit": [], "ours_fit": [], "ours_fit_defaults": [], "predict": []}
    for _ in range(repeats):
        durations = plain_fit(X, y, device, epochs, batch_size, precision, compile)
        rates["plain_fit"].append(steady_rate(len(X), durations))
        rate, clf = ours_rate(**like_for_like)
        rates["ours_fit"].append(rate)
        rates["ours_fit_defaults"].append(ours_rate()[0])
        rates["predict"].append(predict_rate(clf))
    return {key: statistics.median(values) for key, values in rates.items()}


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
    parser.add_argument(
        "--compile",
        action="store_true",
        help="compile the network (both loops) with torch.compile",
    )
    parser.add_argument(
        "--compile-mode",
        choices=["reduce-overhead", "max-autotune-no-cudagraphs"],
        help="torch.compile's mode (implies --compile; results go to "
        "training_throughput_<device>_<mode>): reduce-overhead replays each "
        "step as a CUDA graph, one launch instead of dozens, for the "
        "launch-bound small batches",
    )
    args = parser.parse_args(argv)
    # Both loops take the classifier's compile parameter: True or options.
    compile_option = {"mode": args.compile_mode} if args.compile_mode else args.compile
    args.compile = bool(compile_option)
    if args.compile:
        # Every precision, batch size and train/eval mode is a graph of its
        # own; past the compiler's default limit of 8 it would fall back to
        # running uncompiled and time that instead.
        torch._dynamo.config.recompile_limit = 64
    device = args.device
    on_gpu = device.startswith("cuda")
    n_samples = args.n_samples or (65536 if on_gpu else 8192)
    epochs = args.epochs or (3 if on_gpu else 2)
    X_all, y_all = make_images(n_samples)

    rows, result_rows = [], []
    peaks = {p: matmul_peak(device, p) for p in args.precisions}
    flops = {p: training_flops_per_image(device, p) for p in args.precisions}
    for precision in args.precisions:
        for batch_size in args.batch_sizes:
            # Small batches are launch-bound: a few hundred steps per epoch
            # measure them as well as thousands would.
            n_images = min(n_samples, STEPS_PER_EPOCH * batch_size)
            X, y = X_all[:n_images], y_all[:n_images]
            rate = measure(
                X,
                y,
                device,
                epochs,
                batch_size,
                precision,
                args.repeats,
                compile=compile_option,
            )
            ratio = rate["ours_fit"] / rate["plain_fit"]
            # Prediction is the forward pass alone: a third of a training step.
            peak_fit = rate["ours_fit"] * flops[precision] / peaks[precision]
            peak_predict = rate["predict"] * flops[precision] / 3 / peaks[precision]
            result_rows.append(
                {
                    "precision": precision,
                    "batch_size": batch_size,
                    "n_images": n_images,
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
        "steps_per_epoch_at_most": STEPS_PER_EPOCH,
        "epochs": epochs,
        "compile": compile_option,
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
    compiled = " (and here for `torch.compile`, used by both loops)" * args.compile
    if args.compile_mode:
        compiled = compiled.replace(
            "`torch.compile`", f"`torch.compile` ({args.compile_mode})"
        )
    markdown = f"""# Training and prediction throughput, LipNet-4 on {kind}

Median of {args.repeats} runs; {epochs} epochs per fit of at most {n_samples}
images ({STEPS_PER_EPOCH} batches) each; training rates are over the epochs after
the first, which pays once for warm-up{compiled}; prediction is timed
after a first call. Learning rate 1e-3 x sqrt(batch / 32). "plain" is a minimal PyTorch loop with
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
    suffix = f"_{args.compile_mode}" if args.compile_mode else ""
    paths = write_result(f"training_throughput_{kind}{suffix}", result, markdown)
    print(markdown)
    print("written:", *paths)
    return result


if __name__ == "__main__":
    main()
