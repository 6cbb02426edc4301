"""Mini-batches sliced from device-resident tensors, rebalanced every epoch.

The training data live as one tensor on the training device. Each epoch draws
a new index set (oversampled or undersampled per class, then shuffled), and
each batch is one ``index_select`` plus, when training, one batched random
affine warp: no per-sample Python, no ``DataLoader`` workers, no host-device
copies inside the epoch.

``X`` is one tensor, or a dict of tensors with one row per sample each (the
hybrid network's ``{"image": ..., "features": ...}``); the network is then
called with the dict's entries as keyword arguments, and only the 4-D
``"image"`` entry is augmented.
"""

import numpy as np
import torch
from skorch.dataset import Dataset

__all__ = [
    "BALANCE_STRATEGIES",
    "EpochBatches",
    "TensorDataset",
    "n_rows",
    "slice_rows",
    "take_rows",
]

#: Fraction of the majority class left out of each epoch by
#: ``balance="undersample"`` (thesis section 4.8.2).
UNDERSAMPLE_FRACTION = 0.2

BALANCE_STRATEGIES = ("oversample", "undersample", "class_weight", None)

#: The entry of a dict ``X`` that holds the images (the one augmented).
IMAGE_KEY = "image"


def n_rows(X):
    """Number of samples in a tensor or a dict of tensors."""
    if isinstance(X, dict):
        return len(next(iter(X.values())))
    return len(X)


def slice_rows(X, start, stop):
    """Rows ``start:stop`` of a tensor or of every tensor of a dict."""
    if isinstance(X, dict):
        return {key: value[start:stop] for key, value in X.items()}
    return X[start:stop]


def take_rows(X, index):
    """Rows ``index`` (a LongTensor on the data's device) of ``X``."""
    if isinstance(X, dict):
        return {key: value.index_select(0, index) for key, value in X.items()}
    return X.index_select(0, index)


def _device(X):
    return next(iter(X.values())).device if isinstance(X, dict) else X.device


def _images(X):
    """The 4-D image tensor of ``X`` that augmentation applies to, or None."""
    images = X.get(IMAGE_KEY) if isinstance(X, dict) else X
    return images if images is not None and images.dim() == 4 else None


def _with_images(X, images):
    return {**X, IMAGE_KEY: images} if isinstance(X, dict) else images


class TensorDataset(Dataset):
    """A skorch ``Dataset`` holding ``X`` as one tensor and ``y`` as codes.

    ``X`` is a float tensor ``(n, ...)`` (or a dict of such tensors)
    already on the training device; ``y`` is ``None`` or an int64 numpy
    array of class codes (kept in numpy because skorch's scorers read it),
    mirrored as a device tensor for the batches.
    """

    def __init__(self, X, y=None):
        self.X = X
        self.y = y
        self.y_tensor = None if y is None else torch.as_tensor(y, device=_device(X))
        self._len = n_rows(X)

    def __len__(self):
        return self._len

    def __getitem__(self, i):
        # Only reached by code that bypasses EpochBatches (e.g. a user's own
        # iterator); the training loop slices whole batches instead.
        if isinstance(self.X, dict):
            X = {key: value[i] for key, value in self.X.items()}
        else:
            X = self.X[i]
        return X, (self.y_tensor[i] if self.y is not None else 0)

    def subset(self, indices):
        indices = np.asarray(indices)
        index = torch.as_tensor(indices, device=_device(self.X))
        y = None if self.y is None else self.y[indices]
        return TensorDataset(take_rows(self.X, index), y)


def epoch_indices(y, balance, generator):
    """Indices of one training epoch, rebalanced and shuffled.

    Parameters
    ----------
    y : ndarray of int64
        Class codes of the training samples.
    balance : {"oversample", "undersample", "class_weight", None}
        ``"oversample"`` repeats randomly drawn samples of every class until
        it has as many as the majority class; ``"undersample"`` leaves out a
        random 20 % of the majority class; the others use every sample once.
    generator : torch.Generator
        CPU generator all draws come from.

    Returns
    -------
    indices : torch.LongTensor
    """
    n = len(y)
    if balance not in ("oversample", "undersample"):
        return torch.randperm(n, generator=generator)
    counts = np.bincount(y)
    order = np.argsort(y, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    majority = int(np.argmax(counts))
    parts = []
    for code, (start, count) in enumerate(zip(starts, counts)):
        if count == 0:
            continue
        members = torch.as_tensor(order[start : start + count])
        if balance == "oversample":
            extra = counts[majority] - count
            parts.append(members)
            if extra:
                draw = torch.randint(count, (extra,), generator=generator)
                parts.append(members[draw])
        elif code == majority:
            keep = count - int(round(UNDERSAMPLE_FRACTION * count))
            parts.append(members[torch.randperm(count, generator=generator)[:keep]])
        else:
            parts.append(members)
    indices = torch.cat(parts)
    return indices[torch.randperm(len(indices), generator=generator)]


class EpochBatches:
    """Iterable over the mini-batches of a :class:`TensorDataset`.

    Parameters
    ----------
    dataset : TensorDataset
    batch_size : int
    training : bool
        Training batches are rebalanced, shuffled and augmented; the others
        come in order, untouched.
    balance : str or None
        See :func:`epoch_indices`.
    augmentation : Augmentation or None
        Applied to every training batch.
    sampling_generator : torch.Generator
        CPU generator for the epoch's indices.
    augmentation_generator : torch.Generator
        Generator on the data's device for the augmentation parameters.
    """

    def __init__(
        self,
        dataset,
        batch_size,
        training=False,
        balance=None,
        augmentation=None,
        sampling_generator=None,
        augmentation_generator=None,
    ):
        self.dataset = dataset
        self.batch_size = batch_size
        self.training = training
        self.balance = balance
        self.augmentation = augmentation
        self.sampling_generator = sampling_generator
        self.augmentation_generator = augmentation_generator

    def _indices(self):
        if not self.training:
            return None
        y = self.dataset.y
        if y is None:
            indices = torch.randperm(
                len(self.dataset), generator=self.sampling_generator
            )
        else:
            indices = epoch_indices(y, self.balance, self.sampling_generator)
        return indices.to(_device(self.dataset.X))

    def __iter__(self):
        X, y = self.dataset.X, self.dataset.y_tensor
        indices = self._indices()
        n = n_rows(X) if indices is None else len(indices)
        batch_size = n if self.batch_size == -1 else self.batch_size
        draw = None
        images = _images(X)
        if indices is not None and self.augmentation is not None and images is not None:
            # One draw for the whole epoch: a handful of kernel launches
            # instead of a handful per batch.
            draw = self.augmentation.draw(n, self.augmentation_generator, images.device)
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            if indices is None:
                Xb = slice_rows(X, start, stop)
                yb = None if y is None else y[start:stop]
            else:
                if stop - start == 1 < batch_size and start > 0:
                    # A lone trailing sample breaks batch normalisation and
                    # adds a noisy step; the epoch's reshuffle covers it.
                    # (With batch_size=1 every batch is one sample: keep all.)
                    break
                batch = indices[start:stop]
                Xb = take_rows(X, batch)
                yb = None if y is None else y.index_select(0, batch)
                if draw is not None:
                    augmented = self.augmentation.apply(
                        _images(Xb),
                        draw.rows(start, stop),
                        self.augmentation_generator,
                    )
                    Xb = _with_images(Xb, augmented)
            yield Xb, yb
