from torch import nn

from dataset import FRAMES


class TinyTokenizer(nn.Module):
    """Encodes a clip (frames as channels) to a 4x4 code grid and decodes it back."""

    def __init__(self, code_dim=8):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(FRAMES, 16, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(16, code_dim, 3, stride=2, padding=1),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(code_dim, 16, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(16, FRAMES, 4, stride=2, padding=1),
        )

    def forward(self, clip):
        return self.decoder(self.encoder(clip))
