# expect: train_epoch/test_train_epoch_returns_a_float
# why: Correct steps; returns the mean loss as a one-element numpy array: a format slip, only the format test is lost.
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
    losses = []
    for inputs, labels in loader:
        optimizer.zero_grad()
        loss = criterion(net(inputs.view(-1, 784)), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return np.array([np.mean(losses)])


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
