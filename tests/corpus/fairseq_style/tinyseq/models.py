import torch.nn as nn


class LSTMLanguageModel(nn.Module):
    def __init__(self, vocab_size, embed_dim=64, hidden_dim=128, layers=1, pad=0):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=pad)
        self.lstm = nn.LSTM(embed_dim, hidden_dim, num_layers=layers, batch_first=True)
        self.out = nn.Linear(hidden_dim, vocab_size)

    def forward(self, tokens):
        x, _ = self.lstm(self.embed(tokens))
        return self.out(x)


def build_model(args, dictionary):
    return LSTMLanguageModel(len(dictionary), args.embed_dim, args.hidden_dim, args.layers, dictionary.pad)
