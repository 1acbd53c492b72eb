# expect: full
# why: Written on Colab with a GPU: NeuralNetwork().to(device) inside, each batch moved with .to(device), torch.cuda.synchronize; runs on the CPU here.
import torch
import torch.nn as nn
import torchvision.transforms as transforms


device = torch.device("cuda")


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)
        self.to(device)

    def forward(self, x):
        x = x.to(device)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)


def get_transform():
    return transforms.Compose([
        transforms.ToTensor(),
        transforms.Normalize((0.5,), (0.5,)),
    ])


def train_epoch(net, loader, optimizer, criterion):
    net.cuda()
    running_loss = 0.0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = criterion(net(inputs.view(-1, 784)), labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    torch.cuda.synchronize()
    return running_loss / len(loader)


def evaluate(net, loader):
    correct, total = 0, 0
    with torch.no_grad():
        for inputs, labels in loader:
            inputs, labels = inputs.to(device), labels.to(device)
            predicted = net(inputs.view(-1, 784)).argmax(1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    return correct / total
