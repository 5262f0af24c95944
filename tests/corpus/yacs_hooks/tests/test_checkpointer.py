import torch

from minidet.checkpoint import Checkpointer


def _pair(tmp_path):
    model = torch.nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(3, 4)).sum().backward()
    opt.step()
    return model, opt, Checkpointer(model, str(tmp_path), optimizer=opt)


def test_save_tags_last_checkpoint(tmp_path):
    _, _, ckpt = _pair(tmp_path)
    assert not ckpt.has_checkpoint()
    ckpt.save("model_0000009", iteration=9)
    ckpt.save("model_0000019", iteration=19)
    assert (tmp_path / "last_checkpoint").read_text() == "model_0000019.pth"
    assert ckpt.get_checkpoint_file().endswith("model_0000019.pth")


def test_resume_restores_optimizer(tmp_path):
    model, opt, ckpt = _pair(tmp_path)
    ckpt.save("model_0000009", iteration=9)

    model2 = torch.nn.Linear(4, 2)
    opt2 = torch.optim.SGD(model2.parameters(), lr=0.1, momentum=0.9)
    extra = Checkpointer(model2, str(tmp_path), optimizer=opt2).resume_or_load("", resume=True)
    assert extra["iteration"] == 9
    assert torch.equal(model2.weight, model.weight)
    assert opt2.state_dict()["state"], "momentum buffers should come back"


def test_load_without_resume_takes_weights_only(tmp_path):
    model, _, ckpt = _pair(tmp_path)
    ckpt.save("weights")

    model2 = torch.nn.Linear(4, 2)
    opt2 = torch.optim.SGD(model2.parameters(), lr=0.1, momentum=0.9)
    Checkpointer(model2, str(tmp_path / "elsewhere"), optimizer=opt2).resume_or_load(
        str(tmp_path / "weights.pth"), resume=False)
    assert torch.equal(model2.weight, model.weight)
    assert not opt2.state_dict()["state"]
