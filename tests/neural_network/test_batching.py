import numpy as np
import torch

from sklearn_lipnet.neural_network._batching import (
    EpochBatches,
    TensorDataset,
    epoch_indices,
)

Y = np.array([0] * 50 + [1] * 10 + [2] * 3)


def test_oversampling_matches_the_majority_and_keeps_every_sample():
    indices = epoch_indices(Y, "oversample", torch.Generator().manual_seed(0))
    counts = np.bincount(Y[indices.numpy()])
    assert counts.tolist() == [50, 50, 50]
    assert set(indices.tolist()) == set(range(len(Y)))


def test_oversampling_draws_the_repeats_at_random():
    generator = torch.Generator().manual_seed(0)
    minority = np.flatnonzero(Y == 2)  # 3 samples, oversampled to 50
    epochs = [epoch_indices(Y, "oversample", generator).numpy() for _ in range(200)]
    repeats = np.array([np.bincount(e, minlength=len(Y))[minority] for e in epochs])
    # Each minority sample is drawn equally often on average ...
    np.testing.assert_allclose(repeats.mean(axis=0), 50 / 3, rtol=0.06)
    # ... but how often varies from epoch to epoch: no fixed cycle.
    assert (repeats.std(axis=0) > 2).all()
    # The classes are mixed, not served one after the other.
    first_batch = Y[epochs[0][:16]]
    assert len(set(first_batch.tolist())) > 1


def test_undersampling_drops_a_fifth_of_the_majority_each_epoch():
    generator = torch.Generator().manual_seed(0)
    first = epoch_indices(Y, "undersample", generator)
    second = epoch_indices(Y, "undersample", generator)
    assert np.bincount(Y[first.numpy()]).tolist() == [40, 10, 3]
    majority_first = {i for i in first.tolist() if Y[i] == 0}
    majority_second = {i for i in second.tolist() if Y[i] == 0}
    assert majority_first != majority_second  # re-drawn every epoch


def test_no_balance_is_a_permutation():
    indices = epoch_indices(Y, None, torch.Generator().manual_seed(0))
    assert sorted(indices.tolist()) == list(range(len(Y)))
    assert indices.tolist() != list(range(len(Y)))


def test_prediction_batches_are_in_order_and_untouched():
    X = torch.arange(10, dtype=torch.float32).view(10, 1, 1, 1)
    batches = list(EpochBatches(TensorDataset(X), batch_size=4, training=False))
    assert [len(xb) for xb, _ in batches] == [4, 4, 2]
    assert torch.equal(torch.cat([xb for xb, _ in batches]), X)


def test_training_batches_follow_the_epoch_indices():
    X = torch.arange(len(Y), dtype=torch.float32).view(-1, 1, 1, 1)
    batches = EpochBatches(
        TensorDataset(X, Y.astype(np.int64)),
        batch_size=16,
        training=True,
        balance="oversample",
        sampling_generator=torch.Generator().manual_seed(0),
    )
    seen_x, seen_y = [], []
    for xb, yb in batches:
        seen_x.append(xb.flatten().long())
        seen_y.append(yb)
    seen_x, seen_y = torch.cat(seen_x), torch.cat(seen_y)
    # labels travel with their images
    assert np.array_equal(Y[seen_x.numpy()], seen_y.numpy())
    assert np.bincount(seen_y.numpy()).tolist() == [50, 50, 50]


def test_a_lone_trailing_training_sample_is_left_for_the_next_epoch():
    X = torch.zeros(9, 1, 1, 1)
    y = np.zeros(9, dtype=np.int64)
    batches = EpochBatches(
        TensorDataset(X, y),
        batch_size=4,
        training=True,
        sampling_generator=torch.Generator().manual_seed(0),
    )
    assert [len(xb) for xb, _ in batches] == [4, 4]
