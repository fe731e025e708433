"""The book's headline run on the full MNIST (skipped where the full data is absent)."""

from handnet.mnist import load_data_arrays
from handnet_ref.network import Network
from handnet_ref.training import train_matrix


def test_book_network_reaches_the_books_accuracy(full_mnist_dir):
    """[784, 30, 10], 30 epochs, mini-batch 10, eta 3.0, seed 0: best test accuracy >= 94.5%?

    The book reports 95.42% (best of three runs); this machine measured 95.0-95.3% for
    three seeds.
    """
    mnist = load_data_arrays(full_mnist_dir, verbose=False)
    assert mnist.source.full
    net = Network([784, 30, 10], rng=0)
    history = train_matrix(
        net, mnist.training, 30, 10, 3.0, test_data=mnist.test, rng=0, progress=False
    )
    print(f"best test accuracy {history.best_accuracy:.2%} at epoch {history.best_epoch}")
    assert history.epochs == 30
    assert history.best_accuracy >= 0.945
