import pytest

torch = pytest.importorskip("torch")

from shapes import CLASSES, Shapes, draw  # noqa: E402


def test_same_seed_same_images():
    a, b = Shapes(8, seed=5), Shapes(8, seed=5)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)


@pytest.mark.parametrize("kind", CLASSES)
def test_every_shape_has_ink(kind):
    img = draw(kind, generator=torch.Generator().manual_seed(0))
    assert img.shape == (1, 16, 16)
    assert (img > 0.5).sum() >= 6
