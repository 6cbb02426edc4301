"""Model files that hold data only: loading them cannot run code.

A pickle (``joblib.dump``) can execute anything when loaded. A model file of
ours is a zip archive with

- ``model.json``: the estimator tree as JSON. Every object is named by its
  class, which must be on an allowlist (our estimators, the scikit-learn and
  imbalanced-learn pieces our pipelines use); its state is JSON with numpy
  arrays spelled out;
- ``weights_<n>.pt``: the state dict of each LipNet network, read back with
  ``torch.load(weights_only=True)``, which only builds tensors.

Loading therefore only creates allowlisted classes and fills in plain data,
and only data that passed the schema of its class (:mod:`._schema`): a file
from elsewhere can neither run code nor hand libsvm or PyTorch arrays whose
sizes disagree. Members are read within size limits. Training-only
parameters that are arbitrary objects (``callbacks``, a callable
``train_split``) are not saved: a loaded model predicts, and refits without
them.
"""

import io
import json
import os
import pickle
import struct
import zipfile
import zlib

from ..utils import atomic_file
from ._checks import InvalidModelFile, describe, fail
from ._codec import Decoder, Encoder, check_keys, resolve_load_device
from ._network import WEIGHTS_NAME

__all__ = ["load_model", "save_model"]

FORMAT = "sklearn-lipnet-model"
#: Version 2 names classes and networks by registry name; version 1 stored
#: import paths.
FORMAT_VERSION = 2

#: Largest model file, on disk.
MAX_FILE_BYTES = 2 * 2**30
#: Largest ``model.json``, uncompressed (a 100 000-vector SVM of 77
#: features takes about 150 MB).
MAX_JSON_BYTES = 256 * 2**20
#: Largest ``weights_<n>.pt``, uncompressed.
MAX_WEIGHTS_BYTES = 2**30
#: Largest ratio of uncompressed to compressed size of a member over 1 MiB
#: (JSON numbers compress about 3 times, weights barely; a "zip bomb" 1000).
MAX_COMPRESSION_RATIO = 100
#: Most networks (weight members) in one model file.
MAX_NETWORKS = 64
_SMALL_MEMBER = 2**20


class _Archive:
    """The members of an open model file, read within the size limits."""

    def __init__(self, archive, label):
        self.archive = archive
        self.infos = {}
        infos = archive.infolist()
        if "model.json" not in {info.filename for info in infos}:
            raise ValueError(
                f"{label} is not an sklearn-lipnet model file (no model.json)."
            )
        for info in infos:
            name = info.filename
            where = f"member {name!r}"
            if name in self.infos:
                fail(where, "occurs twice.")
            if name != "model.json" and not WEIGHTS_NAME.fullmatch(name):
                fail(where, "is not part of a model file.")
            limit = MAX_JSON_BYTES if name == "model.json" else MAX_WEIGHTS_BYTES
            if info.file_size > limit:
                fail(where, f"holds {info.file_size} bytes, more than {limit}.")
            if info.file_size > _SMALL_MEMBER and info.file_size > (
                MAX_COMPRESSION_RATIO * max(info.compress_size, 1)
            ):
                fail(
                    where,
                    f"inflates {info.file_size / max(info.compress_size, 1):.0f} "
                    f"times (more than {MAX_COMPRESSION_RATIO}).",
                )
            self.infos[name] = info
        if len(self.infos) > MAX_NETWORKS + 1:
            fail("the archive", f"holds {len(self.infos)} members.")
        self.used = set()

    def read(self, name, where):
        if name not in self.infos:
            fail(where, f"names the member {name!r}, which the file does not have.")
        if name in self.used:
            fail(where, f"uses the member {name!r} a second time.")
        self.used.add(name)
        info = self.infos[name]
        try:
            with self.archive.open(info) as handle:
                data = handle.read(info.file_size + 1)
        except (
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
            OSError,
            RuntimeError,
            NotImplementedError,
            struct.error,
        ) as exc:
            fail(f"member {name!r}", f"cannot be read ({type(exc).__name__}: {exc}).")
        if len(data) != info.file_size:
            fail(f"member {name!r}", "is not the size the archive says.")
        return data

    def check_all_used(self):
        unused = sorted(set(self.infos) - self.used)
        if unused:
            fail(f"member {unused[0]!r}", "is not used by the model.")


