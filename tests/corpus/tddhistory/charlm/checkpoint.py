"""What a checkpoint holds, written and read in one place."""
import torch


def save_checkpoint(path, model, opt, it, gen, settings):
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "iter_num": it,
                "gen_state": gen.get_state(), "settings": vars(settings)}, path)


def restore_checkpoint(path, model, opt, gen):
    """Load weights, optimizer and data-order state; returns the iteration to continue from."""
    ckpt = torch.load(path, weights_only=False)
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
    gen.set_state(ckpt["gen_state"])
    return ckpt["iter_num"]
