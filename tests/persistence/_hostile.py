"""Hostile model files: the model kinds, the tampering, and the loader.

``test_hostile_model_files.py`` saves one small fitted model of every kind in
:data:`MODEL_KINDS`, tampers with its file in many ways (every array and
scalar of ``model.json``, the network weights, the archive itself) and has
:func:`main` load each tampered file and predict with it in a subprocess,
where a crash (SIGSEGV, SIGABRT) would show as the death of that process.

A new kind of model is one more entry in :data:`MODEL_KINDS`.
"""

import copy
import io
import json
import sys
import time
import traceback
import warnings
import zipfile
from dataclasses import dataclass

import numpy as np

#: Values a tampered scalar, array item or setting becomes.
HOSTILE_VALUES = [
    -1,
    0,
    1,
    2,
    7,
    2**31,
    2**63,
    -(10**30),
    10**30,
    float("nan"),
    float("inf"),
    -float("inf"),
    1e-300,
    1e300,
    0.5,
    -0.5,
    "",
    "x",
    "rbf",
    "cuda:3",
    "lipnet4",
    True,
    False,
    None,
    [],
    [1, 2],
    {},
    {"__ndarray__": [1.0], "dtype": "<f8", "shape": [1]},
    {"__scalar__": 1e308, "dtype": "<f8"},
    {"__tuple__": [1, "a"]},
    {"__object__": "SVC", "state": {}},
    {"__object__": "subprocess.Popen", "state": {}},
    "y" * 5000,
]
#: Dtypes a tampered array or scalar claims.
HOSTILE_DTYPES = [
    "<i4",
    "<i8",
    "<u1",
    "<f4",
    "<f8",
    ">f8",
    "|b1",
    "<U3",
    "<U100000000",
    "<c16",
    "|O",
    "<M8[s]",
    "|V8",
    "f8,i4",
    "(2,)f8",
    "garbage",
    7,
]


@dataclass(frozen=True)
class ModelKind:
    """How to make a small fitted model of one kind, and inputs for it."""

    fit: object
    inputs: object


def _particles(n, seed):
    from sklearn_lipnet.datasets import make_liposomes

    return make_liposomes(
        n,
        problem="lamellarity",
        weights=[0.4, 0.3, 0.3],
        pixel_size_nm=4.0,
        surrounding=10,
        random_state=seed,
    )


def _table():
    return _particles(2, 1)[0]


def _features():
    return np.random.default_rng(1).normal(size=(2, 5))


def _lipnet_pipeline():
    from sklearn_lipnet import make_lipnet_pipeline

    table, y = _particles(30, 0)
    model = make_lipnet_pipeline(
        "lipnet2",
        max_epochs=2,
        device="cpu",
        random_state=0,
        sampler="oversample",
        train_split=0.25,
        module__conv_channels=4,
        module__dense_units=8,
        module__batch_norm=True,
    )
    return model.fit(table, y)


def _lipnet_on_features():
    from sklearn_lipnet import LipNetClassifier

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 5)), np.repeat(["a", "b", "c"], 10)
    model = LipNetClassifier(
        max_epochs=2, device="cpu", random_state=0, module__dense_units=8
    )
    return model.fit(X, y)


def _svm_pipeline():
    from sklearn_lipnet import make_svm_pipeline

    table, y = _particles(30, 0)
    return make_svm_pipeline("thesis", random_state=0).fit(table, y)


def _svm_probability():
    from sklearn_lipnet import make_svm_pipeline

    table, y = _particles(30, 0)
    model = make_svm_pipeline(
        ["area", "circularity", "histogram"],
        sampler="smote",
        probability=True,
        random_state=0,
    )
    return model.fit(table, y)


def _hybrid_pipeline():
    from sklearn_lipnet import make_hybrid_pipeline

    table, y = _particles(30, 0)
    model = make_hybrid_pipeline(
        "lipnet2",
        features=["area", "circularity", "histogram"],
        max_epochs=2,
        device="cpu",
        random_state=0,
        module__conv_channels=4,
        module__dense_units=8,
        module__feature_units=4,
    )
    return model.fit(table, y)


def _stacking():
    from sklearn_lipnet import make_lipnet_pipeline, make_svm_pipeline
    from sklearn_lipnet.pipeline import make_stacking_classifier

    table, y = _particles(30, 0)
    model = make_stacking_classifier(
        make_lipnet_pipeline(
            "lipnet2",
            max_epochs=1,
            device="cpu",
            random_state=0,
            module__conv_channels=4,
            module__dense_units=8,
        ),
        make_svm_pipeline(["area", "circularity", "histogram"], random_state=0),
        random_state=0,
    )
    return model.fit(table, y)


#: Every kind of model a model file holds.
MODEL_KINDS = {
    "lipnet": ModelKind(_lipnet_pipeline, _table),
    "lipnet_features": ModelKind(_lipnet_on_features, _features),
    "svm": ModelKind(_svm_pipeline, _table),
    "svm_probability": ModelKind(_svm_probability, _table),
    "hybrid": ModelKind(_hybrid_pipeline, _table),
    "stacking": ModelKind(_stacking, _table),
}