def _read_document(archive, label):
    data = archive.read("model.json", "model.json")
    try:
        document = json.loads(data)
    except RecursionError:
        fail("model.json", "is nested too deeply.")
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, huge ints
        raise ValueError(
            f"{label} is not an sklearn-lipnet model file ({exc})."
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{label} is not an sklearn-lipnet model file.")
    check_keys(document, {"format", "version", "model"}, "model.json")
    version = document["version"]
    if type(version) is not int or version < 1:
        fail("model.json", f"version {describe(version)} is not a format version.")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{label} was written by a newer sklearn-lipnet (format version "
            f"{version}); upgrade to read it."
        )
    return document, version


def _load(source, label, device):
    try:
        zip_file = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, IsADirectoryError, EOFError, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(
            f"{label} is not an sklearn-lipnet model file ({exc})."
        ) from None
    with zip_file:
        archive = _Archive(zip_file, label)
        document, version = _read_document(archive, label)
        tree = document["model"]
        if not isinstance(tree, dict) or "__object__" not in tree:
            fail("model", "the file holds no estimator.")
        model = Decoder(archive, version, device).decode(tree, "model")
        archive.check_all_used()
    return model


def _serialize(model):
    """The bytes of the model file of ``model``."""
    encoder = Encoder()
    tree = encoder.encode(model, "model")
    document = {"format": FORMAT, "version": FORMAT_VERSION, "model": tree}
    members = {"model.json": json.dumps(document).encode()}
    for index, weights in enumerate(encoder.weights):
        members[f"weights_{index}.pt"] = weights
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            compression = zipfile.ZIP_DEFLATED
            if len(data) > _SMALL_MEMBER and len(data) > MAX_COMPRESSION_RATIO * len(
                zlib.compress(data, 1)
            ):
                # Stored as it is, so that load_model's ratio check passes.
                compression = zipfile.ZIP_STORED
            archive.writestr(name, data, compress_type=compression)
    return buffer.getvalue()


def save_model(model, path):
    """Save a fitted model to a file that loads without running code.

    The file is written whole or not at all: to a temporary file beside
    ``path`` that replaces ``path`` only once complete, so an interrupted or
    failed save leaves an existing file at ``path`` as it was. Before that,
    the file is loaded back with every check of :func:`load_model`, so a
    saved model always loads.

    Parameters
    ----------
    model : estimator
        A fitted :class:`~sklearn_lipnet.LipNetClassifier`, or a pipeline of
        sklearn-lipnet steps (``make_lipnet_pipeline``,
        ``make_svm_pipeline``).
    path : str or Path
        Where to write (a zip archive; ``.lipnet`` is a good suffix). Its
        folder must exist.

    Raises
    ------
    ValueError
        If the model holds objects a model file cannot hold, or the file
        would not load back.

    See Also
    --------
    load_model : read it back.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from sklearn_lipnet import LipNetClassifier, save_model, load_model
    >>> X = np.random.default_rng(0).normal(size=(40, 64))
    >>> y = np.repeat(["a", "b"], 20)
    >>> clf = LipNetClassifier(max_epochs=1, random_state=0, device="cpu").fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.lipnet")
    >>> save_model(clf, path)
    >>> np.allclose(load_model(path).predict_proba(X), clf.predict_proba(X))
    True
    """
    data = _serialize(model)
    try:
        _load(io.BytesIO(data), "the model file", "cpu")
    except ValueError as exc:
        raise ValueError(
            f"{type(model).__name__} cannot be saved: the model file would not "
            f"load back ({exc})."
        ) from None
    with atomic_file(path) as handle:
        handle.write(data)


def load_model(path, *, device="auto"):
    """Load a model saved by :func:`save_model`.

    A model file holds data only, and every piece of it is checked before
    any estimator sees it: only the classes sklearn-lipnet allows are
    created, every array has the type, shape and bounds its class needs and
    agrees with the others (the support vectors of an SVM with their
    counts, a network's weights with its layers), and members are read
    within size limits. A model file from elsewhere therefore cannot run
    code or crash the process; anything wrong in it is a ``ValueError``.

    Resource settings are the caller's, not the file's: parallel jobs
    (``n_jobs``) and pipeline caches (``memory``) are reset to their
    defaults (``None``), the SVM's kernel cache to 200 MB, a network goes to
    ``device`` and predicts in batches of at most 256 MB.

    Parameters
    ----------
    path : str or Path
        The model file.
    device : str, default="auto"
        Where LipNet networks run: ``"auto"`` (CUDA when available, else the
        CPU), ``"cpu"`` or ``"cuda"``. It becomes the loaded classifiers'
        ``device``, so a model trained on a GPU loads on a machine without
        one.

    Returns
    -------
    model : estimator

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file is not a model file, is damaged or tampered with, or was
        written by a newer sklearn-lipnet; the message names the file and
        what is wrong with it.

    See Also
    --------
    save_model : write one.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from sklearn_lipnet import make_svm_pipeline, save_model, load_model
    >>> from sklearn_lipnet.datasets import make_liposomes
    >>> table, y = make_liposomes(20, random_state=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "svm.lipnet")
    >>> save_model(make_svm_pipeline(n_jobs=4).fit(table, y), path)
    >>> load_model(path).named_steps["features"].n_jobs is None
    True
    """
    resolve_load_device(device)
    label = str(path)
    if isinstance(path, (str, os.PathLike)) and os.path.isfile(path):
        if os.path.getsize(path) > MAX_FILE_BYTES:
            raise ValueError(f"{label} is larger than a model file may be.")
    try:
        return _load(path, label, device)
    except InvalidModelFile as exc:
        raise ValueError(f"{label} is not a valid model file: {exc}") from None
    except (
        KeyError,
        IndexError,
        TypeError,
        AttributeError,
        RuntimeError,
        RecursionError,
        OverflowError,
        pickle.UnpicklingError,
        EOFError,
        zlib.error,
        struct.error,
    ) as exc:  # a check we lack; the file is still only data
        raise ValueError(
            f"{label} is not a valid model file ({type(exc).__name__}: {exc})."
        ) from None
