"""Run a converted ratesim spiking network in PyTorch, as an independent reader of the format and a speed baseline.

Reads the ``snn`` section of a model file written by ``java -jar target/sim.jar convert MODEL -o OUT`` and simulates
it time step by time step with float32 convolutions at batch 1 and at a larger batch, on as many threads as the
machine has cores. Layers follow src/docs/format.md section 4 and the engine's rules:

- Encoder: count n = clamp(floor((L + offset) * b / 255), 0, T) per pixel byte b, spiking at the steps t where
  floor(t * n / T) grows.
- IF and IF_CTT: per step add W s_t + b, then every neuron with V >= threshold spikes once and loses the threshold
  (or resets to 0).
- ASG: V = sum over the window of W s_t plus T * b; a neuron with V >= threshold spikes at the steps t where
  floor(t * min(V, T * threshold) / (T * threshold)) grows.
- Max pool: an output spikes at step t when the largest cumulative input count of its window grows.
- Readout: sum over the window of W s_t plus T * b, and the prediction is the first largest value.

Integer sums are exact in float32 below 2^24, so the script uses float32 when the file's overflow_bound is below
2^24 and float64 otherwise, and takes every floor in int64.

Usage:
  python3 src/bench/python/torch_snn.py OUT.safetensors [--images IDX --labels IDX] [--limit N]
      [--batch 100] [--predictions FILE]

--predictions reads ratesim's predictions, one class per line in image order (``run --predictions FILE``), and
the script exits with status 1 when any differs.
"""

import argparse
import gzip
import json
import math
import os
import struct
import sys
import time
from fractions import Fraction

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "main", "python"))
import ratesim_export  # noqa: E402  (the path above must be set first)

EXACT_FLOAT32_LIMIT = 1 << 24


