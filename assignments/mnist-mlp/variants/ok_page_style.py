# expect: full
# why: The page's code: the transform, data sets and loaders built at top level with download=True, get_transform returning that module-level transform, the page's loops (printing every 200 batches) moved into train_epoch and evaluate, and top-level training that must never run.
import torch
import torch.nn as nn
import torch.optim as optim
import torchvision
import torchvision.transforms as transforms


class NeuralNetwork(nn.Module):
    def __init__(self):
        super(NeuralNetwork, self).__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        x = self.fc3(x)
        return x


transform = transforms.Compose([
    transforms.ToTensor(), # Converts PIL image or numpy array to Tensor
    transforms.Normalize((0.5,), (0.5,)) # Normalize the image data
])

trainset = torchvision.datasets.MNIST(root='./data', train=True, download=True, transform=transform)
trainloader = torch.utils.data.DataLoader(trainset, batch_size=64, shuffle=True)

testset = torchvision.datasets.MNIST(root='./data', train=False, download=True, transform=transform)
testloader = torch.utils.data.DataLoader(testset, batch_size=64, shuffle=False)


def get_transform():
    return transform


def train_epoch(net, loader, optimizer, criterion):
    running_loss = 0.0
    epoch_loss = 0.0
    for i, data in enumerate(loader, 0):
        inputs, labels = data
        optimizer.zero_grad()
        outputs = net(inputs.view(-1, 784))
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()

        running_loss += loss.item()
        epoch_loss += loss.item()
        if i % 200 == 199:
            print(f"[Batch {i+1}] Loss: {running_loss / 200:.3f}")
            running_loss = 0.0
    return epoch_loss / len(loader)


def evaluate(net, loader):
    correct = 0
    total = 0

    with torch.no_grad():
        for data in loader:
            inputs, labels = data
            outputs = net(inputs.view(-1, 784))
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()

    accuracy = correct / total
    print(f"Test Accuracy: {accuracy*100:.2f}%")
    return accuracy


net = NeuralNetwork()
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)

for epoch in range(10):
    train_epoch(net, trainloader, optimizer, criterion)
evaluate(net, testloader)
