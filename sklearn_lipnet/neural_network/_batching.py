"""Mini-batches sliced from device-resident tensors, rebalanced every epoch.

The training data live as one tensor on the training device. Each epoch draws
a new index set (oversampled or undersampled per class, then shuffled), and
each batch is one ``index_select`` plus, when training, one batched random
affine warp: no per-sample Python, no ``DataLoader`` workers, no host-device
copies inside the epoch.
"""

import numpy as np
import torch
from skorch.dataset import Dataset

__all__ = ["BALANCE_STRATEGIES", "TensorDataset", "EpochBatches"]

#: Fraction of the majority class left out of each epoch by
#: ``balance="undersample"`` (thesis section 4.8.2).
UNDERSAMPLE_FRACTION = 0.2

BALANCE_STRATEGIES = ("oversample", "undersample", "class_weight", None)


class TensorDataset(Dataset):
    """A skorch ``Dataset`` holding ``X`` as one tensor and ``y`` as codes.

    ``X`` is a float tensor ``(n, ...)`` already on the training device;
    ``y`` is ``None`` or an int64 numpy array of class codes (kept in numpy
    because skorch's scorers read it), mirrored as a device tensor for the
    batches.
    """

    def __init__(self, X, y=None):
        self.X = X
        self.y = y
        self.y_tensor = None if y is None else torch.as_tensor(y, device=X.device)
        self._len = len(X)

    def __len__(self):
        return self._len

    def __getitem__(self, i):
        # Only reached by code that bypasses EpochBatches (e.g. a user's own
        # iterator); the training loop slices whole batches instead.
        return self.X[i], (self.y_tensor[i] if self.y is not None else 0)

    def subset(self, indices):
        indices = np.asarray(indices)
        index = torch.as_tensor(indices, device=self.X.device)
        y = None if self.y is None else self.y[indices]
        return TensorDataset(self.X.index_select(0, index), y)


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
        return indices.to(self.dataset.X.device)

    def __iter__(self):
        X, y = self.dataset.X, self.dataset.y_tensor
        indices = self._indices()
        n = len(X) if indices is None else len(indices)
        batch_size = n if self.batch_size == -1 else self.batch_size
        theta = None
        if indices is not None and self.augmentation is not None and X.dim() == 4:
            # One draw for the whole epoch: a handful of kernel launches
            # instead of a handful per batch.
            theta = self.augmentation.random_matrices(
                n, self.augmentation_generator, X.device
            )
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            if indices is None:
                Xb = X[start:stop]
                yb = None if y is None else y[start:stop]
            else:
                if stop - start == 1 < batch_size and start > 0:
                    # A lone trailing sample breaks batch normalisation and
                    # adds a noisy step; the epoch's reshuffle covers it.
                    # (With batch_size=1 every batch is one sample: keep all.)
                    break
                batch = indices[start:stop]
                Xb = X.index_select(0, batch)
                yb = None if y is None else y.index_select(0, batch)
                if theta is not None:
                    Xb = self.augmentation.warp(Xb, theta[start:stop])
            yield Xb, yb
