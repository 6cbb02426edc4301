"""Time LipNetClassifier's fit and predict against a hand-written PyTorch loop.

Both train the same LipNet-4 on the same tensors with the same batch size,
optimizer and loss, in one process, alternating runs; the ratio of images per
second (ours / plain) is what the target of issue 2 (>= 0.9) is about.

The like-for-like comparison switches augmentation and rebalancing off,
because the plain loop does neither. A second row times the classifier with
its defaults (augmentation and oversampling on; the data set is balanced, so
oversampling adds no images) to show what the batched augmentation costs.

Run::

    python -m benchmarks.bench_training_throughput            # CPU
    python -m benchmarks.bench_training_throughput --device cuda

Writes ``benchmarks/results/training_throughput_<device>.{json,md}``.
"""

import argparse
import statistics
import time

import numpy as np
import torch

from sklearn_lipnet import LipNetClassifier
from sklearn_lipnet.neural_network import LipNet4

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


def plain_fit(X, y, device, epochs, batch_size, seed=0):
    """The minimal loop: tensors on the device, shuffled slices, Adam."""
    torch.manual_seed(seed)
    X = torch.from_numpy((X - X.mean()) / X.std()).view(-1, 1, 28, 28).to(device)
    y = torch.from_numpy(y).to(device)
    model = LipNet4(n_classes=int(y.max()) + 1).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(X), device=device)
        for start in range(0, len(X), batch_size):
            batch = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = criterion(model(X[batch]), y[batch])
            loss.backward()
            optimizer.step()
    sync(device)
    return model


def plain_predict(model, X, device, batch_size):
    X = torch.from_numpy((X - X.mean()) / X.std()).view(-1, 1, 28, 28).to(device)
    model.eval()
    outputs = []
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            outputs.append(torch.softmax(model(X[start : start + batch_size]), 1))
    return torch.cat(outputs).cpu().numpy()


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--n-samples", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)
    device = args.device
    on_gpu = device.startswith("cuda")
    n_samples = args.n_samples or (20000 if on_gpu else 2048)
    epochs = args.epochs or (3 if on_gpu else 2)
    batch_size = args.batch_size
    X, y = make_images(n_samples)

    def ours(**params):
        return LipNetClassifier(
            max_epochs=epochs,
            batch_size=batch_size,
            device=device,
            random_state=0,
            **params,
        )

    like_for_like = dict(augment=False, balance=None)
    # warm-up: CUDA context, cuDNN algorithm choice, allocator, thread pools
    plain_fit(X[:512], y[:512], device, 1, batch_size)
    ours(**like_for_like).set_params(max_epochs=1).fit(X[:512], y[:512])

    times = {"plain_fit": [], "ours_fit": [], "ours_fit_defaults": []}
    if on_gpu:
        times["ours_fit_unfused"] = []
    times.update({"plain_predict": [], "ours_predict": []})
    for _ in range(args.repeats):
        seconds, model = timed(lambda: plain_fit(X, y, device, epochs, batch_size))
        times["plain_fit"].append(seconds)
        seconds, clf = timed(lambda: ours(**like_for_like).fit(X, y))
        times["ours_fit"].append(seconds)
        seconds, _ = timed(lambda: ours().fit(X, y))
        times["ours_fit_defaults"].append(seconds)
        if on_gpu:
            # The plain loop's optimizer implementation: what is left is the
            # cost of skorch's loop and our batching alone.
            seconds, _ = timed(
                lambda: ours(**like_for_like, optimizer__fused=False).fit(X, y)
            )
            times["ours_fit_unfused"].append(seconds)
        seconds, _ = timed(plain_predict, model, X, device, batch_size)
        times["plain_predict"].append(seconds)
        seconds, _ = timed(clf.predict_proba, X)
        times["ours_predict"].append(seconds)

    median = {key: statistics.median(values) for key, values in times.items()}
    trained = n_samples * epochs
    rate = {
        key: (n_samples if key.endswith("predict") else trained) / seconds
        for key, seconds in median.items()
    }
    ratio = {
        "fit": rate["ours_fit"] / rate["plain_fit"],
        "fit_with_augmentation": rate["ours_fit_defaults"] / rate["plain_fit"],
        "predict": rate["ours_predict"] / rate["plain_predict"],
    }
    unfused_row = ""
    if on_gpu:
        ratio["fit_unfused_adam"] = rate["ours_fit_unfused"] / rate["plain_fit"]
        unfused_row = (
            "| LipNetClassifier fit (augment=False, balance=None, "
            "optimizer__fused=False) "
            f"| {rate['ours_fit_unfused']:.0f} | {ratio['fit_unfused_adam']:.2f} |\n"
        )
    info = machine_info()
    settings = {
        "device": device,
        "network": "LipNet-4, 28x28, 3 classes",
        "n_samples": n_samples,
        "epochs": epochs,
        "batch_size": batch_size,
        "repeats": args.repeats,
    }
    result = {
        "machine": info,
        "settings": settings,
        "seconds": times,
        "images_per_second": rate,
        "ratio_ours_over_plain": ratio,
    }
    kind = "cuda" if on_gpu else "cpu"
    markdown = f"""# Training and prediction throughput, LipNet-4 on {kind}

Median of {args.repeats} alternating runs; {n_samples} images, {epochs} epochs,
batch size {batch_size}. Target: ours / plain >= 0.9. On CUDA the classifier
uses fused Adam and cuDNN autotuning by default; the plain loop uses
PyTorch's defaults.

| run | images/s | ours / plain |
| --- | ---: | ---: |
| plain PyTorch loop, fit | {rate["plain_fit"]:.0f} | |
| LipNetClassifier fit (augment=False, balance=None) | {rate["ours_fit"]:.0f} \
| {ratio["fit"]:.2f} |
{unfused_row}| LipNetClassifier fit (defaults: augmentation, oversampling) \
| {rate["ours_fit_defaults"]:.0f} | {ratio["fit_with_augmentation"]:.2f} |
| plain PyTorch loop, predict | {rate["plain_predict"]:.0f} | |
| LipNetClassifier predict_proba | {rate["ours_predict"]:.0f} \
| {ratio["predict"]:.2f} |

## Machine

{machine_markdown(info)}
"""
    paths = write_result(f"training_throughput_{kind}", result, markdown)
    print(markdown)
    print("written:", *paths)
    return result


if __name__ == "__main__":
    main()