# -- reading and writing archives -------------------------------------------


def read_members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_members(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


# -- tampering with model.json ------------------------------------------------


def sites(tree, path=()):
    """Paths to every array, scalar and plain value of a JSON tree."""
    if isinstance(tree, dict):
        if any(tag in tree for tag in ("__ndarray__", "__scalar__", "__dtype__")):
            yield path
            return
        for key, value in tree.items():
            yield from sites(value, (*path, key))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            yield from sites(value, (*path, i))
    else:
        yield path


def _get(tree, path):
    for key in path:
        tree = tree[key]
    return tree


def _set(tree, path, value):
    _get(tree, path[:-1])[path[-1]] = value


def _tamper_array(node, rng):
    node = copy.deepcopy(node)
    items, shape = node["__ndarray__"], node["shape"]
    choice = rng.integers(9)
    if choice == 0 and items:  # one value fewer, shape kept or fixed
        items.pop(int(rng.integers(len(items))))
        if rng.random() < 0.5:
            node["shape"] = [len(items)] if len(shape) <= 1 else [len(items), 1]
    elif choice == 1:  # one value more
        items.append(items[0] if items else 1)
        if rng.random() < 0.5:
            node["shape"] = [len(items)]
    elif choice == 2 and len(shape) > 1:
        node["shape"] = shape[::-1] if shape[0] != shape[-1] else [shape[0] * 2, -1]
    elif choice == 3:
        node["dtype"] = str(rng.choice(HOSTILE_DTYPES))
    elif choice == 4 and items:
        items[int(rng.integers(len(items)))] = HOSTILE_VALUES[
            int(rng.integers(len(HOSTILE_VALUES)))
        ]
    elif choice == 5:
        node["__ndarray__"], node["shape"] = [], [0]
    elif choice == 6:
        node["shape"] = [int(v) for v in rng.integers(-2, 5, size=rng.integers(0, 3))]
    elif choice == 7 and items and all(type(v) in (int, float) for v in items):
        factor = [-1, 1e300, 2**31, -(2**31), 1e-300][int(rng.integers(5))]
        node["__ndarray__"] = [
            v * factor
            if isinstance(v, float)
            else int(v * factor)
            if abs(v * factor) < 2**70
            else v
            for v in items
        ]
    else:
        return HOSTILE_VALUES[int(rng.integers(len(HOSTILE_VALUES)))]
    return node


def _tamper_value(node, rng):
    if isinstance(node, dict) and "__ndarray__" in node:
        return _tamper_array(node, rng)
    if isinstance(node, dict) and "__scalar__" in node and rng.random() < 0.5:
        node = dict(node)
        if rng.random() < 0.5:
            node["dtype"] = str(rng.choice(HOSTILE_DTYPES))
        else:
            node["__scalar__"] = HOSTILE_VALUES[int(rng.integers(len(HOSTILE_VALUES)))]
        return node
    return HOSTILE_VALUES[int(rng.integers(len(HOSTILE_VALUES)))]


def tampered_documents(document, rng):
    """``(description, JSON text)`` of ``document`` with one site tampered.

    Every site once, then for every object one attribute left out and one
    unknown attribute added.
    """
    for path in sites(document):
        original = _get(document, path)
        value = _tamper_value(original, rng)
        _set(document, path, value)
        try:
            text = json.dumps(document)
        finally:
            _set(document, path, original)
        yield f"{'.'.join(map(str, path))} := {str(value)[:80]}", text
    for path in _object_paths(document):
        state = _get(document, path)["state"]
        if state:
            key = sorted(state)[int(rng.integers(len(state)))]
            value = state.pop(key)
            text = json.dumps(document)
            state[key] = value
            yield f"{'.'.join(map(str, path))}.state: without {key}", text
        state["__class__"] = 1
        text = json.dumps(document)
        del state["__class__"]
        yield f"{'.'.join(map(str, path))}.state: an unknown key", text


def _object_paths(tree, path=()):
    if isinstance(tree, dict):
        if "__object__" in tree:
            yield path
        for key, value in tree.items():
            yield from _object_paths(value, (*path, key))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            yield from _object_paths(value, (*path, i))


# -- tampering with the weights and the archive ---------------------------


def tampered_weights(members, rng):
    """``(description, members)`` pairs with the network weights tampered."""
    import torch

    names = [name for name in members if name.endswith(".pt")]
    for name in names:
        weights = torch.load(io.BytesIO(members[name]), weights_only=True)
        keys = sorted(weights)
        changes = [
            ("drop a tensor", lambda w, k: w.pop(k)),
            ("add a tensor", lambda w, k: w.__setitem__(k + "_extra", w[k])),
            ("reshape", lambda w, k: w.__setitem__(k, w[k].reshape(-1)[:-1])),
            ("grow", lambda w, k: w.__setitem__(k, torch.zeros(w[k].numel() + 9))),
            ("float64", lambda w, k: w.__setitem__(k, w[k].double())),
            ("int", lambda w, k: w.__setitem__(k, w[k].long())),
            ("NaN", lambda w, k: w.__setitem__(k, w[k] * float("nan"))),
            ("huge", lambda w, k: w.__setitem__(k, w[k] + 3e38)),
            ("not a tensor", lambda w, k: w.__setitem__(k, [1, 2])),
            ("sparse", lambda w, k: w.__setitem__(k, w[k].reshape(-1).to_sparse())),
            ("negative", lambda w, k: w.__setitem__(k, -w[k].abs() - 1)),
        ]
        for description, change in changes:
            for key in rng.choice(keys, size=min(2, len(keys)), replace=False):
                tampered = dict(weights)
                change(tampered, str(key))
                buffer = io.BytesIO()
                torch.save(tampered, buffer)
                yield (
                    f"{name}[{key}]: {description}",
                    {**members, name: buffer.getvalue()},
                )
        for _ in range(12):  # flipped bytes inside the tensor file
            data = bytearray(members[name])
            for position in rng.integers(len(data), size=rng.integers(1, 8)):
                data[position] = int(rng.integers(256))
            yield f"{name}: flipped bytes", {**members, name: bytes(data)}
        yield f"{name}: empty", {**members, name: b""}
        yield f"{name}: a pickle", {**members, name: b"\x80\x04K\x01."}
        yield f"{name}: missing", {k: v for k, v in members.items() if k != name}


def tampered_archives(members):
    """``(description, bytes of a zip file)`` of broken archives."""
    document = json.loads(members["model.json"])

    def zipped(files, compression=zipfile.ZIP_DEFLATED):
        buffer = io.BytesIO()
        with (
            warnings.catch_warnings(),  # "Duplicate name" is the point
            zipfile.ZipFile(buffer, "w", compression=compression) as archive,
        ):
            warnings.simplefilter("ignore")
            for name, data in files:
                archive.writestr(name, data)
        return buffer.getvalue()

    nested = "[" * 100_000 + "]" * 100_000
    deep = {
        "format": document["format"],
        "version": 2,
        "model": {"__object__": "Pipeline", "state": {}},
    }
    node = deep["model"]["state"]
    for _ in range(150):
        node["memory"] = {"__tuple__": [{"__dict__": {}}]}
        node = node["memory"]["__tuple__"][0]["__dict__"]
    yield "an extra member", zipped([*members.items(), ("payload.pkl", b"x")])
    yield "model.json twice", zipped([*members.items(), ("model.json", b"{}")])
    yield "JSON nested 100000 deep", zipped([("model.json", nested)])
    yield "objects nested 450 deep", zipped([("model.json", json.dumps(deep))])
    yield "a zip bomb", zipped([("model.json", b" " * (40 * 2**20))])
    yield "not JSON", zipped([("model.json", b"\xff\xfe{")])
    yield "a list", zipped([("model.json", b"[1, 2]")])
    yield "a huge number", zipped([("model.json", b"1" * 100_000)])
    yield (
        "version 'x'",
        zipped(
            [
                ("model.json", json.dumps({**document, "version": "x"})),
                *list(members.items())[1:],
            ]
        ),
    )
    yield (
        "no model",
        zipped(
            [
                ("model.json", json.dumps({**document, "model": 5})),
                *list(members.items())[1:],
            ]
        ),
    )
    yield "a truncated file", zipped(list(members.items()))[:-100]
    yield "stored, not compressed", zipped(list(members.items()), zipfile.ZIP_STORED)


# -- the subprocess ------------------------------------------------------


def _finite_output(model, X):
    predicted = model.predict(X)
    if len(predicted) != len(X):
        return "predict gave the wrong number of rows"
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(X)
        if proba.shape != (len(X), len(model.classes_)):
            return f"predict_proba gave shape {proba.shape}"
        if not np.isfinite(proba).all():
            return "predict_proba gave NaN or infinite probabilities"
    return "ok"


def main(job_file, out_file):
    """Load and predict with every file of the job; write what happened."""
    warnings.simplefilter("ignore")
    from sklearn_lipnet import load_model

    job = json.loads(open(job_file).read())
    inputs = {kind: MODEL_KINDS[kind].inputs() for kind in {c["kind"] for c in job}}
    outcomes, timings = [], []
    for number, case in enumerate(job):
        print(f"START {number}", flush=True)
        start = time.perf_counter()
        try:
            model = load_model(case["path"], device="cpu")
            outcome = _finite_output(model, inputs[case["kind"]])
        except ValueError:
            outcome = "ValueError"
        except Exception as exc:  # what the test reports
            try:
                message = str(exc)
            except Exception:  # a KeyError holding an unprintable key
                message = "(no message)"
            outcome = f"{type(exc).__name__}: {message[:300]}\n" + "".join(
                traceback.format_tb(exc.__traceback__, limit=-2)
            )
        outcomes.append(outcome)
        timings.append(time.perf_counter() - start)
    with open(out_file, "w") as handle:
        json.dump({"outcomes": outcomes, "seconds": timings}, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
