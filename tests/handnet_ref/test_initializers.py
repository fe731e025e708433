import numpy as np

from handnet_ref.initializers import as_rng, large_weights, scaled_weights


def test_large_weights_are_standard_normal():
    """Do N(0, 1) weights have mean ~0 and standard deviation ~1?"""
    weights, biases = large_weights([784, 100, 10], rng=0)
    w = weights[0]
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01
    assert abs(np.concatenate([b.ravel() for b in biases]).std() - 1) < 0.2


def test_scaled_weights_have_variance_one_over_n_in():
    """Do the chapter-3 weights have standard deviation 1/sqrt(n_in) per layer?"""
    weights, biases = scaled_weights([784, 100, 10], rng=0)
    assert abs(weights[0].std() * np.sqrt(784) - 1) < 0.01
    assert abs(weights[1].std() * np.sqrt(100) - 1) < 0.1
    assert abs(np.concatenate([b.ravel() for b in biases]).std() - 1) < 0.2


def test_scaled_weights_keep_hidden_neurons_out_of_saturation():
    """On 784 inputs half of them on, is z's spread ~1 (scaled) against ~20 (large)?"""
    x = np.zeros((784, 1))
    x[:392] = 1.0
    z_large = large_weights([784, 1000], rng=1)[0][0] @ x
    z_scaled = scaled_weights([784, 1000], rng=1)[0][0] @ x
    assert 15 < z_large.std() < 25
    assert 0.6 < z_scaled.std() < 0.8


def test_as_rng_accepts_seeds_and_generators():
    """Does as_rng pass a Generator through and make equal streams from equal seeds?"""
    g = np.random.default_rng(3)
    assert as_rng(g) is g
    assert as_rng(5).random() == as_rng(5).random()