def read_idx(path):
    """Read an IDX file (gzipped or plain) into a numpy array of its dimensions."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as file:
        data = file.read()
    zero, dtype_code, rank = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: IDX magic {data[:4].hex()} is not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * rank, data[4 : 4 + 4 * rank])
    return np.frombuffer(data[4 + 4 * rank :], dtype=np.uint8).reshape(dims)


def input_counts(images, encoder, timesteps):
    """Return the encoder counts [N, C * groups, H, W] as int64, channel g * C + c for offset group g."""
    levels = Fraction(encoder["levels"])
    groups = []
    for offset in encoder["offsets"]:
        table = torch.tensor(
            [max(0, min(math.floor((levels + offset) * b / 255), timesteps)) for b in range(256)], dtype=torch.int64
        )
        groups.append(table[images.long()])
    return torch.cat(groups, dim=1)


def spikes_at(counts, t, timesteps):
    """Return 1 where a neuron with evenly spaced spikes fires at step t (1-based), as floor(t·n/T) grows."""
    return (torch.div(t * counts, timesteps, rounding_mode="floor")
            - torch.div((t - 1) * counts, timesteps, rounding_mode="floor"))


class Layer:
    """One layer of the snn section with its tensors in PyTorch layouts."""

    def __init__(self, spec, tensors, dtype):
        self.spec = spec
        self.type = spec["type"]
        self.neuron = spec["neuron"]
        self.reset_to_zero = spec.get("reset", "subtract") == "zero"
        self.kernel = spec.get("kernel", [1, 1])
        self.stride = spec.get("stride", self.kernel if self.type.endswith("pool2d") else [1, 1])
        top, bottom, left, right = spec.get("padding", [0, 0, 0, 0])
        self.pad = (left, right, top, bottom)
        self.dilation = spec.get("dilation", [1, 1])
        self.groups = spec.get("groups", 1)
        out_channels = spec["output_shape"][0]
        self.weight = None
        if self.type == "conv2d":
            # File layout [Cin, KH, KW, Cout/groups] (input-major) to PyTorch's [Cout, Cin/groups, KH, KW].
            w = torch.from_numpy(tensors[spec["weight"]].astype(np.float64))
            cin, kh, kw, per_group = w.shape
            w = w.reshape(self.groups, cin // self.groups, kh, kw, per_group).permute(0, 4, 1, 2, 3)
            self.weight = w.reshape(out_channels, cin // self.groups, kh, kw).to(dtype).contiguous()
        elif self.type == "linear":
            self.weight = torch.from_numpy(tensors[spec["weight"]].astype(np.float64)).to(dtype)
        elif self.type == "avg_pool2d":
            self.weight_value = spec["weight_value"]
        bias = spec.get("bias")
        self.bias = (torch.from_numpy(tensors[bias].astype(np.int64)) if bias
                     else torch.zeros(out_channels, dtype=torch.int64))
        threshold = spec.get("threshold")
        self.threshold = torch.from_numpy(tensors[threshold].astype(np.int64)) if threshold else None
        self.output_shape = spec["output_shape"]

    def current(self, spikes, dtype):
        """Return W·s for one step's spikes (int64 [N, ...]) as exact integers in int64, bias excluded."""
        x = spikes.to(dtype)
        if self.type == "linear":
            # The file's linear input index is the channel-last index of the previous map.
            if x.dim() == 4:
                x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)
            y = x @ self.weight
            return y.round().long().reshape(x.shape[0], self.output_shape[0], 1, 1)
        x = F.pad(x, self.pad)
        if self.type == "conv2d":
            y = F.conv2d(x, self.weight, None, self.stride, 0, self.dilation, self.groups)
        else:
            y = F.avg_pool2d(x, self.kernel, self.stride, 0, divisor_override=1) * self.weight_value
        return y.round().long()

    def bias_map(self, multiplier):
        return (self.bias * multiplier).reshape(1, -1, 1, 1)

    def run(self, steps, timesteps, dtype):
        """Return this layer's output spikes per step from the input spikes per step (lists of T int64 tensors)."""
        if self.type == "max_pool2d":
            return self.max_pool(steps)
        if self.neuron in ("if", "if_ctt"):
            return self.integrate_and_fire(steps, dtype)
        return self.asg(steps, timesteps, dtype)

    def max_pool(self, steps):
        out = []
        cumulative = torch.zeros_like(steps[0])
        previous = None
        for s in steps:
            cumulative = cumulative + s
            # Counts are >= 0 and no window covers only padding, so zero padding never wins a maximum.
            largest = F.max_pool2d(F.pad(cumulative.double(), self.pad), self.kernel, self.stride).long()
            out.append(largest if previous is None else largest - previous)
            previous = largest
        return out

    def integrate_and_fire(self, steps, dtype):
        threshold = self.threshold.reshape(1, -1, 1, 1)
        membrane = None
        out = []
        for s in steps:
            charge = self.current(s, dtype) + self.bias_map(1)
            membrane = charge if membrane is None else membrane + charge
            fired = (membrane >= threshold).long()
            membrane = membrane * (1 - fired) if self.reset_to_zero else membrane - fired * threshold
            out.append(fired)
        return out

    def asg(self, steps, timesteps, dtype):
        potential = self.bias_map(timesteps)
        for s in steps:
            potential = potential + self.current(s, dtype)
        threshold = self.threshold.reshape(1, -1, 1, 1)
        window = timesteps * threshold
        clamped = torch.where(potential >= threshold, torch.minimum(potential, window), torch.zeros_like(potential))
        return [torch.div(t * clamped, window, rounding_mode="floor")
                - torch.div((t - 1) * clamped, window, rounding_mode="floor") for t in range(1, timesteps + 1)]

    def readout(self, steps, timesteps, dtype):
        potential = self.bias_map(timesteps)
        for s in steps:
            potential = potential + self.current(s, dtype)
        return potential.reshape(potential.shape[0], -1)


