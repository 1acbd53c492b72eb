# expect: full
# why: train_epoch returns np.mean of the batch losses, a numpy.float64: that is a float, for the format test too.
import numpy as np
import torch
import torch.nn as nn
import torchvision.transforms as transforms


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        x = self.fc3(x)
        return x


def get_transform():
    return transforms.Compose([
        transforms.ToTensor(),
        transforms.Normalize((0.5,), (0.5,)),
    ])


def train_epoch(net, loader, optimizer, criterion):
    torch.cuda.manual_seed_all(0)
    losses = []
    for inputs, labels in loader:
        optimizer.zero_grad()
        loss = criterion(net(inputs.view(-1, 784)), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return np.mean(losses)


def evaluate(net, loader):
    correct = 0
    total = 0
    with torch.no_grad():
        for inputs, labels in loader:
            outputs = net(inputs.view(-1, 784))
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    return correct / total
