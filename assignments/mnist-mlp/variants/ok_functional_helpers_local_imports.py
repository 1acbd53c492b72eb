# expect: full
# why: F.relu in forward, a lambda transform built from torchvision's functional API, imports inside functions, helper functions, evaluate under torch.inference_mode().
import torch


class NeuralNetwork(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden1 = torch.nn.Linear(784, 128)
        self.hidden2 = torch.nn.Linear(128, 64)
        self.output = torch.nn.Linear(64, 10)

    def forward(self, x):
        import torch.nn.functional as F

        return self.output(F.relu(self.hidden2(F.relu(self.hidden1(x)))))


def get_transform():
    import torchvision.transforms.functional as TF

    return lambda image: TF.normalize(TF.to_tensor(image), [0.5], [0.5])


def _flat(images):
    return images.reshape(-1, 784)


def _step(net, images, labels, optimizer, criterion):
    optimizer.zero_grad()
    loss = criterion(net(_flat(images)), labels)
    loss.backward()
    optimizer.step()
    return loss.item()


def train_epoch(net, loader, optimizer, criterion):
    losses = [_step(net, images, labels, optimizer, criterion) for images, labels in loader]
    return float(sum(losses) / len(losses))


def _correct(net, images, labels):
    return (net(_flat(images)).argmax(1) == labels).sum().item()


def evaluate(net, loader):
    with torch.inference_mode():
        correct = sum(_correct(net, images, labels) for images, labels in loader)
    return correct / len(loader.dataset)
