# expect: evaluate
# why: Averages the accuracy of each batch: wrong when the last batch is smaller than the others.
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
    running_loss = 0.0
    for inputs, labels in loader:
        optimizer.zero_grad()
        outputs = net(inputs.view(-1, 784))
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    return running_loss / len(loader)


def evaluate(net, loader):
    accuracies = []
    with torch.no_grad():
        for inputs, labels in loader:
            predicted = net(inputs.view(-1, 784)).argmax(1)
            accuracies.append((predicted == labels).float().mean().item())
    return sum(accuracies) / len(accuracies)
