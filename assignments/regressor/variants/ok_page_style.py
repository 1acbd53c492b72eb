# expect: full
# why: Written like the page: numpy draws turned into tensors with torch.Tensor, torch.nn spelled out, super(Class, self), the page's loss argument order and model.eval(), top-level demo code.
import numpy as np
import torch


def make_data(n=100):
    # column 1
    mu1, sig1 = 0, 0.1
    x1 = np.random.normal(mu1, sig1, (n))
    x1 = x1.reshape(n, 1)
    # column 2
    mu2, sig2 = 1, 1.2
    x2 = np.random.normal(mu2, sig2, (n))
    x2 = x2.reshape(n, 1)
    x = np.concatenate((x1, x2), axis=1)
    y = np.sin(x1) + np.power(x2, 2)
    return torch.Tensor(x), torch.Tensor(y)


class NaiveRegressor(torch.nn.Module):
    def __init__(self):
        super(NaiveRegressor, self).__init__()
        self.layer1 = torch.nn.Linear(2, 20)
        self.act1 = torch.nn.ReLU()
        self.layer2 = torch.nn.Linear(20, 20)
        self.act2 = torch.nn.ReLU()
        self.out = torch.nn.Linear(20, 1)
        torch.nn.init.xavier_uniform_(self.layer1.weight)
        torch.nn.init.zeros_(self.layer1.bias)
        torch.nn.init.xavier_uniform_(self.layer2.weight)
        torch.nn.init.zeros_(self.layer2.bias)
        torch.nn.init.xavier_uniform_(self.out.weight)
        torch.nn.init.zeros_(self.out.bias)

    def forward(self, x):
        x = self.layer1(x)
        x = self.act1(x)
        x = self.layer2(x)
        x = self.act2(x)
        x = self.out(x)
        return x


def count_parameters(model):
    total = 0
    for p in model.parameters():
        if p.requires_grad:
            total += p.numel()
    return total


def train(model, x, y, n_epochs=500, lr=0.001):
    mse_loss = torch.nn.MSELoss()
    optim = torch.optim.SGD(model.parameters(), lr=lr)
    model.eval()
    errors = []
    for i in range(n_epochs):
        # forward pass
        l = model(x)
        # loss
        J = mse_loss(y, l)
        # clear the gradients
        optim.zero_grad()
        # compute grad
        J.backward()
        # step
        optim.step()
        if i % 100 == 0:
            print("current epoch {} and error value {}".format(i, J.item()))
        errors.append(J.item())
    return errors


xt, yt = make_data()
model = NaiveRegressor()
print(count_parameters(model))
history = train(model, xt, yt, n_epochs=5000)
print(model(xt[0]).detach())
