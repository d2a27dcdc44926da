"""PyTorch peer for `npm run bench -- train`: the same models, shapes, batch size and optimizer
as the TF.js side, on synthetic inputs, one CPU thread by default (TF.js on WASM runs one thread).
Prints one JSON object: samples/s per model."""
import json
import sys
import time

import torch
from torch import nn

args = json.loads(sys.argv[1])
torch.set_num_threads(args.get("threads", 1))
torch.manual_seed(0)
batch = args["batchSize"]
seconds = args["seconds"]


def mlp():
    return nn.Sequential(nn.Linear(30, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 2))


def lenet5():
    # Same shapes as the TF.js built-in 'lenet5' (NHWC there, NCHW here).
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(16, 120, 5), nn.Tanh(), nn.Flatten(),
        nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10),
    )


def measure(model, shape, classes):
    n = 4096
    x = torch.randn(n, *shape)
    y = torch.randint(0, classes, (n,))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()

    def step(i):
        s = (i * batch) % (n - batch)
        opt.zero_grad()
        loss = loss_fn(model(x[s:s + batch]), y[s:s + batch])
        loss.backward()
        opt.step()

    for i in range(20):
        step(i)
    steps, start, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        step(steps)
        steps += 1
    # Per CPU-second (the comparable figure on a loaded machine) and per wall-second.
    return steps * batch / (time.process_time() - cpu), steps * batch / (time.perf_counter() - start)


mlp_cpu, mlp_wall = measure(mlp(), (30,), 2)
cnn_cpu, cnn_wall = measure(lenet5(), (1, 28, 28), 10)
out = {
    "torch": torch.__version__,
    "threads": torch.get_num_threads(),
    "mlp": mlp_cpu,
    "cnn": cnn_cpu,
    "mlpWall": mlp_wall,
    "cnnWall": cnn_wall,
}
print(json.dumps(out))
