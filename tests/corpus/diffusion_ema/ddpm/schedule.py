import torch


class LinearSchedule:
    """Linear beta schedule (Ho et al. 2020) and the closed-form forward process q(x_t | x_0)."""

    def __init__(self, timesteps=200, beta_start=1e-4, beta_end=2e-2):
        self.timesteps = timesteps
        self.betas = torch.linspace(beta_start, beta_end, timesteps)
        self.alphas = 1.0 - self.betas
        self.alpha_bars = torch.cumprod(self.alphas, dim=0)

    def q_sample(self, x0, t, noise):
        a_bar = self.alpha_bars[t].view(-1, 1, 1, 1)
        return a_bar.sqrt() * x0 + (1.0 - a_bar).sqrt() * noise

    @torch.no_grad()
    def p_sample_loop(self, model, shape, generator=None):
        x = torch.randn(shape, generator=generator)
        for i in reversed(range(self.timesteps)):
            t = torch.full((shape[0],), i, dtype=torch.long)
            eps = model(x, t)
            alpha, a_bar, beta = self.alphas[i], self.alpha_bars[i], self.betas[i]
            mean = (x - beta / (1.0 - a_bar).sqrt() * eps) / alpha.sqrt()
            if i > 0:
                x = mean + beta.sqrt() * torch.randn(shape, generator=generator)
            else:
                x = mean
        return x.clamp(-1.0, 1.0)
