# expect: full
# why: Written like the course page: torch.nn.Module, super(Class, self).__init__(), torch.unsqueeze, torch.mean, noise drawn from y.shape.
import torch
import torch.nn.functional as F


def create_linear_dataset(n_data: int = 100, a: float = -1.0, b: float = 5, scale: int = 15) -> torch.tensor:
    # Generate random data as inputs
    x = torch.rand(n_data, 1) * scale  # n_data random numbers scaled between 0 and scale

    # Calculate corresponding y values
    y = a * x + b

    # We center the data by using the mean of all values
    return x - torch.mean(x), y - torch.mean(y)


def create_noisy_dataset(n_data: int = 100, a: float = -1.0, b: float = 5, scale: int = 15) -> torch.tensor:
    x = torch.rand(n_data, 1) * scale
    y = a * x + b

    # Add some noise
    noise = torch.randn(y.shape) * 2  # Gaussian noise with standard deviation of 2
    y = y + noise

    return x - torch.mean(x), y - torch.mean(y)


def create_pow_dataset(n_data: int = 100, a: float = 2, b: float = 0.2) -> torch.tensor:
    # n_data evenly spaced points from -1 to 1
    x = torch.unsqueeze(torch.linspace(-1, 1, n_data), dim=1)

    # Pow function with added noise
    y = x.pow(a) + b * torch.rand(x.size())

    # Center the data
    return x - torch.mean(x), y - torch.mean(y)


class LinearNet(torch.nn.Module):
    """
    A simple 1 layer neural network with no activations
    """

    def __init__(self, n_feature: int, n_output: int):
        super(LinearNet, self).__init__()

        # Create a linear layer
        self.hidden = torch.nn.Linear(n_feature, n_output)

    def forward(self, x: torch.tensor):
        # Use the linear layer
        x = self.hidden(x)

        return x


class MLPNet(torch.nn.Module):
    def __init__(self, n_feature, n_hidden, n_output):
        super(MLPNet, self).__init__()
        # We add a hidden layer
        self.hidden = torch.nn.Linear(n_feature, n_hidden)
        # output layer
        self.predict = torch.nn.Linear(n_hidden, n_output)

    def forward(self, x):
        # Non-linear activation at the output of the hidden layer
        x = F.relu(self.hidden(x))
        x = self.predict(x)
        return x


def train(net, x, y, num_steps, lr):
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss_func = torch.nn.MSELoss()
    losses = []
    for t in range(num_steps):
        # Compute predictions
        prediction = net(x)

        # Compare with the targets
        loss = loss_func(prediction, y)

        # Clear the gradients of the previous step
        optimizer.zero_grad()
        # Backpropagation
        loss.backward()
        # One step of SGD
        optimizer.step()

        losses.append(loss.item())
    return losses
