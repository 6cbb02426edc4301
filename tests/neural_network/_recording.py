"""What the network sees during a fit: batches recorded by a skorch callback."""

import numpy as np
import torch
from skorch.callbacks import Callback


class BatchRecorder(Callback):
    """Keeps every batch the net is given, per epoch and phase.

    ``epochs[e][True]`` holds the training batches of epoch ``e`` and
    ``epochs[e][False]`` its validation batches, each as ``(X, y)`` tensors
    exactly as they reach the module.
    """

    def initialize(self):
        self.epochs = []
        return self

    def on_epoch_begin(self, net, **kwargs):
        self.epochs.append({True: [], False: []})

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        self.epochs[-1][training].append((batch[0].clone(), batch[1].clone()))

    def images(self, training, epoch=None):
        """Images of one phase, of one epoch or of all, as one tensor."""
        epochs = self.epochs if epoch is None else [self.epochs[epoch]]
        return torch.cat([xb for e in epochs for xb, _ in e[training]])

    def labels(self, training, epoch=None):
        """Class codes of one phase, of one epoch or of all, as one tensor."""
        epochs = self.epochs if epoch is None else [self.epochs[epoch]]
        return torch.cat([yb for e in epochs for _, yb in e[training]])


def standardised(X, side=28):
    """The image matrix ``X`` as ``LipNetClassifier`` feeds it to the network.

    One mean and one standard deviation over the whole training matrix, for
    images that already have the network's input size.
    """
    X = np.asarray(X, dtype=np.float64)
    return torch.from_numpy(
        ((X - X.mean()) / X.std()).reshape(len(X), 1, side, side).astype(np.float32)
    )


def source_rows(images, X_standardised):
    """For each image, the row of ``X_standardised`` it is, and how far off.

    Returns ``(rows, distances)``: the nearest row by largest absolute pixel
    difference, and that difference (0 for an untouched image).
    """
    flat = X_standardised.flatten(1)
    distances = torch.cdist(images.flatten(1), flat, p=float("inf"))
    nearest = distances.min(dim=1)
    return nearest.indices.numpy(), nearest.values.numpy()