class SpikingNetwork:
    """The snn section of a model file, simulated step by step in PyTorch."""

    def __init__(self, snn, tensors):
        self.timesteps = snn["timesteps"]
        self.encoder = snn["encoder"]
        if self.encoder["type"] not in ("vr", "ice"):
            raise ValueError(f"encoder type {self.encoder['type']!r} is not supported here: expected vr or ice")
        self.dtype = torch.float32 if snn["overflow_bound"] < EXACT_FLOAT32_LIMIT else torch.float64
        self.layers = [Layer(spec, tensors, self.dtype) for spec in snn["layers"]]
        self.readout = Layer(snn["readout"], tensors, self.dtype)

    @torch.no_grad()
    def predict(self, images):
        """Return the predicted classes of images uint8 [N, C, H, W]: the first largest readout."""
        counts = input_counts(images, self.encoder, self.timesteps)
        steps = [spikes_at(counts, t, self.timesteps) for t in range(1, self.timesteps + 1)]
        for layer in self.layers:
            steps = layer.run(steps, self.timesteps, self.dtype)
        return torch.argmax(self.readout.readout(steps, self.timesteps, self.dtype), dim=1)


def images_per_second(network, images, batch):
    """Return (predictions, images per second) of running all images in batches of `batch`."""
    predictions = []
    network.predict(images[: min(batch, len(images))])  # warm-up: first-call allocation and kernel selection
    start = time.perf_counter()
    for first in range(0, len(images), batch):
        predictions.append(network.predict(images[first : first + batch]))
    seconds = time.perf_counter() - start
    return torch.cat(predictions), len(images) / seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="model file with an snn section (java -jar sim.jar convert MODEL -o OUT)")
    parser.add_argument("--images", help="IDX images (default: the samples embedded in the model)")
    parser.add_argument("--labels", help="IDX labels, required with --images")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N images")
    parser.add_argument("--batch", type=int, default=100, help="batch size of the batched run (default 100)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads (default: all cores)")
    parser.add_argument("--predictions", help="ratesim's predictions, one class per line, to compare with")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    metadata, tensors = ratesim_export.read_container(args.model)
    graph, tensors, samples = ratesim_export.load(args.model)
    if "snn" not in metadata:
        print(f"torch_snn: {args.model} has no snn section; write one with "
              f"'java -jar target/sim.jar convert MODEL -o OUT'", file=sys.stderr)
        return 2
    network = SpikingNetwork(json.loads(metadata["snn"]), tensors)

    if args.images:
        if not args.labels:
            print("torch_snn: --images needs --labels", file=sys.stderr)
            return 2
        images = read_idx(args.images)
        labels = read_idx(args.labels).astype(np.int64)
        images = images.reshape(len(images), *graph["input"]["shape"])
    elif samples is not None:
        images, labels = samples
    else:
        print(f"torch_snn: {args.model} embeds no samples; pass --images and --labels", file=sys.stderr)
        return 2
    if args.limit is not None:
        images, labels = images[: args.limit], labels[: args.limit]
    images = torch.from_numpy(np.array(images, dtype=np.uint8))

    single, single_rate = images_per_second(network, images, 1)
    batched, batched_rate = images_per_second(network, images, args.batch)
    if not torch.equal(single, batched):
        print("torch_snn: batch 1 and batched predictions differ", file=sys.stderr)
        return 1
    accuracy = float((single == torch.from_numpy(labels)).double().mean())
    result = {
        "model": args.model,
        "images": len(images),
        "timesteps": network.timesteps,
        "dtype": str(network.dtype).replace("torch.", ""),
        "threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
        "accuracy": accuracy,
        "batch_1_images_per_second": single_rate,
        f"batch_{args.batch}_images_per_second": batched_rate,
    }
    status = 0
    if args.predictions:
        with open(args.predictions, encoding="utf-8") as file:
            expected = torch.tensor([int(line) for line in file if line.strip()], dtype=torch.int64)
        if len(expected) < len(images):
            print(f"torch_snn: {args.predictions} has {len(expected)} predictions for {len(images)} images",
                  file=sys.stderr)
            return 1
        mismatches = int((expected[: len(images)] != single).sum())
        result["prediction_mismatches"] = mismatches
        status = 0 if mismatches == 0 else 1
    print(json.dumps(result, indent=2))
    return status


if __name__ == "__main__":
    sys.exit(main())
