# expect: full
# why: NeuralNetwork is an nn.Sequential behind nn.Flatten, so its forward also takes (B, 1, 28, 28) images; transforms v2; train_epoch flattens with view(B, -1) and keeps a list of losses; evaluate counts with argmax and eq.
import torch
from torch import nn
from torchvision.transforms import v2


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Flatten(),
            nn.Linear(28 * 28, 128), nn.ReLU(),
            nn.Linear(128, 64), nn.ReLU(),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        return self.layers(x)


def get_transform():
    return v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True), v2.Normalize(mean=[0.5], std=[0.5])])


def train_epoch(net, loader, optimizer, criterion):
    net.train()
    losses = []
    for images, labels in loader:
        logits = net(images.view(images.size(0), -1))
        loss = criterion(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return sum(losses) / len(losses)


@torch.no_grad()
def evaluate(net, loader):
    net.eval()
    hits, seen = 0, 0
    for images, labels in loader:
        hits += int(net(images.flatten(start_dim=1)).argmax(dim=1).eq(labels).sum())
        seen += len(labels)
    return hits / seen
